"""How faithful is each attribution method? Deletion, insertion, SIC and AIC on twelve photos.

Issue 21's benchmark. Every method of :func:`ig_tutorial.ig.method_comparison.compared_methods`
(the gradient, gradient x input, IG from the black and the blurred baseline and averaged over
uniform-noise baselines, SmoothGrad-IG, Blur IG, Guided IG, IDGI, and the random and edge
controls), each on one budget of ``--steps + 1`` gradient evaluations and attributing the
target's probability, is scored on the six bundled photos and their mirror images (left-right),
for the bundled model's top-1 class of each:

* **deletion** and **insertion** (Petsiuk et al., 2018): the areas under the curves at RISE's
  step (one row of pixels, 224) and at eight rows a step (what notebook 13 uses), to measure
  what the coarser curve changes;
* **SIC** and **AIC** (Kapishnikov et al., 2019; ``benchmarks/information_curves.py``), where
  defined for the image.

It prints, and with ``--write-docs`` writes into ``docs/benchmarks.md`` (between the
``faithfulness`` markers) and ``docs/images/benchmark_faithfulness.png``: the mean of each score
over the photos, on how many photos each method beats IG from the black baseline, each map's
wall time, and the metrics' own cost (forward passes and seconds per score). ``uptime`` is
printed before and after: the times are only as good as the machine was quiet.

Run from the repository root (about 25 minutes on 2 CPU cores)::

    PYTHONPATH=$PWD python -m benchmarks.faithfulness --write-docs
    PYTHONPATH=$PWD python -m benchmarks.faithfulness --quick   # 2 photos, 16 steps, coarse
"""

from __future__ import annotations

import argparse
import re
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.information_curves import (  # noqa: E402
    InformationCurve,
    InformationCurveUndefined,
    information_curves,
)
from ig_tutorial import load_model, read_image  # noqa: E402
from ig_tutorial.ig.faithfulness import deletion_and_insertion  # noqa: E402
from ig_tutorial.ig.method_comparison import (  # noqa: E402
    LOWER_IS_BETTER,
    MethodScore,
    compared_methods,
    score_methods,
)
from ig_tutorial.ig.targets import resolve_target  # noqa: E402
from ig_tutorial.models.classifier import class_label  # noqa: E402
from ig_tutorial.plotting.faithfulness_plots import CONTROL_DASHES  # noqa: E402
from ig_tutorial.sources import BUNDLED_IMAGES, BUNDLED_MODEL  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
FIGURE = ROOT / "docs" / "images" / "benchmark_faithfulness.png"
DOCS_START = "<!-- faithfulness:start -->"
DOCS_END = "<!-- faithfulness:end -->"
#: The method the issue asks the others to be compared with.
REFERENCE_METHOD = "IG, black baseline"
METRICS = ("deletion", "insertion", "SIC", "AIC")
#: Notebook 13's coarse step: eight rows of a 224-pixel-wide image.
COARSE_ROWS = 8
#: The maps whose coarse curves are compared with the fine ones.
COARSE_METHODS = (REFERENCE_METHOD, "IDGI", "Random (control)", "Edges (control)")


@dataclass
class PhotoResult:
    """One photo's scores: every method's, at RISE's step, the coarse areas and the SIC and AIC.

    ``information`` maps a method to its curves by kind (empty where they are undefined for the
    image, or were not computed), ``information_seconds`` to the seconds they took.
    """

    name: str
    target: str
    scores: list[MethodScore]
    coarse: dict[str, tuple[float, float]]
    information: dict[str, dict[str, InformationCurve]]
    information_seconds: dict[str, float]

    def score(self, method: str) -> MethodScore:
        return next(score for score in self.scores if score.method == method)

    def area(self, method: str, metric: str) -> float:
        """The area of one of :data:`METRICS`; ``nan`` for an information curve not computed."""
        if metric in ("SIC", "AIC"):
            curve = self.information.get(method, {}).get(metric)
            return float("nan") if curve is None else curve.auc
        return self.score(method).area(metric)


def information_of(
    model, image: np.ndarray, target: int, scores: Sequence[MethodScore], **options
) -> tuple[dict[str, dict[str, InformationCurve]], dict[str, float]]:
    """Each scored map's SIC and AIC (empty where undefined for the image), and their seconds.

    ``options`` go to :func:`~benchmarks.information_curves.information_curves`.
    """
    curves, seconds = {}, {}
    for score in scores:
        start = time.perf_counter()
        try:
            curves[score.method] = information_curves(
                model, image, target, score.attributions, **options
            )
        except InformationCurveUndefined:
            curves[score.method] = {}
        seconds[score.method] = time.perf_counter() - start
    return curves, seconds


def photos(names: Sequence[str], size: tuple[int, int]) -> dict[str, np.ndarray]:
    """The bundled photos and their mirror images, by name."""
    chosen = {}
    for name in names:
        image = read_image(name, size=size).numpy()
        chosen[name] = image
        chosen[f"{name} (mirrored)"] = image[:, ::-1].copy()
    return chosen


def measure(
    model, images: dict[str, np.ndarray], steps: int, rows_per_step: int = 1
) -> list[PhotoResult]:
    """Score every method on every image (the slow part), printing one line per image.

    The SIC and AIC (5 to 9 s a map, mostly the interpolation of the revealed pixels) are
    computed for the photos whose name does not say "mirrored"; the coarse curves
    (:data:`COARSE_ROWS` rows a step) for :data:`COARSE_METHODS`.
    """
    methods = compared_methods(steps)
    results = []
    for name, image in images.items():
        target = resolve_target(model, image, "top-1")
        start = time.perf_counter()
        width = image.shape[1]
        scores = score_methods(model, image, target, methods, step=rows_per_step * width)
        information, information_seconds = {}, {}
        if "mirrored" not in name:
            information, information_seconds = information_of(model, image, target, scores)
        coarse = {}
        for score in scores:
            if score.method in COARSE_METHODS:
                deletion, insertion = deletion_and_insertion(
                    model, image, target, score.attributions, step=COARSE_ROWS * width
                )
                coarse[score.method] = (deletion.auc, insertion.auc)
        label = class_label(model, target) or str(target)
        print(f"{name}: {label}, {time.perf_counter() - start:.0f} s", flush=True)
        results.append(PhotoResult(name, label, scores, coarse, information, information_seconds))
    return results


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def summary_rows(results: Sequence[PhotoResult]) -> list[dict]:
    """Per method: mean of each metric, photos where it beats the reference, times, costs."""
    methods = [score.method for score in results[0].scores]
    rows = []
    for method in methods:
        row = {"method": method}
        for metric in METRICS:
            row[metric] = _mean([r.area(method, metric) for r in results])
            wins, compared = 0, 0
            for r in results:
                ours, theirs = r.area(method, metric), r.area(REFERENCE_METHOD, metric)
                if np.isfinite(ours) and np.isfinite(theirs):
                    compared += 1
                    better = ours < theirs if metric in LOWER_IS_BETTER else ours > theirs
                    wins += bool(better)
            row[f"{metric} wins"] = (wins, compared)
        row["seconds"] = _mean([r.score(method).seconds for r in results])
        differences = [
            max(
                abs(r.coarse[method][0] - r.score(method).deletion.auc),
                abs(r.coarse[method][1] - r.score(method).insertion.auc),
            )
            for r in results
            if method in r.coarse
        ]
        row["coarse difference"] = max(differences, default=float("nan"))
        rows.append(row)
    return rows


def cost_line(results: Sequence[PhotoResult]) -> str:
    """The metrics' own cost: forward passes per score and seconds per image and method."""
    scores = [score for result in results for score in result.scores]
    deletion = scores[0].deletion.num_forward_passes
    information = [
        curve.num_forward_passes
        for result in results
        for curves in result.information.values()
        for curve in curves.values()
    ]
    seconds = _mean(
        [
            score.scoring_seconds + result.information_seconds.get(score.method, 0.0)
            for result in results
            for score in result.scores
        ]
    )
    return (
        f"A deletion or an insertion curve takes {deletion} forward passes (one image each, "
        f"{results[0].scores[0].deletion.step} pixels a step); the SIC and AIC share "
        f"{max(information) if information else 0} more. Scoring one map by all four took "
        f"{seconds:.1f} s on average (mean over {len(scores)} maps)."
    )


def markdown(rows: Sequence[dict], results: Sequence[PhotoResult], machine: str) -> str:
    """The table and the lines around it, as they go into ``docs/benchmarks.md``."""
    lines = [
        machine,
        "",
        "| method | deletion (lower) | insertion (higher) | SIC (higher) | AIC (higher) "
        f"| beats {REFERENCE_METHOD} on deletion / insertion / SIC / AIC | seconds a map |",
        "|---|---|---|---|---|---|---|",
    ]
    best = {}
    for metric in METRICS:
        values = [row[metric] for row in rows if np.isfinite(row[metric])]
        best[metric] = min(values) if metric in LOWER_IS_BETTER else max(values)
    for row in rows:
        cells = []
        for metric in METRICS:
            text = f"{row[metric]:.3f}"
            cells.append(f"**{text}**" if row[metric] == best[metric] else text)
        wins = " / ".join(f"{w}/{n}" for w, n in (row[f"{m} wins"] for m in METRICS))
        if row["method"] == REFERENCE_METHOD:
            wins = "(the reference)"
        lines.append(
            f"| {row['method']} | " + " | ".join(cells) + f" | {wins} | {row['seconds']:.1f} |"
        )
    lines += ["", cost_line(results)]
    worst = max(row["coarse difference"] for row in rows if np.isfinite(row["coarse difference"]))
    step = results[0].scores[0].deletion.step
    lines.append(
        f"At {COARSE_ROWS} rows a step (notebook 13's curves) the deletion and insertion areas "
        f"differ from those at {step} pixels a step by at most {worst:.3f} (over "
        f"{', '.join(COARSE_METHODS)} and every photo)."
    )
    targets = ", ".join(f"{r.name}: {r.target}" for r in results)
    lines += ["", f"Targets (the bundled model's top-1): {targets}."]
    return "\n".join(lines)


def plot_mean_curves(results: Sequence[PhotoResult], path: Path) -> None:
    """Mean deletion and insertion curves over the photos, one line per method."""
    methods = [score.method for score in results[0].scores]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    colours = plt.get_cmap("tab10")
    controls = 0
    for index, method in enumerate(methods):
        if "control" in method.lower():
            style = {"color": "0.45", "linestyle": CONTROL_DASHES[controls % len(CONTROL_DASHES)]}
            controls += 1
        else:
            style = {"color": colours(index % 10)}
        for ax, kind in zip(axes, ("deletion", "insertion"), strict=True):
            curves = [getattr(r.score(method), kind) for r in results]
            mean = np.mean([curve.probabilities for curve in curves], axis=0)
            area = np.mean([curve.auc for curve in curves])
            ax.plot(curves[0].fractions, mean, label=f"{method} ({area:.3f})", **style)
    for ax, kind in zip(axes, ("deletion", "insertion"), strict=True):
        ax.set(
            title=f"{kind.capitalize()}, mean over {len(results)} photos",
            xlabel=f"fraction of pixels {'deleted' if kind == 'deletion' else 'inserted'}",
            xlim=(0, 1),
        )
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("probability of the top-1 class")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_docs(text: str, docs: Path = DOCS) -> None:
    """Replace what is between the faithfulness markers of ``docs/benchmarks.md``."""
    page = docs.read_text()
    if DOCS_START not in page or DOCS_END not in page:
        raise ValueError(f"{docs} has no {DOCS_START} ... {DOCS_END} section to fill.")
    pattern = re.compile(re.escape(DOCS_START) + ".*?" + re.escape(DOCS_END), re.S)
    docs.write_text(pattern.sub(lambda _: f"{DOCS_START}\n{text}\n{DOCS_END}", page))


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=64, help="steps of every path method")
    parser.add_argument(
        "--rows-per-step", type=int, default=1, help="pixel rows a curve step (RISE: 1)"
    )
    parser.add_argument("--quick", action="store_true", help="2 photos, 16 steps, coarse curves")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    model = load_model(BUNDLED_MODEL)
    names = list(BUNDLED_IMAGES)[:1] if args.quick else list(BUNDLED_IMAGES)
    steps = 16 if args.quick else args.steps
    rows = COARSE_ROWS if args.quick else args.rows_per_step
    before = _uptime()
    print("before:", before, flush=True)
    start = time.perf_counter()
    results = measure(model, photos(names, model.input_size), steps, rows)
    after = _uptime()
    print("after: ", after)
    machine = (
        f"`python -m benchmarks.faithfulness` ({time.strftime('%Y-%m-%d')}, {len(results)} "
        f"photos, {steps} steps a path method, {time.perf_counter() - start:.0f} s in all; "
        f"`uptime` before: {before.split('load average:')[-1].strip()}, after: "
        f"{after.split('load average:')[-1].strip()}):"
    )
    text = markdown(summary_rows(results), results, machine)
    print(text)
    if args.write_docs:
        plot_mean_curves(results, FIGURE)
        write_docs(text + f"\n\n![Mean deletion and insertion curves](images/{FIGURE.name})")
        print(f"wrote {DOCS.relative_to(ROOT)} and {FIGURE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
