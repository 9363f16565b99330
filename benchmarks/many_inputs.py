"""Many inputs at once: vectorised IG against one input at a time, and against the ceiling.

Issue 22's benchmark. For each kind of input, measured side by side in one run:

* **one at a time**: ``integrated_gradients`` on each input in turn, at its default batch size
  (by the input's size), as a loop over a test set is written;
* **vectorised**: one ``integrated_gradients_many`` call over all the inputs with
  ``batch_size="auto"`` (the path points of several inputs share each model call), and with
  the default batch size, as a user first calls it (issue 28: at least 50x the loop on a
  table); and one target and baseline per input against one for all, at the default;
* **ceiling**: a plain compiled forward and backward pass of the same model on random inputs at
  the batch size "auto" chose, in gradient evaluations per second: what the hardware does with
  no Integrated Gradients around it.

The kinds are notebook 10's two models, retrained here with its seeds and layers (its digits CNN
on the 450 test digits, its breast-cancer network on the 143 test rows, against the feature
means), and the six bundled photos on the bundled EfficientNet-Lite0 (black baseline, top-1),
all at 64 steps. The photos also compare ``m_steps="auto"`` (tolerance 0.01) with fixed steps
(as many evaluations as "auto" takes on average) in seconds per gradient evaluation, the two
alternately ``--repeats`` times. The largest relative L2 difference between the two
ways shows that they compute the same attributions. ``uptime`` is printed before and after: the
ratios are measured side by side, the absolute times only as good as the machine was quiet.

Run from the repository root (about 3 minutes on 2 CPU cores)::

    PYTHONPATH=$PWD python -m benchmarks.many_inputs
    PYTHONPATH=$PWD python -m benchmarks.many_inputs --kinds table digits   # no photos
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import tensorflow as tf

from ig_tutorial import integrated_gradients, integrated_gradients_many, load_model, read_image
from ig_tutorial.ig.gradients import gradients_at
from ig_tutorial.sources import BUNDLED_IMAGES, BUNDLED_MODEL

M_STEPS = 64
SEED = 0
EPOCHS = 10


@dataclass
class Workload:
    """Inputs to explain with one model: what a loop over a test set would attribute."""

    name: str
    model: Callable
    inputs: np.ndarray
    targets: list
    baseline: np.ndarray | None


def digits_workload() -> Workload:
    """Notebook 10's digits CNN (seed 0, 10 epochs) and its 450 test digits, true labels."""
    import keras
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., np.newaxis]
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.25, random_state=SEED, stratify=digits.target
    )
    keras.utils.set_random_seed(SEED)
    network = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Rescaling(2.0, offset=-1.0),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    network.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    network.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, verbose=0)
    return Workload("digits (8 x 8 x 1)", load_model(network), x_test, list(y_test), None)


def table_workload() -> Workload:
    """Notebook 10's breast-cancer network (seed 0, 30 epochs), its 143 test rows, the means."""
    import keras
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    cancer = load_breast_cancer()
    features = cancer.data.astype("float32")
    f_train, f_test, c_train, _ = train_test_split(
        features, cancer.target, test_size=0.25, random_state=SEED, stratify=cancer.target
    )
    keras.utils.set_random_seed(SEED)
    standardise = keras.layers.Normalization()
    standardise.adapt(f_train)
    network = keras.Sequential(
        [
            keras.Input(shape=(features.shape[1],)),
            standardise,
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(2),
        ]
    )
    network.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    network.fit(f_train, c_train, epochs=3 * EPOCHS, batch_size=32, verbose=0)
    return Workload(
        "table (30 features)", load_model(network), f_test, [0] * len(f_test), f_train.mean(0)
    )


def photos_workload() -> Workload:
    """The six bundled photos on the bundled model, black baseline, top-1."""
    photos = np.stack([read_image(name).numpy() for name in BUNDLED_IMAGES])
    return Workload(
        "photos (224 x 224 x 3)", load_model(BUNDLED_MODEL), photos, ["top-1"] * 6, None
    )


def ceiling_rate(model: Callable, shape: tuple[int, ...], batch_size: int) -> float:
    """Gradient evaluations per second of a plain compiled forward and backward pass."""
    inputs = tf.random.stateless_uniform((batch_size, *shape), seed=(0, batch_size))
    gradients_at(model, inputs, 0, "probability")[0].numpy()  # the first call builds kernels
    calls = max(3, -(-2048 // batch_size))
    start = time.perf_counter()
    for _ in range(calls):
        gradients_at(model, inputs, 0, "probability")[0].numpy()
    return calls * batch_size / (time.perf_counter() - start)


def largest_difference(a: list, b: list) -> float:
    """The largest relative L2 difference between two lists of results, input by input."""
    return max(
        float(np.linalg.norm(x.attributions - y.attributions))
        / max(float(np.linalg.norm(y.attributions)), 1e-30)
        for x, y in zip(a, b, strict=True)
    )


def measure(work: Workload) -> dict:
    """One at a time, vectorised and the ceiling, side by side (each traced before it is timed).

    The ceiling is measured right before and right after the two runs, and the higher rate is
    kept, so that a change of load during the runs does not flatter "of ceiling".
    """
    options = dict(baseline=work.baseline, m_steps=M_STEPS)
    integrated_gradients_many(work.model, work.inputs[:2], work.targets[:2], **options)
    integrated_gradients(work.model, work.inputs[0], work.targets[0], **options)
    start = time.perf_counter()
    vectorised = integrated_gradients_many(
        work.model, work.inputs, work.targets, batch_size="auto", **options
    )
    vectorised_seconds = time.perf_counter() - start
    batch_size = vectorised[0].batch_size
    ceiling_before = ceiling_rate(work.model, work.inputs.shape[1:], batch_size)
    # More vectorised runs: the first includes batch_size="auto"'s one-off measurement. A run
    # under a second is repeated (7 in all) and the median kept: one run of a few milliseconds
    # is at the mercy of one scheduler tick.
    runs = []
    while len(runs) < 7 and (len(runs) == 0 or runs[0] < 1.0):
        start = time.perf_counter()
        vectorised = integrated_gradients_many(
            work.model, work.inputs, work.targets, batch_size=batch_size, **options
        )
        runs.append(time.perf_counter() - start)
    warm_seconds = float(np.median(runs))
    # The default batch size (by the input's size), as a user calls it with no tuning.
    default_seconds = _median_seconds(
        lambda: integrated_gradients_many(work.model, work.inputs, work.targets, **options)
    )
    # One target and one baseline per input against one for all, at the default batch size.
    shared = dict(m_steps=M_STEPS, baseline=options["baseline"])
    per_row = dict(m_steps=M_STEPS, baseline=_baseline_per_row(work))
    shared_seconds = _median_seconds(
        lambda: integrated_gradients_many(work.model, work.inputs, work.targets[0], **shared)
    )
    per_row_seconds = _median_seconds(
        lambda: integrated_gradients_many(work.model, work.inputs, work.targets, **per_row)
    )
    start = time.perf_counter()
    loop = [
        integrated_gradients(work.model, x, target, **options)
        for x, target in zip(work.inputs, work.targets, strict=True)
    ]
    loop_seconds = time.perf_counter() - start
    evaluations = sum(result.num_evaluations for result in vectorised)
    ceiling = max(ceiling_before, ceiling_rate(work.model, work.inputs.shape[1:], batch_size))
    return {
        "kind": work.name,
        "inputs": len(work.inputs),
        "batch_size": batch_size,
        "loop_seconds": loop_seconds,
        "vectorised_seconds": vectorised_seconds,
        "warm_seconds": warm_seconds,
        "default_seconds": default_seconds,
        "per_row_ratio": per_row_seconds / shared_seconds,
        "speedup": loop_seconds / warm_seconds,
        "rate": evaluations / warm_seconds,
        "ceiling": ceiling,
        "difference": largest_difference(vectorised, loop),
    }


def _median_seconds(run: Callable[[], object]) -> float:
    """The median of 7 runs (one for a run of a second or more), after one untimed run."""
    run()
    seconds = []
    while len(seconds) < 7 and (not seconds or seconds[0] < 1.0):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def _baseline_per_row(work: Workload) -> np.ndarray:
    """One baseline per input: the shared one (or black) plus a little seeded noise."""
    shared = np.zeros(work.inputs.shape[1:], np.float32) if work.baseline is None else work.baseline
    noise = np.random.default_rng(SEED).normal(scale=0.01, size=work.inputs.shape)
    return (shared + noise).astype(np.float32)


def auto_against_fixed(work: Workload, repeats: int = 3) -> dict:
    """Seconds per gradient evaluation of ``m_steps="auto"`` and of fixed steps, photos.

    The fixed run takes as many evaluations per photo as "auto" takes on average, so both make
    about as many model calls; the two run alternately ``repeats`` times and each ratio is the
    median of the pairs, so a change of load hits both alike.
    """

    def run(steps):
        start = time.perf_counter()
        results = integrated_gradients_many(work.model, work.inputs, work.targets, m_steps=steps)
        return time.perf_counter() - start, sum(result.num_evaluations for result in results)

    _, auto_n = run("auto")
    fixed_steps = round(auto_n / len(work.inputs)) - 1
    run(fixed_steps)
    pairs = []
    for _ in range(repeats):
        (fixed_s, fixed_n), (auto_s, auto_n) = run(fixed_steps), run("auto")
        pairs.append((fixed_s / fixed_n, auto_s / auto_n))
    fixed_per, auto_per = np.median(np.asarray(pairs), axis=0)
    return {
        "fixed_steps": fixed_steps,
        "fixed_per_evaluation": fixed_per,
        "auto_per_evaluation": auto_per,
        "fixed_evaluations": fixed_n,
        "auto_evaluations": auto_n,
        "overhead": float(np.median([auto / fixed for fixed, auto in pairs])) - 1.0,
        "repeats": repeats,
    }


WORKLOADS = {"digits": digits_workload, "table": table_workload, "photos": photos_workload}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", choices=tuple(WORKLOADS), default=tuple(WORKLOADS))
    parser.add_argument(
        "--repeats", type=int, default=3, help="alternate fixed and auto N times (photos)"
    )
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="each workload's inputs K times over: what grows with the inputs, what is per call",
    )
    args = parser.parse_args()
    print("before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    rows, auto = [], None
    for kind in args.kinds:
        work = WORKLOADS[kind]()
        if args.copies > 1:
            work = replace(
                work,
                name=f"{work.name}, {args.copies} copies",
                inputs=np.concatenate([work.inputs] * args.copies),
                targets=list(work.targets) * args.copies,
            )
        rows.append(measure(work))
        if kind == "photos":
            auto = auto_against_fixed(work, args.repeats)
    print("after: ", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    print(
        f"\n| inputs at {M_STEPS} steps | n | one at a time | vectorised (auto) "
        f"| speed-up | points a call | evaluations/s | ceiling | of ceiling | max L2 difference "
        f"| vectorised, default batch size | its speed-up | per-row targets and baselines |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['kind']} | {row['inputs']} | {row['loop_seconds']:.2f} s "
            f"| {row['warm_seconds']:.3g} s ({row['vectorised_seconds']:.2f} s with the "
            f"batch-size measurement) | {row['speedup']:.1f}x | {row['batch_size']} "
            f"| {row['rate']:.0f} | {row['ceiling']:.0f} | {row['rate'] / row['ceiling']:.0%} "
            f"| {row['difference']:.1e} | {row['default_seconds']:.3g} s "
            f"| {row['loop_seconds'] / row['default_seconds']:.1f}x "
            f"| {row['per_row_ratio']:.2f}x shared |"
        )
    if auto is not None:
        print(
            f"\nphotos, seconds per gradient evaluation (median of {auto['repeats']} alternate "
            f"runs): fixed {auto['fixed_steps']} steps "
            f"{1e3 * auto['fixed_per_evaluation']:.1f} ms ({auto['fixed_evaluations']} "
            f"evaluations), auto {1e3 * auto['auto_per_evaluation']:.1f} ms "
            f"({auto['auto_evaluations']} evaluations): auto's overhead {auto['overhead']:+.1%}"
        )


if __name__ == "__main__":
    main()
