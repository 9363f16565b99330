"""How many path points go into one model call: a default by the input's size, or measured.

Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365) spends one forward and backward
pass per point of the path, so its speed is set by how many points the hardware differentiates
per second. That rate depends on the batch size, and not monotonically: a GPU wants large
batches, while on a small CPU a batch of photos that outgrows the caches gets slower per photo.
A call also has a fixed cost, which small inputs (a table row, a digit) only amortise over
thousands of points. So the default (:func:`default_batch_size`) puts about
:data:`DEFAULT_CALL_VALUES` input values into a call, and ``batch_size="auto"`` measures
(:func:`choose_batch_size`). The results never depend on the batch size; measurements are in
``docs/benchmarks.md``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of, positive_integer
from ig_tutorial.ig.gradients import TARGET_OUTPUTS, Model, compiled_one_batch
from ig_tutorial.models.classifier import cached_on_model

#: The fewest points a call holds by default: on the benchmark's 2-core CPU batch 8 of photos ran
#: about 30% faster per evaluation than the tutorial's 32, and batches below 8 were never fastest.
MIN_BATCH_SIZE = 8

#: Input values the points of one call hold by default (a photo gets :data:`MIN_BATCH_SIZE`
#: points, a table row of 30 features 4096, a digit of 8 x 8 2048).
DEFAULT_CALL_VALUES = 2**17

#: The most input values one call's points may hold when measuring (256 photos), and the most
#: points: past it a call's fixed cost is long amortised.
POINT_BUDGET = 2**26
MAX_BATCH_SIZE = 2**14

#: Batch sizes :func:`choose_batch_size` tries for a photo, in this order.
CANDIDATE_BATCH_SIZES: tuple[int, ...] = (8, 16, 32, 64, 128, 256)

#: A batch size counts as fast as the best when its rate is within this fraction of it.
THROUGHPUT_TOLERANCE = 0.05

#: Input values timed per candidate, in at most :data:`MAX_TIMED_CALLS` calls: one call of a
#: few table rows lasts about a millisecond, too short to time once.
TIMED_VALUES = 2**20
MAX_TIMED_CALLS = 8


def _powers_of_two(largest: float) -> tuple[int, ...]:
    """8, 16, 32, ... up to ``largest`` (at least 8, at most :data:`MAX_BATCH_SIZE`)."""
    largest = max(MIN_BATCH_SIZE, min(MAX_BATCH_SIZE, largest))
    return tuple(2**power for power in range(3, int(np.log2(largest)) + 1))


def default_batch_size(input_shape: Sequence[int]) -> int:
    """Points per model call when none is given: about :data:`DEFAULT_CALL_VALUES` values."""
    return _powers_of_two(DEFAULT_CALL_VALUES / max(1, int(np.prod(input_shape))))[-1]


def candidate_batch_sizes(input_shape: Sequence[int]) -> tuple[int, ...]:
    """The batch sizes worth trying for inputs of ``input_shape``: 8, 16, ... up to a bound.

    At most :data:`POINT_BUDGET` values and :data:`MAX_BATCH_SIZE` points a call: a photo
    tries 8 to 256, a table row goes up to 16384.
    """
    return _powers_of_two(POINT_BUDGET / max(1, int(np.prod(input_shape))))


@dataclass(frozen=True)
class BatchSizeChoice:
    """The measured batch size, and the rates it was chosen from.

    ``batch_size`` is the smallest (least memory) whose rate is within
    :data:`THROUGHPUT_TOLERANCE` of the best; ``evaluations_per_second`` maps each size tried
    to its rate; ``seconds`` is what the measurement took.
    """

    batch_size: int
    evaluations_per_second: dict[int, float]
    seconds: float


def measure_evaluations_per_second(
    model: Model,
    input_shape: Sequence[int],
    batch_size: int,
    *,
    output: str = "probability",
    calls: int = 1,
    timer: Callable[[], float] = time.perf_counter,
) -> float:
    """Gradient evaluations per second of ``calls`` model calls of path points, after a warm-up.

    Times the function attributions run (the seam's ``one_batch``), one line of ``batch_size``
    points per call; the first call at a new shape also builds kernels, so it is not timed.
    ``timer`` is replaceable so that tests can use a model's own clock.
    """
    image = tf.fill((1, *input_shape), 0.5)
    one_batch = compiled_one_batch(model, output, len(input_shape))
    points = (
        tf.zeros_like(image),
        image,
        tf.zeros([1], tf.int32),
        tf.zeros([batch_size], tf.int32),
        tf.linspace(0.0, 1.0, batch_size),
        tf.fill([batch_size], 1.0 / batch_size),
    )
    one_batch(*points)[0].numpy()  # .numpy() waits for the result, not only its dispatch
    start = timer()
    for _ in range(calls):
        one_batch(*points)[0].numpy()
    return calls * batch_size / (timer() - start)


def choose_batch_size(
    model: Model,
    input_shape: Sequence[int],
    *,
    output: str = "probability",
    candidates: Sequence[int] | None = None,
    tolerance: float = THROUGHPUT_TOLERANCE,
    refresh: bool = False,
    timer: Callable[[], float] = time.perf_counter,
) -> BatchSizeChoice:
    """Measure which batch size differentiates ``model`` fastest, once per model and input shape.

    The candidates (default :func:`candidate_batch_sizes`) are tried in increasing order, each
    over calls that hold :data:`TIMED_VALUES` values (at most :data:`MAX_TIMED_CALLS`), and the
    search stops at the first more than ``tolerance`` below the best so far: past the peak,
    larger batches only cost memory. ``refresh`` measures again.

    Raises
    ------
    ValueError
        If ``input_shape`` is empty, ``output`` is unknown, or ``candidates`` is empty or not
        increasing positive integers.
    """
    one_of(output, TARGET_OUTPUTS, "output")
    input_shape = tuple(int(size) for size in input_shape)
    if not input_shape:
        raise ValueError(
            f"input_shape must be the shape of one input, e.g. (height, width, channels) or "
            f"(n_features,), got {input_shape}."
        )
    candidates = tuple(candidate_batch_sizes(input_shape) if candidates is None else candidates)
    if (
        not candidates
        or any(isinstance(size, bool) or int(size) != size or size < 1 for size in candidates)
        or list(candidates) != sorted(set(candidates))
    ):
        raise ValueError(
            f"candidates must be increasing positive integers, got {candidates!r}; for example "
            f"{CANDIDATE_BATCH_SIZES}."
        )
    key = ("batch size", input_shape, output, candidates, tolerance)
    choices = cached_on_model(model, "batch size choices", lambda _: {})
    if key in choices and not refresh:
        return choices[key]
    start = time.perf_counter()
    rates: dict[int, float] = {}
    for size in candidates:
        calls = TIMED_VALUES // (int(size) * int(np.prod(input_shape)))
        rates[size] = measure_evaluations_per_second(
            model,
            input_shape,
            int(size),
            output=output,
            calls=min(MAX_TIMED_CALLS, max(1, calls)),
            timer=timer,
        )
        if rates[size] < (1.0 - tolerance) * max(rates.values()):
            break
    best = max(rates.values())
    chosen = min(size for size, rate in rates.items() if rate >= (1.0 - tolerance) * best)
    choices[key] = BatchSizeChoice(int(chosen), rates, time.perf_counter() - start)
    return choices[key]


def resolve_batch_size(
    model: Model, batch_size: int | str | None, input_shape: Sequence[int], output: str
) -> int:
    """The batch size an attribution uses: ``None`` the default, ``"auto"`` measured, or given.

    Raises
    ------
    ValueError
        If ``batch_size`` is neither ``None``, ``"auto"`` nor a positive integer.
    """
    if batch_size is None:
        return default_batch_size(input_shape)
    if isinstance(batch_size, str) and batch_size == "auto":
        return choose_batch_size(model, input_shape, output=output).batch_size
    return positive_integer(batch_size, "batch_size")
