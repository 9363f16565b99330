"""``m_steps="auto"`` against the tutorial's 240 steps, the best uniform count and Bhat et al.

Issue 10's benchmark. On the bundled EfficientNet-Lite0 (black baseline, top-1 class,
probability), for each photo, measured side by side in one run:

* **auto**: ``integrated_gradients(..., m_steps="auto", tolerance=t)``, ours;
* **tutorial 240**: the TensorFlow tutorial's code (``benchmarks/tutorial_reference.py``) with
  its 240 steps, batch 32, traced before it is timed;
* **best uniform**: the trapezoid rule with the cheapest step count that meets the bar (the
  completeness error at most ``t`` and the L2 error at most ``2 t``) *in hindsight*, chosen from
  every divisor of 960 (``benchmarks/path_grid.py``), then timed with ours;
* **Bhat et al.**: the non-uniform interpolation of arXiv:2302.11107
  (``benchmarks/nonuniform_peer.py``) with the cheapest step count of a sweep that meets the bar,
  also chosen in hindsight, then timed.

Accuracy is against the 512-node Gauss-Legendre reference of ``benchmarks/path_grid.py`` (built on
first use, ~2.5 minutes per photo). It also measures the per-evaluation throughput of "auto"
against a plain compiled forward+backward pass at the same batch size (alternately, best of
three), and the peak RSS of "auto" per photo, each in a fresh process. ``uptime`` is printed
before and after: the timings are only as good as the machine was quiet.

Run from the repository root (about 20 minutes on 2 CPU cores with cached grids)::

    PYTHONPATH=$PWD python -m benchmarks.auto_steps
    PYTHONPATH=$PWD python -m benchmarks.auto_steps --photos coffee --no-memory   # a smoke run

Issue 22 added two more measurements::

    PYTHONPATH=$PWD python -m benchmarks.auto_steps --unseen [--quick]  # cases no run had used
    PYTHONPATH=$PWD python -m benchmarks.auto_steps --overhead --photos coffee chelsea --repeats 5

``--unseen``: "auto" against the tutorial's 240 steps on second-ranked targets, a white
baseline, mirrored photos and three photos of scikit-image's data no benchmark had used (their
Gauss-Legendre references are cached in the results folder). ``--overhead``: "auto" against
fixed steps at the same number of evaluations, alternately, with the time in model calls apart.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ("coffee", "grace_hopper", "chelsea", "astronaut", "rocket", "motorcycle")
TUTORIAL_STEPS = 240
#: Nodes of the Gauss-Legendre reference, as in ``benchmarks/path_grid.py``.
REFERENCE_NODES = 512
PEER_STEPS = (24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 240, 320, 480)
DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "auto_steps"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def best_of(repeats, function, *args, **kwargs):
    """:func:`timed`, ``repeats`` times: the last value and warnings, the shortest time."""
    runs = [timed(function, *args, **kwargs) for _ in range(repeats)]
    return runs[-1][0], min(seconds for _, seconds, _ in runs), runs[-1][2]


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = function(*args, **kwargs)
    return value, time.perf_counter() - start, [str(w.message) for w in caught]


def accuracy(attributions: np.ndarray, grid) -> tuple[float, float]:
    """Completeness error and L2 error against the grid's Gauss-Legendre reference."""
    attributions = np.asarray(attributions, np.float64)
    completeness = abs(attributions.sum() - grid.score_difference) / abs(grid.score_difference)
    l2 = np.linalg.norm(attributions - grid.reference) / np.linalg.norm(grid.reference)
    return float(completeness), float(l2)


def meets(completeness: float, l2: float, tolerance: float) -> bool:
    return completeness <= tolerance and l2 <= 2 * tolerance


def cheapest_peer(model, image, target, grid, tolerance, batch_size):
    """The peer's cheapest step count of :data:`PEER_STEPS` that meets the bar, and its run."""
    from benchmarks.nonuniform_peer import bhat_nonuniform_ig

    tried = []
    for steps in PEER_STEPS:
        run = bhat_nonuniform_ig(model, image, target, total_steps=steps, batch_size=batch_size)
        completeness, l2 = accuracy(run.attributions, grid)
        tried.append((steps, completeness, l2))
        if meets(completeness, l2, tolerance):
            return steps, tried
    return None, tried


def throughput(model, image, target, tolerance, batch_size, rounds=3) -> dict:
    """Gradient evaluations per second: plain forward+backward vs "auto", alternately.

    The plain pass differentiates the very points "auto" evaluates (its final nodes, in batches
    of ``batch_size``, built beforehand): on this CPU the speed of a pass depends on the images
    (dark points near the black baseline run slower than random noise), so only the same points
    make a fair ceiling. "auto" is timed whole, from the call to the attributions.
    """
    import tensorflow as tf

    from benchmarks.measure import _forward_backward_function
    from ig_tutorial import integrated_gradients

    def run_auto():
        return timed(
            integrated_gradients,
            model,
            image,
            target,
            m_steps="auto",
            tolerance=tolerance,
            batch_size=batch_size,
        )

    forward_backward = _forward_backward_function(model, tuple(image.shape))
    result, _, _ = run_auto()
    alphas = tf.constant(result.alphas, tf.float32)[:, None, None, None]
    points = alphas * image[None]  # black baseline
    batches = [
        points[start : start + batch_size]
        for start in range(0, len(result.alphas) - batch_size + 1, batch_size)
    ]
    forward_backward(batches[0]).numpy()
    ceiling, auto = 0.0, 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for batch in batches:
            forward_backward(batch).numpy()
        ceiling = max(ceiling, len(batches) * batch_size / (time.perf_counter() - start))
        result, seconds, _ = run_auto()
        auto = max(auto, result.num_evaluations / seconds)
    return {"batch_size": batch_size, "ceiling": ceiling, "auto": auto, "ratio": auto / ceiling}


def memory(photo: str, tolerance: float) -> dict:
    from benchmarks.memory_probe import run_memory_probe

    return run_memory_probe("ours auto", tolerance, image_name=photo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", nargs="+", default=list(PHOTOS))
    parser.add_argument("--tolerance", type=float, default=0.01)
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--repeats", type=int, default=2, help="best of N wall times")
    parser.add_argument(
        "--unseen", action="store_true", help="the cases no benchmark had used (issue 22)"
    )
    parser.add_argument("--quick", action="store_true", help="with --unseen: one case a kind")
    parser.add_argument(
        "--overhead", action="store_true", help="auto against fixed steps, same evaluations"
    )
    args = parser.parse_args(argv)
    if args.unseen:
        return run_unseen(args)
    if args.overhead:
        return run_overhead(args)
    tolerance = args.tolerance

    from benchmarks import path_grid
    from benchmarks.implementations import TUTORIAL_BATCH_SIZE, implementations
    from benchmarks.nonuniform_peer import bhat_nonuniform_ig
    from ig_tutorial import integrated_gradients, load_model, read_image
    from ig_tutorial.ig.batching import MIN_BATCH_SIZE as DEFAULT_BATCH_SIZE  # a photo's
    from ig_tutorial.sources import BUNDLED_MODEL

    start_load = uptime()
    print(f"uptime at start: {start_load}", flush=True)
    started = time.perf_counter()
    model = load_model(BUNDLED_MODEL)
    tutorial = next(entry for entry in implementations() if entry.name == "tutorial")
    rows = []
    for photo in args.photos:
        grid = path_grid.build(photo)
        image = read_image(photo)
        baseline = image * 0.0
        target = grid.target
        # Warm up: compile ours (both seams) and the peer's forward pass for this image's shape.
        integrated_gradients(model, image, target, m_steps=7)
        integrated_gradients(model, image, target, m_steps="auto", tolerance=0.5)
        uniform = path_grid.cheapest_uniform(
            path_grid.uniform_sweep(grid), tolerance, 2 * tolerance
        )
        peer_steps, peer_tried = cheapest_peer(
            model, image, target, grid, tolerance, DEFAULT_BATCH_SIZE
        )
        tutorial.prepare(model, image, baseline, target, TUTORIAL_STEPS)

        # The timed runs, one after the other for this photo, each the best of --repeats.
        repeats = args.repeats
        auto, auto_seconds, auto_warnings = best_of(
            repeats, integrated_gradients, model, image, target, m_steps="auto", tolerance=tolerance
        )
        tutorial_run, tutorial_seconds, _ = best_of(
            repeats, tutorial.attribute, model, image, baseline, target, TUTORIAL_STEPS
        )
        entries = {
            "auto": (auto.attributions, auto.num_evaluations, auto_seconds, 0),
            f"tutorial {TUTORIAL_STEPS}": (
                tutorial_run.attributions,
                tutorial_run.num_evaluations,
                tutorial_seconds,
                0,
            ),
        }
        if uniform is not None:
            fixed, seconds, _ = best_of(
                repeats, integrated_gradients, model, image, target, m_steps=uniform["m_steps"]
            )
            entries[f"best uniform ({uniform['m_steps']})"] = (
                fixed.attributions,
                fixed.num_evaluations,
                seconds,
                0,
            )
        if peer_steps is not None:
            peer, seconds, _ = best_of(
                repeats, bhat_nonuniform_ig, model, image, target, total_steps=peer_steps
            )
            entries[f"Bhat et al. ({peer_steps})"] = (
                peer.attributions,
                peer.num_evaluations,
                seconds,
                peer.forward_passes,
            )
        for name, (attributions, evaluations, seconds, forward) in entries.items():
            completeness, l2 = accuracy(attributions, grid)
            row = {
                "photo": photo,
                "run": name,
                "evaluations": evaluations,
                "forward_passes": forward,
                "completeness": completeness,
                "l2": l2,
                "meets": meets(completeness, l2, tolerance),
                "seconds": seconds,
            }
            if name == "auto":
                row["estimated_l2"] = auto.estimated_error
                row["warnings"] = "; ".join(auto_warnings)
                row["rounds"] = len(auto.convergence_history)
            rows.append(row)
            print(
                f"{photo:>13} {name:<22} {evaluations:4d} evals (+{forward} fwd) "
                f"completeness {completeness:6.2%} L2 {l2:6.2%} "
                f"{'ok ' if row['meets'] else 'MISS'} {seconds:6.1f} s",
                flush=True,
            )
        if uniform is None:
            print(f"{photo:>13} no uniform step count of the grid meets the bar", flush=True)
        if peer_steps is None:
            print(f"{photo:>13} Bhat et al.: no step count of {PEER_STEPS} meets it", flush=True)
        rows.append({"photo": photo, "run": "peer sweep", "tried": peer_tried})

    first = args.photos[0]
    image = read_image(first)
    rates = throughput(model, image, path_grid.load(first).target, tolerance, DEFAULT_BATCH_SIZE)
    print(f"throughput on {first}: {rates}", flush=True)
    probes = []
    if not args.no_memory:
        for photo in args.photos:
            probes.append({"photo": photo, **memory(photo, tolerance)})
            print(
                f"{photo:>13} auto peak RSS {probes[-1]['peak_rss_mb']:.0f} MB "
                f"(+{probes[-1]['growth_mb']:.0f} MB during the run)",
                flush=True,
            )
    end_load = uptime()
    print(f"uptime at end: {end_load}", flush=True)
    summary = {
        "tolerance": tolerance,
        "uptime_start": start_load,
        "uptime_end": end_load,
        "seconds": time.perf_counter() - started,
        "batch_size": DEFAULT_BATCH_SIZE,
        "tutorial_batch_size": TUTORIAL_BATCH_SIZE,
        "repeats": args.repeats,
        "throughput": rates,
        "memory": probes,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "runs.json").write_text(json.dumps({"summary": summary, "rows": rows}))
    table = markdown(rows, summary)
    (args.results / "results.md").write_text(table)
    write_csv([row for row in rows if "evaluations" in row], args.results / "results.csv")
    plot(rows, tolerance, args.results / "auto_steps.png")
    print("\n" + table)
    return 0


def write_csv(rows, path: Path) -> None:
    fields = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _geometric_mean(values) -> float:
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def markdown(rows, summary) -> str:
    """The results table and the targets' ratios, from the measurements only."""
    t = summary["tolerance"]
    runs = [row for row in rows if "evaluations" in row]
    lines = [
        f"Tolerance {t:g}: the bar is completeness <= {t:.0%} and L2 <= {2 * t:.0%} against "
        "Gauss-Legendre 512. Batch size: ours "
        f"{summary['batch_size']}, the tutorial {summary['tutorial_batch_size']}. Wall times: "
        f"best of {summary['repeats']}.",
        "",
        f"- uptime at start: `{summary['uptime_start']}`",
        f"- uptime at end: `{summary['uptime_end']}`",
        f"- benchmark time: {summary['seconds']:.0f} s",
        "",
        "| photo | run | gradient evaluations | completeness | L2 vs reference | bar met | "
        "wall time (s) | peak RSS (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    memory = {probe["photo"]: probe for probe in summary["memory"]}
    for row in runs:
        evaluations = str(row["evaluations"])
        if row["forward_passes"]:
            evaluations += f" (+{row['forward_passes']} forward)"
        if row["run"] == "auto":
            evaluations += f", {row['rounds']} rounds"
        rss = ""
        if row["run"] == "auto" and row["photo"] in memory:
            probe = memory[row["photo"]]
            rss = f"{probe['peak_rss_mb']:.0f} (+{probe['growth_mb']:.0f})"
        estimated = f" (est. {row['estimated_l2']:.2%})" if "estimated_l2" in row else ""
        lines.append(
            f"| {row['photo']} | {row['run']} | {evaluations} | {row['completeness']:.2%} "
            f"| {row['l2']:.2%}{estimated} | {'yes' if row['meets'] else '**no**'} "
            f"| {row['seconds']:.1f} | {rss} |"
        )
    lines += ["", "Targets:", ""]
    photos = list(dict.fromkeys(row["photo"] for row in runs))

    def find(photo, prefix):
        return next((r for r in runs if r["photo"] == photo and r["run"].startswith(prefix)), None)

    false_stops = [p for p in photos if not find(p, "auto")["meets"]]
    lines.append(
        f"- no false stop: {len(photos) - len(false_stops)} of {len(photos)} photos meet the bar"
        + (f" (missed: {', '.join(false_stops)})" if false_stops else "")
        + (" -> MET" if not false_stops else " -> MISSED")
    )
    time_ratios = {p: find(p, "auto")["seconds"] / find(p, "tutorial")["seconds"] for p in photos}
    mean = _geometric_mean(time_ratios.values())
    lines.append(
        f"- wall time, auto / tutorial 240: geometric mean {mean:.2f}x (target <= 0.4x: "
        f"{'MET' if mean <= 0.4 else 'MISSED'}); per photo "
        + ", ".join(f"{p} {r:.2f}" for p, r in time_ratios.items())
    )
    evaluation_ratios = {
        p: find(p, "auto")["evaluations"] / find(p, "best uniform")["evaluations"]
        for p in photos
        if find(p, "best uniform")
    }
    worst = max(evaluation_ratios.values(), default=float("nan"))
    lines.append(
        "- evaluations, auto / best uniform in hindsight (target <= 0.5x on each photo): "
        + ", ".join(f"{p} {r:.2f}" for p, r in evaluation_ratios.items())
        + f"; geometric mean {_geometric_mean(evaluation_ratios.values()):.2f}"
        + f" -> {'MET' if worst <= 0.5 else 'MISSED'}"
    )
    peer = {p: (find(p, "auto"), find(p, "Bhat")) for p in photos if find(p, "Bhat") is not None}
    lines.append(
        "- against Bhat et al. (its best step count in hindsight), auto / peer: evaluations "
        + ", ".join(f"{p} {a['evaluations'] / b['evaluations']:.2f}" for p, (a, b) in peer.items())
        + "; wall time "
        + ", ".join(f"{p} {a['seconds'] / b['seconds']:.2f}" for p, (a, b) in peer.items())
        + " (geometric mean "
        + f"{_geometric_mean(a['seconds'] / b['seconds'] for a, b in peer.values()):.2f})"
    )
    rates = summary["throughput"]
    lines.append(
        f"- throughput at batch {rates['batch_size']}: auto {rates['auto']:.1f} evaluations/s, "
        f"plain forward+backward on the same points {rates['ceiling']:.1f} images/s = "
        f"{rates['ratio']:.2f} (target "
        f">= 0.90: {'MET' if rates['ratio'] >= 0.9 else 'MISSED'})"
    )
    return "\n".join(lines) + "\n"


def plot(rows, tolerance: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [row for row in rows if "evaluations" in row]
    photos = list(dict.fromkeys(row["photo"] for row in runs))
    kinds = ("auto", "best uniform", "Bhat", "tutorial")
    fig, (count, seconds) = plt.subplots(1, 2, figsize=(12, 4))
    width = 0.2
    for k, kind in enumerate(kinds):
        chosen = [
            next((r for r in runs if r["photo"] == p and r["run"].startswith(kind)), None)
            for p in photos
        ]
        xs = [i + (k - 1.5) * width for i, r in enumerate(chosen) if r is not None]
        label = {"Bhat": "Bhat et al. (best in hindsight)", "tutorial": "tutorial 240"}.get(
            kind, kind + (" (in hindsight)" if kind == "best uniform" else "")
        )
        count.bar(xs, [r["evaluations"] for r in chosen if r], width, label=label)
        seconds.bar(xs, [r["seconds"] for r in chosen if r], width, label=label)
    for ax, title in ((count, "Gradient evaluations"), (seconds, "Wall time (s)")):
        ax.set_xticks(range(len(photos)), photos, rotation=20)
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
    count.set_ylim(0, 1.45 * max(row["evaluations"] for row in runs))
    count.legend(fontsize="small", ncol=2, loc="upper left")
    fig.suptitle(
        f"Bar: completeness <= {tolerance:.0%}, L2 <= {2 * tolerance:.0%} (t = {tolerance:g})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- issue 22: cases the benchmark has not used ----------------------------------------------

#: Photos of scikit-image's data folder (installed, offline) that no benchmark had used.
OTHER_PHOTOS = ("hubble_deep_field.jpg", "ihc.png", "retina.jpg")
#: ``(name, photo, kind)``: second-ranked targets, a white baseline, mirrored and other photos,
#: the kinds in turn (a run cut short has some of each).
UNSEEN_CASES = (
    ("coffee, 2nd class", "coffee", "second"),
    ("rocket, white baseline", "rocket", "white"),
    ("astronaut, mirrored", "astronaut", "mirrored"),
    ("retina", "retina.jpg", "other"),
    ("grace_hopper, 2nd class", "grace_hopper", "second"),
    ("ihc", "ihc.png", "other"),
    ("motorcycle, mirrored", "motorcycle", "mirrored"),
    ("coffee, white baseline", "coffee", "white"),
    ("chelsea, 2nd class", "chelsea", "second"),
    ("hubble_deep_field", "hubble_deep_field.jpg", "other"),
    ("grace_hopper, mirrored", "grace_hopper", "mirrored"),
    ("rocket, 2nd class", "rocket", "second"),
)
#: ``--quick``: one case of each kind.
QUICK_CASES = ("coffee, 2nd class", "rocket, white baseline", "astronaut, mirrored", "retina")


def unseen_case(model, photo: str, kind: str):
    """The image, baseline and target of one unseen case (top-1 unless ``kind`` is "second")."""
    import skimage.data
    import tensorflow as tf

    from ig_tutorial import read_image

    if photo in OTHER_PHOTOS:
        image = read_image(Path(skimage.data.__file__).parent / photo)
    else:
        image = read_image(photo)
    if kind == "mirrored":
        image = tf.constant(np.flip(image.numpy(), axis=1))
    baseline = tf.ones_like(image) if kind == "white" else tf.zeros_like(image)
    ranked = np.argsort(-model(image[tf.newaxis]).numpy()[0])
    return image, baseline, int(ranked[1] if kind == "second" else ranked[0])


def unseen_reference(model, name, image, baseline, target, folder: Path):
    """The 512-node Gauss-Legendre attributions (as ``path_grid``'s), cached in ``folder``."""
    from ig_tutorial import integrated_gradients

    path = folder / (name.replace(", ", "_").replace(" ", "_") + f"_gl{REFERENCE_NODES}.npz")
    if not path.is_file():
        reference = integrated_gradients(
            model, image, target, baseline=baseline, m_steps=REFERENCE_NODES, method="gausslegendre"
        )
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(
            path,
            attributions=reference.attributions.astype(np.float64),
            score_difference=reference.score_difference,
        )
    stored = np.load(path)
    return stored["attributions"], float(stored["score_difference"])


def run_unseen(args) -> int:
    """``--unseen``: auto against the tutorial's 240 steps on cases no benchmark has used."""
    from benchmarks.implementations import TUTORIAL_BATCH_SIZE, implementations
    from ig_tutorial import integrated_gradients, load_model
    from ig_tutorial.sources import BUNDLED_MODEL

    tolerance = args.tolerance
    start_load = uptime()
    print(f"uptime at start: {start_load}", flush=True)
    started = time.perf_counter()
    model = load_model(BUNDLED_MODEL)
    tutorial = next(entry for entry in implementations() if entry.name == "tutorial")
    cases = [case for case in UNSEEN_CASES if not args.quick or case[0] in QUICK_CASES]
    rows = []
    for name, photo, kind in cases:
        image, baseline, target = unseen_case(model, photo, kind)
        reference, score_difference = unseen_reference(
            model, name, image, baseline, target, args.results / "unseen_reference"
        )

        options = dict(baseline=baseline, m_steps="auto")
        integrated_gradients(model, image, target, **options, tolerance=0.5)
        tutorial.prepare(model, image, baseline, target, TUTORIAL_STEPS)
        # Alternately, best of --repeats each.
        auto_seconds, tutorial_seconds = math.inf, math.inf
        for _ in range(args.repeats):
            auto, seconds, auto_warnings = timed(
                integrated_gradients, model, image, target, **options, tolerance=tolerance
            )
            auto_seconds = min(auto_seconds, seconds)
            tutorial_run, seconds, _ = timed(
                tutorial.attribute, model, image, baseline, target, TUTORIAL_STEPS
            )
            tutorial_seconds = min(tutorial_seconds, seconds)
        row = {"case": name, "kind": kind, "target": target, "score_difference": score_difference}
        for run, attributions, evaluations, seconds in (
            ("auto", auto.attributions, auto.num_evaluations, auto_seconds),
            ("tutorial", tutorial_run.attributions, tutorial_run.num_evaluations, tutorial_seconds),
        ):
            attributions = np.asarray(attributions, np.float64)
            completeness = abs(attributions.sum() - score_difference) / abs(score_difference)
            l2 = float(np.linalg.norm(attributions - reference) / np.linalg.norm(reference))
            row[run] = {
                "evaluations": int(evaluations),
                "seconds": seconds,
                "completeness": float(completeness),
                "l2": l2,
                "meets": bool(meets(completeness, l2, tolerance)),
            }
        row["auto"]["estimated_l2"] = float(auto.estimated_error)
        row["auto"]["converged"] = not auto_warnings
        # A false stop: "auto" says it met the tolerance, and the truth does not.
        row["false_stop"] = row["auto"]["converged"] and not row["auto"]["meets"]
        rows.append(row)
        a, t = row["auto"], row["tutorial"]
        print(
            f"{name:>26} target {target:4d}: auto {a['evaluations']:4d} evals "
            f"{a['seconds']:6.1f} s completeness {a['completeness']:6.2%} L2 {a['l2']:6.2%} "
            f"(est. {a['estimated_l2']:.2%}){' FALSE STOP' if row['false_stop'] else ''} | "
            f"tutorial {t['evaluations']} evals {t['seconds']:6.1f} s L2 {t['l2']:6.2%} | "
            f"ratio {a['seconds'] / t['seconds']:.2f}",
            flush=True,
        )
        # Written after every case, so that a long run interrupted keeps what it measured.
        summary = {
            "tolerance": tolerance,
            "uptime_start": start_load,
            "uptime_end": uptime(),
            "seconds": time.perf_counter() - started,
            "repeats": args.repeats,
            "tutorial_batch_size": TUTORIAL_BATCH_SIZE,
        }
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / "unseen.json").write_text(json.dumps({"summary": summary, "rows": rows}))
        table = unseen_markdown(rows, summary)
        (args.results / "unseen.md").write_text(table)
    print(f"uptime at end: {summary['uptime_end']}", flush=True)
    print("\n" + table)
    return 0


def unseen_markdown(rows, summary) -> str:
    """The unseen cases' table and the target's ratios, from the measurements only."""
    t = summary["tolerance"]
    lines = [
        f"Tolerance {t:g}: the bar is completeness <= {t:.0%} and L2 <= {2 * t:.0%} against "
        f"Gauss-Legendre {REFERENCE_NODES}. Tutorial batch {summary['tutorial_batch_size']}, "
        f"ours 8. Wall times: best of {summary['repeats']}, the two alternately.",
        "",
        f"- uptime at start: `{summary['uptime_start']}`",
        f"- uptime at end: `{summary['uptime_end']}`",
        f"- benchmark time: {summary['seconds']:.0f} s",
        "",
        "| case | auto: evaluations | completeness | L2 (est.) | false stop | tutorial 240: "
        "L2 | auto / tutorial: wall time | evaluations | time per evaluation |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        a, u = row["auto"], row["tutorial"]
        per_evaluation = (a["seconds"] / a["evaluations"]) / (u["seconds"] / u["evaluations"])
        lines.append(
            f"| {row['case']} | {a['evaluations']} | {a['completeness']:.2%} "
            f"| {a['l2']:.2%} ({a['estimated_l2']:.2%}) "
            f"| {'**yes**' if row['false_stop'] else 'no'} | {u['l2']:.2%} "
            f"| {a['seconds'] / u['seconds']:.2f} | {a['evaluations'] / u['evaluations']:.2f} "
            f"| {per_evaluation:.2f} |"
        )
    time_mean = _geometric_mean(r["auto"]["seconds"] / r["tutorial"]["seconds"] for r in rows)
    count_mean = _geometric_mean(
        r["auto"]["evaluations"] / r["tutorial"]["evaluations"] for r in rows
    )
    false_stops = [r["case"] for r in rows if r["false_stop"]]
    lines += [
        "",
        f"- wall time, auto / tutorial 240: geometric mean **{time_mean:.2f}x** (target <= 0.45x: "
        f"{'MET' if time_mean <= 0.45 else 'MISSED'}) = evaluations {count_mean:.2f}x times "
        f"time per evaluation {time_mean / count_mean:.2f}x",
        f"- false stops: {len(false_stops)} of {len(rows)}"
        + (f" ({', '.join(false_stops)})" if false_stops else "")
        + (" -> MET" if not false_stops else " -> MISSED"),
    ]
    return "\n".join(lines) + "\n"


# --- issue 22: the refinement's overhead per evaluation ---------------------------------------


def run_overhead(args) -> int:
    """``--overhead``: "auto" against fixed steps at the same evaluations, alternately.

    Per photo (top-1, black baseline), fixed steps take exactly as many evaluations as "auto"
    does, so both make the same model calls in number and size. Each run's time is split into
    the model calls (the seam's batches, gradients ready) and the rest, the bookkeeping
    around them; the ratios are the medians over ``--repeats`` alternate pairs.
    """
    from ig_tutorial import integrated_gradients, load_model, read_image
    from ig_tutorial.ig.path_integral import PathEnds
    from ig_tutorial.sources import BUNDLED_MODEL

    model_seconds = [0.0]
    seam = PathEnds.gradients

    def timed_batches(*a, **k):
        batches = seam(*a, **k)
        while True:
            start = time.perf_counter()
            batch = next(batches, None)
            if batch is None:
                return
            np.asarray(batch[3])  # the gradients are ready
            model_seconds[0] += time.perf_counter() - start
            yield batch

    PathEnds.gradients = timed_batches  # every road's model calls, fixed steps and "auto"
    model = load_model(BUNDLED_MODEL)
    print(f"uptime at start: {uptime()}", flush=True)
    lines = []
    for photo in args.photos:
        image = read_image(photo)
        target = int(np.argmax(model(image[None]).numpy()[0]))
        evaluations = integrated_gradients(
            model, image, target, m_steps="auto", tolerance=args.tolerance
        ).num_evaluations
        runs = {
            "fixed": dict(m_steps=evaluations - 1),
            "auto": dict(m_steps="auto", tolerance=args.tolerance),
        }
        integrated_gradients(model, image, target, **runs["fixed"])
        measured = {name: [] for name in runs}
        for _ in range(args.repeats):
            for name, options in runs.items():
                model_seconds[0] = 0.0
                start = time.perf_counter()
                integrated_gradients(model, image, target, **options)
                measured[name].append((time.perf_counter() - start, model_seconds[0]))
        fixed, auto = np.asarray(measured["fixed"]), np.asarray(measured["auto"])
        total = np.median(auto[:, 0] / fixed[:, 0]) - 1.0
        calls = np.median(auto[:, 1] / fixed[:, 1]) - 1.0
        rest = np.median(((auto[:, 0] - auto[:, 1]) - (fixed[:, 0] - fixed[:, 1])) / fixed[:, 0])
        lines.append(
            f"| {photo} | {evaluations} | {total:+.1%} | {calls:+.1%} | {rest:+.1%} "
            f"| {1e3 * np.median(auto[:, 0] - auto[:, 1]) / evaluations:.2f} "
            f"| {1e3 * np.median(fixed[:, 0] - fixed[:, 1]) / evaluations:.2f} |"
        )
        print(lines[-1], flush=True)
    print(f"uptime at end: {uptime()}", flush=True)
    print(
        f"\nMedians of {args.repeats} alternate pairs; auto against fixed steps at the same "
        "evaluations.\n\n| photo | evaluations | time per evaluation | in model calls | outside "
        "them (of the fixed run's time) | outside, auto (ms per evaluation) | outside, fixed |\n"
        "|---|---|---|---|---|---|---|\n" + "\n".join(lines)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
