"""Attributing a folder: inputs, outputs, manifest, resuming after a kill, shards, the command.

Most tests use a tiny conv net saved as a SavedModel (tests/batch_fixtures.py), so the command
line can load it in a subprocess; the IG core itself is tested elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from ig_tutorial.batch import attribute_files, load_npz, read_manifest, verify_output_folder
from ig_tutorial.batch.inputs import (
    assign_targets,
    discover_inputs,
    read_targets,
    shard_of,
)
from ig_tutorial.batch.manifest import ImageRecord, ManifestWriter, read_output_folder
from ig_tutorial.batch.npz_files import read_output_key, write_npz
from ig_tutorial.cache import atomic_file, remove_stale_partials
from ig_tutorial.checks import shard_spec, steps_or_auto
from ig_tutorial.models.loading import load_model
from ig_tutorial.running.cli import main
from tests.batch_fixtures import (
    PHOTOS,
    comparable,
    export_toy_model,
    make_input_folder,
    output_files,
)

ROOT = Path(__file__).resolve().parents[1]
BAD = ("not_an_image", "truncated")


@pytest.fixture(scope="module")
def toy_model_dir(tmp_path_factory) -> Path:
    return export_toy_model(tmp_path_factory.mktemp("model") / "toy")


@pytest.fixture(scope="module")
def toy_model(toy_model_dir):
    return load_model(str(toy_model_dir))


@pytest.fixture
def inputs(tmp_path) -> dict[str, Path]:
    return make_input_folder(tmp_path / "in")


def _statuses(records) -> dict[str, str]:
    return {Path(r.input).stem: r.status for r in records}


# Inputs -----------------------------------------------------------------------------------------


def test_folders_patterns_and_list_files_are_expanded(tmp_path, inputs):
    folder = tmp_path / "in"
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "skip.png").write_bytes(inputs["coffee"].read_bytes())
    out = folder / "results"
    out.mkdir()
    (out / "figure.png").write_bytes(inputs["coffee"].read_bytes())

    found = [Path(i.source).name for i in discover_inputs([folder], exclude=out)]
    # Sorted, recursive, image suffixes only (no README.txt), no hidden files, not the outputs.
    assert found == [
        "astronaut.png",
        "chelsea.png",
        "coffee.png",
        "grace_hopper.jpg",
        "motorcycle.png",
        "not_an_image.jpg",
        "rocket.jpg",
        "truncated.jpg",
    ]
    pattern = [Path(i.source).name for i in discover_inputs([str(folder / "*.png")])]
    assert pattern == ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle.png"]

    listing = tmp_path / "list.txt"
    listing.write_text(
        "# two photos and a missing file\nin/coffee.png\n\nin/rocket.jpg\nin/gone.png\n"
    )
    items = discover_inputs([f"@{listing}", inputs["coffee"], "chelsea"])
    assert [Path(i.source).name for i in items] == [
        "coffee.png",
        "rocket.jpg",
        "gone.png",
        "chelsea",
    ]  # coffee.png named twice is taken once; "chelsea" is the bundled photo
    assert items[2].path is None and "gone.png" in items[2].error
    assert items[3].path.name == "chelsea.png"

    with pytest.raises(ValueError, match=r"'\S*\*\.tiff' matches no image file"):
        discover_inputs([str(folder / "*.tiff")])
    with pytest.raises(ValueError, match="No inputs"):
        discover_inputs([])


def test_targets_csv(tmp_path, inputs):
    csv = tmp_path / "in" / "targets.csv"
    csv.write_text(f"path,target\ncoffee.png,3\nsub/truncated.jpg,top-1\n{inputs['rocket']},1\n")
    targets = read_targets(csv)
    assert targets == {inputs["coffee"]: 3, inputs["truncated"]: "top-1", inputs["rocket"]: 1}

    items = discover_inputs([inputs["coffee"], inputs["chelsea"]])
    assigned, unmatched = assign_targets(items, targets, csv.name)
    assert assigned[0].target == 3 and assigned[0].error is None
    assert assigned[1].error == "no row for this input in targets.csv"
    assert sorted(unmatched) == sorted([inputs["truncated"], inputs["rocket"]])

    for text, message in [
        ("coffee.png\n", "row 1: expected 'path,target'"),
        ("coffee.png,-2\n", "row 1: the target must be an integer of at least 0, got -2"),
        ("coffee.png, \n", "row 1: the target is empty"),
        ("coffee.png,1\ncoffee.png,2\n", "row 2: 'coffee.png' is listed twice"),
    ]:
        csv.write_text(text)
        with pytest.raises(ValueError, match=message):
            read_targets(csv)


def test_shards_are_disjoint_and_cover():
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(300)]
    sizes = Counter(shard_of(h, 3) for h in hashes)
    assert set(sizes) == {1, 2, 3} and min(sizes.values()) > 80  # balanced
    assert shard_spec("2/3") == (2, 3) and shard_spec((1, 1)) == (1, 1)
    for bad in ("0/3", "4/3", "3", "a/b", "1/2/3", (True, 2)):
        with pytest.raises(ValueError, match="shard must be K/N"):
            shard_spec(bad)
    assert steps_or_auto("64") == 64 and steps_or_auto("AUTO") == "auto"
    with pytest.raises(ValueError, match="m_steps must be a positive integer or 'auto', got '0'"):
        steps_or_auto("0")


def test_settings_are_checked_before_any_image_is_read(tmp_path, inputs, toy_model):
    run = lambda **options: attribute_files([tmp_path / "in"], tmp_path / "o", toy_model, **options)  # noqa: E731
    for options, message in [
        ({"m_steps": "sixty"}, "m_steps must be a positive integer or 'auto', got 'sixty'"),
        ({"m_steps": "auto", "method": "gausslegendre"}, "method must be 'riemann_trapezoid'"),
        ({"baseline": "grey"}, "baseline must be one of"),
        ({"dtype": "float64"}, "dtype must be one of"),
        ({"engine": "spark"}, "engine must be one of"),
        ({"shard": "4/3"}, "shard must be K/N"),
        ({"workers": 2}, "workers and ray_address are for engine='ray'"),
        ({"target": "espresso"}, "'espresso' is a label, but the model has no labels"),
        ({"engine": "ray"}, "The Ray engine loads the model in each worker"),
    ]:
        with pytest.raises(ValueError, match=message):
            run(**options)
    assert not (tmp_path / "o").exists()


# A run, its outputs and its manifest -------------------------------------------------------------


def test_a_folder_run_records_bad_inputs_and_goes_on(tmp_path, inputs, toy_model):
    out = tmp_path / "out"
    run = attribute_files([tmp_path / "in", tmp_path / "gone.jpg"], out, toy_model, m_steps=8)
    assert run.total == len(PHOTOS) + 3
    records = list(run)
    statuses = _statuses(records)
    assert statuses == {**dict.fromkeys(PHOTOS, "done"), **dict.fromkeys([*BAD, "gone"], "failed")}
    errors = {Path(r.input).stem: r.error for r in records if r.error}
    assert "not_an_image.jpg' as an image" in errors["not_an_image"]
    assert "truncated or corrupt" in errors["truncated"]
    assert errors["gone"].startswith("FileNotFoundError") and "gone.jpg" in errors["gone"]
    assert run.counts == {"done": len(PHOTOS), "failed": 3}

    # The manifest: valid JSON lines, one per input, with the fields the issue asks for.
    lines = run.manifest_path.read_text().splitlines()
    assert len(lines) == run.total
    for line in lines:
        record = json.loads(line)
        assert {"input", "sha256", "outputs", "status", "error", "seconds"} <= set(record)
    assert read_manifest(run.manifest_path) == [json.loads(line) for line in lines]

    # Each .npz holds what the issue lists, and agrees with the manifest.
    coffee = next(r for r in records if r.input.endswith("coffee.png"))
    arrays = load_npz(out / coffee.outputs[-1])
    assert arrays["attributions"].shape == (224, 224, 3)
    assert arrays["attributions"].dtype == np.float32
    assert int(arrays["target"]) == coffee.target and str(arrays["label"]) == ""
    assert int(arrays["num_evaluations"]) == coffee.num_evaluations == 9
    delta = float(arrays["completeness_delta"])
    difference = float(arrays["score_at_input"] - arrays["score_at_baseline"])
    assert delta == pytest.approx(arrays["attributions"].sum(dtype=np.float64) - difference)
    assert abs(delta) / abs(difference) == pytest.approx(coffee.relative_completeness_error)
    settings = json.loads(str(arrays["settings"]))
    assert settings["m_steps"] == 8 and settings["baseline"] == "black"
    assert settings["target"] == "top-1" and settings["model"].startswith("savedmodel:")
    assert str(arrays["input_sha256"]) == coffee.sha256
    assert verify_output_folder(out) == []


def test_rerun_skips_force_recomputes_and_new_settings_write_new_files(tmp_path, inputs, toy_model):
    out = tmp_path / "out"
    first = attribute_files([tmp_path / "in"], out, toy_model, m_steps=8).run()
    files = output_files(out)
    assert len(files) == len(PHOTOS)

    again = attribute_files([tmp_path / "in"], out, toy_model, m_steps=8)
    assert _statuses(again) == {**dict.fromkeys(PHOTOS, "skipped"), **dict.fromkeys(BAD, "failed")}
    assert output_files(out) == files
    assert len(read_manifest(again.manifest_path)) == first.total  # still one line per input

    forced = attribute_files([tmp_path / "in"], out, toy_model, m_steps=8, force=True)
    assert forced.run().counts == {"done": len(PHOTOS), "failed": 2}
    assert output_files(out) == files  # deterministic: recomputing writes the same bytes

    other = attribute_files([tmp_path / "in"], out, toy_model, m_steps=16).run()
    assert other.counts == {"done": len(PHOTOS), "failed": 2}
    assert len(output_files(out)) == 2 * len(PHOTOS)  # old files stay, named by their settings


def test_a_changed_file_is_recomputed(tmp_path, inputs, toy_model):
    out = tmp_path / "out"
    attribute_files([inputs["coffee"]], out, toy_model, m_steps=8).run()
    inputs["coffee"].write_bytes(inputs["chelsea"].read_bytes())  # same name, other content
    run = attribute_files([inputs["coffee"]], out, toy_model, m_steps=8)
    assert [r.status for r in run] == ["done"]
    assert len(output_files(out)) == 2


def test_float16_halves_the_files(tmp_path, inputs, toy_model):
    full = attribute_files([inputs["coffee"]], tmp_path / "a", toy_model, m_steps=8).run()
    half = attribute_files(
        [inputs["coffee"]], tmp_path / "b", toy_model, m_steps=8, dtype="float16"
    ).run()
    (a,) = output_files(full.output_dir).items()
    (b,) = output_files(half.output_dir).items()
    assert len(b[1]) < 0.7 * len(a[1])
    attributions = load_npz(tmp_path / "a" / a[0])["attributions"]
    halved = load_npz(tmp_path / "b" / b[0])["attributions"]
    assert halved.dtype == np.float16
    np.testing.assert_allclose(halved, attributions, rtol=1e-3, atol=1e-7)


def test_shards_together_equal_the_whole(tmp_path, inputs, toy_model):
    whole = attribute_files([tmp_path / "in"], tmp_path / "whole", toy_model, m_steps=8).run()
    shared = tmp_path / "shards"
    runs = [
        attribute_files([tmp_path / "in"], shared, toy_model, m_steps=8, shard=f"{k}/3").run()
        for k in (1, 2, 3)
    ]
    names = [{item.source for item in run.items} for run in runs]
    assert sum(len(n) for n in names) == whole.total == len(set().union(*names))  # disjoint, cover
    assert all(names), "every shard got inputs (with 8 inputs, this holds for these photos)"
    assert sorted(p.name for p in shared.glob("manifest*")) == [
        "manifest-1-of-3.jsonl",
        "manifest-2-of-3.jsonl",
        "manifest-3-of-3.jsonl",
    ]
    assert output_files(shared) == output_files(tmp_path / "whole")
    assert comparable(read_output_folder(shared)) == comparable(
        read_output_folder(whole.output_dir)
    )
    assert verify_output_folder(shared) == []


# Atomic writes and the checks that catch broken outputs -----------------------------------------


def test_atomic_writes_leave_no_half_file(tmp_path, monkeypatch):
    target = tmp_path / "x.npz"
    real_write = np.lib.format.write_array

    def dies_midway(handle, array, **kwargs):
        real_write(handle, array, **kwargs)
        if array.size > 1:
            raise KeyboardInterrupt  # as if the run were stopped while writing

    monkeypatch.setattr(np.lib.format, "write_array", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        write_npz(target, {"a": np.int64(1), "b": np.ones(10)})
    assert list(tmp_path.iterdir()) == []  # neither the file nor its temporary
    monkeypatch.undo()

    write_npz(target, {"key": "abc", "b": np.ones(3)})
    first = target.read_bytes()
    write_npz(target, {"b": np.ones(3), "key": "abc"})
    assert target.read_bytes() == first  # reproducible bytes
    assert read_output_key(target) == "abc"

    # What a non-atomic writer leaves when killed: the skip check and the folder check see it.
    target.write_bytes(first[: len(first) // 2])
    assert read_output_key(target) is None


def test_a_half_written_output_is_recomputed_and_verify_reports_it(tmp_path, inputs, toy_model):
    out = tmp_path / "out"
    run = attribute_files([inputs["coffee"], inputs["rocket"]], out, toy_model, m_steps=8)
    records = list(run)
    npz = out / records[0].outputs[-1]
    good = npz.read_bytes()
    npz.write_bytes(good[:-100])  # as if copied by a tool that was killed
    problems = verify_output_folder(out)
    assert len(problems) == 1 and "is not a complete .npz file" in problems[0]

    rerun = attribute_files([inputs["coffee"], inputs["rocket"]], out, toy_model, m_steps=8)
    assert [r.status for r in rerun] == ["done", "skipped"]
    assert npz.read_bytes() == good and verify_output_folder(out) == []

    # Each other check of verify_output_folder, failing once.
    (out / records[1].outputs[-1]).unlink()
    (out / ".x.npz.partial-otherhost-1-00ff").write_bytes(b"")
    with open(out / "manifest.jsonl", "a") as manifest:
        manifest.write('{"input": "half a line')
    problems = verify_output_folder(out)
    assert len(problems) == 2 and "last line has no newline" in problems[0]
    assert "temporary file left behind" in problems[1]
    (out / "manifest.jsonl").write_text(
        (out / "manifest.jsonl").read_text().rsplit("\n", 1)[0] + "\n"
    )
    assert any("is missing" in p for p in verify_output_folder(out))


def test_manifest_checks(tmp_path):
    path = tmp_path / "manifest.jsonl"
    record = ImageRecord(input="a.png", sha256="00", status="done", outputs=["a.npz"])
    path.write_text(record.to_json() + "\n" + '{"input": "b.png", "sta')
    with pytest.raises(ValueError, match="last line has no newline"):
        read_manifest(path)
    assert len(read_manifest(path, strict=False)) == 1

    writer = ManifestWriter(path)  # a resumed run drops the cut-off line ...
    with pytest.raises(RuntimeError, match="Another run is writing"):
        ManifestWriter(path)  # ... and holds the manifest against a second run
    writer.append(ImageRecord(input="b.png", sha256="11", status="failed", error="E: bad"))
    writer.append(ImageRecord(input="a.png", sha256="00", status="skipped", outputs=["a.npz"]))
    writer.close()
    assert [(r["input"], r["status"]) for r in read_manifest(path)] == [
        ("a.png", "skipped"),
        ("b.png", "failed"),
    ]
    for line, message in [
        ("[1, 2]", "line 1: expected a JSON object"),
        ('{"input": "a"}', "line 1: missing field"),
        (
            '{"input": "a", "sha256": null, "status": "ok", "outputs": [], "error": null, '
            '"seconds": 0}',
            "line 1: status must be one of",
        ),
        (
            '{"input": "a", "sha256": null, "status": "failed", "outputs": [], "error": null, '
            '"seconds": 0}',
            "a failed record must say why",
        ),
        ("{not json", "line 1: not valid JSON"),
    ]:
        path.write_text(line + "\n")
        with pytest.raises(ValueError, match=message):
            read_manifest(path)
    with pytest.raises(ValueError, match="Out of range float values are not JSON"):
        ImageRecord(input="a", sha256=None, status="done", seconds=float("inf")).to_json()


def test_only_the_partials_of_dead_writers_are_removed(tmp_path):
    with atomic_file(tmp_path / "live.npz") as live:
        live.write_bytes(b"being written by this process")
        dead_pid = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dead = tmp_path / live.name.replace(f"-{os.getpid()}-", f"-{dead_pid}-")
        dead.write_bytes(b"left by a killed run")
        assert remove_stale_partials(tmp_path) == [dead]
        assert live.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.npz"]


# The command line, and a run killed midway -------------------------------------------------------


def test_command_line_exit_status_summary_and_modes(tmp_path, inputs, toy_model_dir, capsys):
    model = ["--model", str(toy_model_dir), "--m-steps", "8", "--no-progress"]
    out = tmp_path / "out"
    status = main(["attribute", str(tmp_path / "in"), "-o", str(out), *model])
    printed = capsys.readouterr().out
    assert status == 1
    assert f"{len(PHOTOS) + 2} input(s)" in printed
    assert f"{len(PHOTOS)} attributed, 0 already done, 2 failed." in printed
    assert f"Manifest: {out / 'manifest.jsonl'}" in printed
    assert "not_an_image.jpg: ValueError: Could not decode" in printed

    photos = [str(inputs[name]) for name in PHOTOS[:2]]
    assert main(["attribute", *photos, "-o", str(out), "--figures", *model]) == 0
    printed = capsys.readouterr().out
    assert "2 input(s)" in printed and "2 attributed" in printed  # figures were missing
    assert main(["attribute", *photos, "-o", str(out), "--figures", *model]) == 0
    assert "0 attributed, 2 already done, 0 failed." in capsys.readouterr().out

    targets = tmp_path / "targets.csv"
    targets.write_text(f"{inputs['coffee']},4\n{inputs['rocket']},top-1\n")
    args = ["attribute", str(inputs["coffee"]), "--targets", str(targets), "-o", str(out), *model]
    assert main(args) == 0
    assert "1 row(s) of" in capsys.readouterr().err
    coffee = [r for r in read_manifest(out / "manifest.jsonl") if r["input"].endswith("coffee.png")]
    assert coffee[0]["target"] == 4

    assert main(["attribute", str(tmp_path / "in"), "--out", "x.png", *model]) == 2
    assert "--out names the figure of one image" in capsys.readouterr().err
    assert main(["attribute", str(tmp_path / "in"), "--shard", "3/2", *model]) == 2
    assert "shard must be K/N" in capsys.readouterr().err


def test_every_input_found_is_reported_broken_links_and_unlisted_folders_too(
    tmp_path, inputs, toy_model_dir, capsys, monkeypatch
):
    folder = tmp_path / "in"
    (folder / "gone.jpg").symlink_to("nowhere.jpg")  # its target was moved away
    (folder / "loop.png").symlink_to("loop.png")
    (folder / "locked").mkdir()
    (folder / "locked" / "inside.jpg").write_bytes(inputs["coffee"].read_bytes())
    real_scandir = os.scandir

    def scandir(path="."):  # as for a folder without read permission (the tests run as root)
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    out = tmp_path / "out"
    model = ["--model", str(toy_model_dir), "--m-steps", "8", "--no-progress"]
    assert main(["attribute", str(folder), "-o", str(out), *model]) == 1
    printed = capsys.readouterr().out
    monkeypatch.undo()
    assert f"{len(PHOTOS) + 2 + 3} input(s)" in printed
    assert f"{len(PHOTOS)} attributed, 0 already done, {2 + 3} failed." in printed
    failed = {
        Path(r["input"]).name: r["error"]
        for r in read_manifest(out / "manifest.jsonl")
        if r["status"] == "failed"
    }
    assert sorted(failed) == ["gone.jpg", "locked", "loop.png", "not_an_image.jpg", "truncated.jpg"]
    assert (
        "gone.jpg' is a broken symbolic link (to 'nowhere.jpg': No such file" in failed["gone.jpg"]
    )
    assert "Too many levels of symbolic links" in failed["loop.png"]
    assert (
        "Cannot search the folder" in failed["locked"] and "Permission denied" in failed["locked"]
    )
    assert f"  {folder / 'gone.jpg'}: FileNotFoundError: " in printed  # the summary lists them
    assert verify_output_folder(out) == []


def _done(manifest: Path) -> int:
    if not manifest.is_file():
        return 0
    return sum('"status": "done"' in line for line in manifest.read_text().splitlines())


def test_a_killed_run_resumes_to_the_outputs_of_an_uninterrupted_one(tmp_path, inputs, toy_model):
    folder, steps = tmp_path / "in", 64
    reference = attribute_files([folder], tmp_path / "reference", toy_model, m_steps=steps).run()

    out = tmp_path / "out"
    command = [sys.executable, "-m", "ig_tutorial.running.cli", "attribute", str(folder)]
    command += ["-o", str(out), "--model", toy_model.handle, "--m-steps", str(steps)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180
    while process.poll() is None and _done(out / "manifest.jsonl") < 2:
        assert time.monotonic() < deadline, "the run did not get going"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run finished before it could be killed"

    # What the killed run left: a valid journal, complete outputs only.
    journal = read_manifest(out / "manifest.jsonl")
    computed_before = sum(r["status"] == "done" for r in journal)
    assert 2 <= computed_before < len(PHOTOS)
    for path in out.glob("*.npz"):
        load_npz(path)

    resumed = attribute_files([folder], out, toy_model, m_steps=steps)
    records = list(resumed)
    assert resumed.counts == {
        "skipped": computed_before,
        "done": len(PHOTOS) - computed_before,  # no image computed twice
        "failed": 2,
    }
    assert output_files(out) == output_files(reference.output_dir)  # bitwise
    assert comparable(read_output_folder(out)) == comparable(
        read_output_folder(reference.output_dir)
    )
    assert len(records) == len(read_manifest(out / "manifest.jsonl")) == reference.total
    assert verify_output_folder(out) == []  # the killed writer's temporary files are gone


def test_the_recomputation_count_would_see_an_image_computed_twice(tmp_path, inputs, toy_model):
    # The count above is not vacuous: a rerun that ignores finished work (force) shows up in it.
    out = tmp_path / "out"
    first = attribute_files([inputs["coffee"], inputs["rocket"]], out, toy_model, m_steps=8).run()
    again = attribute_files(
        [inputs["coffee"], inputs["rocket"]], out, toy_model, m_steps=8, force=True
    ).run()
    assert first.counts["done"] + again.counts["done"] == 4 != 2
