"""Gradients on a fine uniform grid of the path, kept on disk: every uniform rule in hindsight.

For one photo (bundled EfficientNet-Lite0, black baseline, top-1 class, probability) this
evaluates the attribution density ``(x - x') * dF/dx`` at ``alpha = k / N`` for ``k = 0..N`` and
stores it as a ``float32`` array of shape ``(N + 1, height, width, 3)`` with ``F`` at each node,
next to the 512-node Gauss-Legendre reference. From it, without another model call:

* the trapezoid rule with any ``m`` that divides ``N`` (``N = 960``: 16, 20, 24, 30, 32, 40, 48,
  60, 64, 80, 96, 120, 160, 192, 240, 320, 480, 960 steps), hence the cheapest uniform step count
  that meets an accuracy bar *in hindsight* (:func:`uniform_sweep`);
* the true error of any trapezoid sub-interval on the grid, which calibrates the error
  indicator of ``m_steps="auto"`` (``benchmarks/adaptive_calibration.py``).

Run from the repository root (about 2.5 minutes per photo on 2 CPU cores)::

    PYTHONPATH=$PWD python -m benchmarks.path_grid coffee grace_hopper chelsea \\
        astronaut rocket motorcycle
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / "results" / "path_grid"
#: Sub-intervals of the fine grid: 960 = 2^6 * 3 * 5 has many divisors, 240 (the tutorial's) among
#: them, and 1/960 resolves 6 bisections of a 15-interval start (``m_steps="auto"`` with batch 8).
GRID_STEPS = 960
REFERENCE_NODES = 512


@dataclass(frozen=True)
class PathGrid:
    """The cached evaluations of one photo.

    Attributes
    ----------
    photo : str
    target : int
        The top-1 class.
    alphas : numpy.ndarray
        ``k / N``, shape ``(N + 1,)``.
    scores : numpy.ndarray
        ``F`` at each alpha (float64).
    densities : numpy.ndarray
        ``(x - x') * dF/dx`` at each alpha, ``(N + 1, height, width, 3)``, float32, memory-mapped.
    reference : numpy.ndarray
        The Gauss-Legendre attributions (float64).
    score_difference : float
        ``F(x) - F(x')`` from the model's two end points.
    seconds : float
        Time the grid's evaluations took when they were made.
    """

    photo: str
    target: int
    alphas: np.ndarray
    scores: np.ndarray
    densities: np.ndarray
    reference: np.ndarray
    score_difference: float
    seconds: float

    def trapezoid(self, m_steps: int) -> np.ndarray:
        """Attributions of the uniform trapezoid rule with ``m_steps`` (a divisor of N)."""
        stride, remainder = divmod(len(self.alphas) - 1, m_steps)
        if remainder:
            raise ValueError(f"{m_steps} does not divide the grid's {len(self.alphas) - 1} steps")
        nodes = self.densities[::stride].astype(np.float64)
        return (nodes[:-1] + nodes[1:]).sum(axis=0) / (2.0 * m_steps)


def _paths(photo: str, cache: Path) -> dict[str, Path]:
    folder = cache / photo
    return {
        "folder": folder,
        "densities": folder / f"densities_{GRID_STEPS}.npy",
        "scores": folder / f"scores_{GRID_STEPS}.npy",
        "reference": folder / f"reference_gl{REFERENCE_NODES}.npy",
        "meta": folder / "meta.json",
    }


def build(photo: str, cache: Path = CACHE, batch_size: int = 8) -> PathGrid:
    """Evaluate and store the grid and the reference of ``photo`` (skipped when cached)."""
    import tensorflow as tf

    from ig_tutorial import integrated_gradients, load_model, read_image
    from ig_tutorial.ig.path_integral import prepare_ends
    from ig_tutorial.sources import BUNDLED_MODEL

    paths = _paths(photo, cache)
    if paths["meta"].is_file():
        return load(photo, cache)
    paths["folder"].mkdir(parents=True, exist_ok=True)
    model = load_model(BUNDLED_MODEL)
    image = read_image(photo)
    baseline = tf.zeros_like(image)
    target = int(tf.argmax(model(image[tf.newaxis])[0]))
    alphas = np.arange(GRID_STEPS + 1) / GRID_STEPS
    densities = np.lib.format.open_memmap(
        paths["densities"], mode="w+", dtype=np.float32, shape=(GRID_STEPS + 1, *image.shape)
    )
    scores = np.empty(GRID_STEPS + 1)
    difference = (image - baseline).numpy()
    start = time.perf_counter()
    ends = prepare_ends(
        model, image, target, baseline, output="probability", batch_size=batch_size, one=True
    )
    first = 0
    for _, _, batch_scores, gradients in ends.gradients(np.zeros(alphas.size), alphas):
        densities[first : first + len(gradients)] = gradients.numpy() * difference
        scores[first : first + len(gradients)] = batch_scores
        first += len(gradients)
    seconds = time.perf_counter() - start
    densities.flush()
    np.save(paths["scores"], scores)
    reference = integrated_gradients(
        model, image, target, m_steps=REFERENCE_NODES, method="gausslegendre"
    )
    np.save(paths["reference"], reference.attributions.astype(np.float64))
    meta = {
        "photo": photo,
        "target": target,
        "score_difference": reference.score_difference,
        "seconds": seconds,
    }
    paths["meta"].write_text(json.dumps(meta))
    return load(photo, cache)


def load(photo: str, cache: Path = CACHE) -> PathGrid:
    """The cached grid of ``photo`` (build it first with :func:`build`)."""
    paths = _paths(photo, cache)
    meta = json.loads(paths["meta"].read_text())
    return PathGrid(
        photo=photo,
        target=meta["target"],
        alphas=np.arange(GRID_STEPS + 1) / GRID_STEPS,
        scores=np.load(paths["scores"]),
        densities=np.load(paths["densities"], mmap_mode="r"),
        reference=np.load(paths["reference"]),
        score_difference=meta["score_difference"],
        seconds=meta["seconds"],
    )


def uniform_sweep(grid: PathGrid) -> list[dict]:
    """Completeness and L2 error of the trapezoid rule at every divisor of the grid (>= 8)."""
    rows = []
    reference_norm = np.linalg.norm(grid.reference)
    for m_steps in range(8, GRID_STEPS + 1):
        if GRID_STEPS % m_steps:
            continue
        attributions = grid.trapezoid(m_steps)
        rows.append(
            {
                "m_steps": m_steps,
                "evaluations": m_steps + 1,
                "completeness": abs(attributions.sum() - grid.score_difference)
                / abs(grid.score_difference),
                "l2": float(np.linalg.norm(attributions - grid.reference) / reference_norm),
            }
        )
    return rows


def cheapest_uniform(rows: list[dict], completeness: float, l2: float) -> dict | None:
    """The uniform step count with the fewest evaluations that meets both bars, in hindsight."""
    adequate = [row for row in rows if row["completeness"] <= completeness and row["l2"] <= l2]
    return min(adequate, key=lambda row: row["evaluations"]) if adequate else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="+")
    args = parser.parse_args()
    for photo in args.photos:
        grid = build(photo)
        print(f"{photo}: target {grid.target}, grid evaluated in {grid.seconds:.0f} s")
        for row in uniform_sweep(grid):
            print(
                f"  m={row['m_steps']:4d}  completeness {row['completeness']:7.2%}  "
                f"L2 {row['l2']:7.2%}"
            )


if __name__ == "__main__":
    main()
