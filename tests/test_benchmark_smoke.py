"""The benchmark machinery, run in miniature on a toy model so it cannot rot (no timing checks)."""

import importlib.util
import inspect

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import memory_probe, report, run_benchmark
from benchmarks.implementations import implementations, supports_automatic_steps
from benchmarks.measure import SweepRow
from benchmarks.toy_model import toy_classifier, toy_images
from ig_tutorial import compute_gradients, integrated_gradients


@pytest.fixture(scope="module")
def toy():
    model = toy_classifier()
    image = next(iter(toy_images(1).values()))
    baseline = tf.zeros_like(image)
    target = int(tf.argmax(model(image[tf.newaxis])[0]))
    return model, image, baseline, target


def _entry(name):
    return next(entry for entry in implementations() if entry.name == name)


@pytest.mark.parametrize("m_steps", [5, 31, 32, 40])
def test_tutorial_implementation_matches_ours_trapezoid(toy, m_steps):
    model, image, baseline, target = toy
    tutorial = _entry("tutorial").attribute(model, image, baseline, target, m_steps)
    ours = integrated_gradients(model, image, target, m_steps=m_steps, batch_size=7)
    assert tutorial.num_evaluations == ours.num_evaluations == m_steps + 1
    np.testing.assert_allclose(tutorial.attributions, ours.attributions, rtol=1e-4, atol=1e-6)


def test_saliency_adapter_computes_its_documented_rule(toy):
    if importlib.util.find_spec("saliency") is None:
        assert _entry("saliency").unavailable.startswith("not installed")
        return
    model, image, baseline, target = toy
    m_steps = 9
    result = _entry("saliency").attribute(model, image, baseline, target, m_steps)
    # saliency averages the gradients at np.linspace(0, 1, m_steps + 1) with equal weights.
    alphas = np.linspace(0.0, 1.0, m_steps + 1)
    path = baseline[tf.newaxis] + alphas[:, None, None, None].astype(np.float32) * image
    expected = image.numpy() * compute_gradients(model, path, target)[0].numpy().mean(axis=0)
    assert result.num_evaluations == m_steps + 1
    np.testing.assert_allclose(result.attributions, expected, rtol=1e-4, atol=1e-6)


def test_automatic_steps_entry_is_enabled_exactly_when_supported():
    supported = "tolerance" in inspect.signature(integrated_gradients).parameters
    assert (supports_automatic_steps() is None) == supported
    assert (_entry("ours auto").unavailable is None) == supported


def _row(implementation, setting, evaluations, seconds, completeness, l2, image="a"):
    return SweepRow(
        image, implementation, "rule", "m_steps", setting, evaluations, 0.5, seconds,
        completeness, l2,
    )  # fmt: skip


def test_equal_accuracy_picks_the_cheapest_adequate_run():
    rows = [
        _row("tutorial", 16, 17, 1.0, 0.05, 0.01),  # completeness too large
        _row("tutorial", 32, 33, 2.0, 0.005, 0.015),
        _row("tutorial", 64, 65, 4.0, 0.001, 0.001),
        _row("ours riemann_trapezoid", 32, 33, 1.5, 0.005, 0.015),
        _row("ours gausslegendre", 8, 8, 0.4, 0.009, 0.03),  # L2 too large
        _row("ours gausslegendre", 16, 16, 0.8, 0.002, 0.01),
    ]
    assert report.adequate_run(rows, "a", "tutorial").setting == 32
    assert report.adequate_run(rows, "a", "ours gausslegendre").setting == 16
    assert report.adequate_run(rows, "a", "saliency") is None
    measurements = report.Measurements(
        machine={}, command="", sweep=rows, references={}, ceiling={8: 10.0},
        ours_by_batch={8: 9.5}, default_batch_size=8,
    )  # fmt: skip
    lines = report.headline_ratios(measurements)
    assert "fastest of ours / tutorial = 0.40x" in lines[1] and "MET" in lines[1]
    assert "ours trapezoid: 0.75x" in lines[1]
    assert "= 0.95 -> MET" in lines[2]


def test_update_docs_replaces_only_the_marked_block(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text(f"intro\n{report.DOCS_START}\nold\n{report.DOCS_END}\noutro\n")
    plot = tmp_path / "memory.png"
    plot.write_bytes(b"png")
    report.update_docs("new table\n", docs, [plot])
    assert docs.read_text() == f"intro\n{report.DOCS_START}\nnew table\n{report.DOCS_END}\noutro\n"
    assert (tmp_path / "images" / "benchmark_memory.png").read_bytes() == b"png"
    docs.write_text("no markers")
    with pytest.raises(ValueError, match="add the two markers"):
        report.update_docs("new", docs)


def test_quick_run_on_the_toy_model_writes_every_output(tmp_path, capsys):
    assert (
        run_benchmark.main(["--quick", "--model", "toy", "--no-memory", "--results", str(tmp_path)])
        == 0
    )
    written = {path.name for path in tmp_path.iterdir()}
    assert {"results.csv", "results.md", "time_vs_error.png"} <= written
    table = (tmp_path / "results.md").read_text()
    assert "| toy0 | tutorial | m_steps=8 | 9 |" in table
    assert "Headline ratios" in capsys.readouterr().out.split("wrote")[-1]


def test_memory_probe_measures_one_run():
    # In this process rather than a fresh one (as the benchmark does), to keep the test fast:
    # a new process spends most of its time importing TensorFlow.
    probe = memory_probe.probe("tutorial", 8, "toy", "unused")
    assert probe["implementation"] == "tutorial"
    assert probe["num_evaluations"] == 9
    assert probe["peak_rss_mb"] >= probe["rss_before_mb"] > 0


def test_memory_headline_reports_growth_with_steps():
    probes = [
        {"implementation": "tutorial", "m_steps": 1024, "growth_mb": 7000.0, "peak_rss_mb": 8000.0},
        {"implementation": "tutorial", "m_steps": 64, "growth_mb": 1500.0, "peak_rss_mb": 2200.0},
        {"implementation": "ours", "m_steps": 64, "growth_mb": 250.0, "peak_rss_mb": 1000.0},
    ]
    measurements = report.Measurements(
        machine={}, command="", sweep=[], references={}, ceiling={8: 10.0}, ours_by_batch={},
        default_batch_size=8, memory=probes,
    )  # fmt: skip
    lines = report.headline_ratios(measurements)
    assert (
        "memory, tutorial: run needs 1500 MB at m_steps=64 and 7000 MB at m_steps=1024 "
        "(peak RSS 8000 MB)" in lines
    )
    assert "memory, ours: run needs 250 MB at m_steps=64 (peak RSS 1000 MB)" in lines


# --- issue 10: the peer, the hindsight choice and the report of benchmarks/auto_steps.py ------


def test_peer_allocates_steps_by_the_change_of_the_score():
    from benchmarks.nonuniform_peer import allocate_steps, nonuniform_grid

    steps = allocate_steps(np.array([0.0, 0.6, -0.2, 0.0]), total_steps=12)
    assert steps.tolist() == [1, 7, 3, 1]  # 1 each, the 8 others as 0.6 : 0.2
    alphas, weights = nonuniform_grid(np.linspace(0, 1, 5), steps)
    assert alphas.size == 13 and np.all(np.diff(alphas) > 0) and weights.sum() == pytest.approx(1)
    np.testing.assert_allclose(np.diff(alphas)[1:8], 0.25 / 7)  # uniform inside a segment
    with pytest.raises(ValueError, match="fewer than the 4 segments"):
        allocate_steps(np.ones(4), total_steps=3)


def test_peer_is_the_trapezoid_rule_on_its_grid(toy):
    from benchmarks.nonuniform_peer import bhat_nonuniform_ig

    model, image, baseline, target = toy
    run = bhat_nonuniform_ig(model, image, target, total_steps=20, regions=4, batch_size=3)
    assert run.num_evaluations == 21 and run.forward_passes == 3
    points = baseline[None] + run.alphas[:, None, None, None].astype(np.float32) * image[None]
    gradients = compute_gradients(model, points, target)[0].numpy().astype(np.float64)
    weights = np.zeros(run.alphas.size)
    weights[:-1] += np.diff(run.alphas) / 2
    weights[1:] += np.diff(run.alphas) / 2
    expected = image.numpy() * np.tensordot(weights, gradients, axes=1)
    np.testing.assert_allclose(run.attributions, expected, rtol=1e-4, atol=1e-6)


def test_cheapest_uniform_is_chosen_in_hindsight():
    from benchmarks.path_grid import cheapest_uniform

    rows = [
        {"m_steps": 16, "evaluations": 17, "completeness": 0.004, "l2": 0.05},
        {"m_steps": 32, "evaluations": 33, "completeness": 0.02, "l2": 0.015},
        {"m_steps": 64, "evaluations": 65, "completeness": 0.007, "l2": 0.019},
        {"m_steps": 96, "evaluations": 97, "completeness": 0.001, "l2": 0.01},
    ]
    assert cheapest_uniform(rows, 0.01, 0.02)["m_steps"] == 64
    assert cheapest_uniform(rows, 0.0001, 0.02) is None


def _auto_rows(auto_l2=0.015):
    def row(run, evaluations, seconds, l2, forward=0):
        return {
            "photo": "a", "run": run, "evaluations": evaluations, "forward_passes": forward,
            "completeness": 0.005, "l2": l2, "meets": l2 <= 0.02, "seconds": seconds,
        }  # fmt: skip

    auto = row("auto", 100, 4.0, auto_l2) | {"estimated_l2": 0.014, "rounds": 11}
    return [
        auto,
        row("tutorial 240", 241, 20.0, 0.012),
        row("best uniform (192)", 193, 8.0, 0.015),
        row("Bhat et al. (320)", 321, 16.0, 0.017, forward=15),
    ]


def _summary():
    return {
        "tolerance": 0.01, "uptime_start": "load 0.1", "uptime_end": "load 0.2", "seconds": 1.0,
        "batch_size": 8, "tutorial_batch_size": 32, "repeats": 2, "memory": [],
        "throughput": {"batch_size": 8, "ceiling": 20.0, "auto": 19.0, "ratio": 0.95},
    }  # fmt: skip


def test_auto_steps_report_states_each_target():
    from benchmarks.auto_steps import markdown

    text = markdown(_auto_rows(), _summary())
    assert "| a | auto | 100, 11 rounds | 0.50% | 1.50% (est. 1.40%) | yes | 4.0 |  |" in text
    assert "| a | Bhat et al. (320) | 321 (+15 forward) |" in text
    assert "no false stop: 1 of 1 photos meet the bar -> MET" in text
    assert "geometric mean 0.20x (target <= 0.4x: MET)" in text
    assert "a 0.52; geometric mean 0.52 -> MISSED" in text
    assert "auto / peer: evaluations a 0.31; wall time a 0.25" in text
    assert "= 0.95 (target >= 0.90: MET)" in text


def test_auto_steps_report_catches_a_false_stop():
    from benchmarks.auto_steps import markdown

    text = markdown(_auto_rows(auto_l2=0.025), _summary())
    assert "| 2.50% (est. 1.40%) | **no** |" in text
    assert "no false stop: 0 of 1 photos meet the bar (missed: a) -> MISSED" in text


def test_faithfulness_benchmark_on_a_toy_model_writes_its_table_and_figure(tmp_path):
    """Issue 21's benchmark end to end on two tiny images: scores, summary, table, docs, plot."""
    from benchmarks import faithfulness
    from tests.toy_models import SmallConvNet

    model = SmallConvNet(num_classes=4, seed=0)  # not saturated: top-1 probability 0.58, 0.92
    rng = np.random.default_rng(6)
    images = {name: rng.uniform(size=(8, 8, 3)).astype(np.float32) for name in ("a", "b")}
    results = faithfulness.measure(model, images, steps=4)
    rows = faithfulness.summary_rows(results)
    assert [row["method"] for row in rows] == [score.method for score in results[0].scores]
    reference = next(row for row in rows if row["method"] == faithfulness.REFERENCE_METHOD)
    assert reference["deletion wins"] == (0, 2)  # never better than itself
    text = faithfulness.markdown(rows, results, "machine line")
    assert text.splitlines()[0] == "machine line"
    assert "| IG, black baseline |" in text and "(the reference)" in text
    assert "9 forward passes" in text  # 8 x 8 image, one row a step: 8 steps + the start
    docs = tmp_path / "benchmarks.md"
    docs.write_text(f"before\n{faithfulness.DOCS_START}\nold\n{faithfulness.DOCS_END}\nafter\n")
    faithfulness.write_docs("new table", docs)
    assert docs.read_text() == (
        f"before\n{faithfulness.DOCS_START}\nnew table\n{faithfulness.DOCS_END}\nafter\n"
    )
    (tmp_path / "unmarked.md").write_text("nothing to fill")
    with pytest.raises(ValueError, match="no <!-- faithfulness:start -->"):
        faithfulness.write_docs("x", tmp_path / "unmarked.md")
    faithfulness.plot_mean_curves(results, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 0
