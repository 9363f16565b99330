"""How many gradient evaluations go into one model call, chosen by measuring.

The measurements behind the defaults are in ``docs/benchmarks.md``. Integrated Gradients
(Sundararajan et al., 2017, arXiv:1703.01365) spends one forward and backward pass per point of the
path, so its cost is set by how many points the hardware differentiates per second. That rate
depends on the batch size, and not monotonically: a GPU wants large batches, while on a small CPU a
batch that outgrows the caches gets *slower* per image (on the 2-core benchmark machine, batch 8
beat batch 64 by about 50%). No constant suits both, so :func:`choose_batch_size` measures: it times
the path gradients of :mod:`ig_tutorial.ig.gradients` at growing batch sizes, stops once the
rate falls past its peak, and remembers the answer for the model. The result of Integrated Gradients
never depends on the batch size, only its speed and memory do.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of, positive_integer
from ig_tutorial.ig.gradients import TARGET_OUTPUTS, Model, gradients_in_batches
from ig_tutorial.ig.paths import straight_line

#: Gradient evaluations per model call when ``batch_size`` is not given: measured, not guessed.
#: On the benchmark's 2-core CPU batch 8 ran about 30% faster per evaluation than the
#: tutorial's 32 (``docs/benchmarks.md``); on a GPU pass ``batch_size="auto"`` or a larger size.
DEFAULT_BATCH_SIZE = 8

#: Batch sizes :func:`choose_batch_size` tries for a photo, in this order. Batches below 8 were
#: never the fastest in the benchmark (batch 1 ran at half the rate of batch 8 on a 2-core CPU).
CANDIDATE_BATCH_SIZES: tuple[int, ...] = (8, 16, 32, 64, 128, 256)

#: The most input values one model call's points may hold together, ``2**26`` float32 values
#: (256 MiB): 256 photos of 224 x 224 x 3 (as :data:`CANDIDATE_BATCH_SIZES` allow), and
#: :data:`MAX_BATCH_SIZE` rows of any table.
POINT_BUDGET = 2**26

#: The largest batch :func:`choose_batch_size` tries, however small the input: past it a call's
#: fixed cost is long amortised (``docs/benchmarks.md``).
MAX_BATCH_SIZE = 2**14


def candidate_batch_sizes(image_shape: Sequence[int]) -> tuple[int, ...]:
    """The batch sizes worth trying for inputs of ``image_shape``: 8, 16, 32, ... up to a bound.

    The bound is :data:`POINT_BUDGET` values per call (at most :data:`MAX_BATCH_SIZE` points):
    a photo tries 8 to 256 (:data:`CANDIDATE_BATCH_SIZES`), a table row of 30 features or a
    digit of 8 x 8 goes up to 16384, where a call's fixed cost is spread over many points.

    Parameters
    ----------
    image_shape : sequence of int
        The shape of one input.

    Returns
    -------
    tuple of int
        Increasing powers of two, from 8.
    """
    size = max(1, int(np.prod(image_shape)))
    largest = max(8, min(MAX_BATCH_SIZE, POINT_BUDGET // size))
    return tuple(2**power for power in range(3, int(np.log2(largest)) + 1))


#: A batch size counts as fast as the best when its rate is within this fraction of it.
THROUGHPUT_TOLERANCE = 0.05

#: The input values (points x values an input) that :func:`choose_batch_size` times for each
#: candidate, in at most :data:`MAX_TIMED_CALLS` calls: a call of a few table rows or digits
#: lasts about a millisecond, too short to be timed once (one scheduler tick would decide),
#: while one call of photos lasts long enough.
TIMED_VALUES = 2**20

#: The most timed calls per candidate batch size.
MAX_TIMED_CALLS = 8


@dataclass(frozen=True)
class BatchSizeChoice:
    """The measured batch size, and the measurements it was chosen from.

    Attributes
    ----------
    batch_size : int
        The smallest measured batch size whose rate is within :data:`THROUGHPUT_TOLERANCE` of
        the best (smaller batches need less memory).
    evaluations_per_second : dict of int to float
        Gradient evaluations per second at each batch size tried.
    seconds : float
        Time the measurement took, warm-up calls included.
    """

    batch_size: int
    evaluations_per_second: dict[int, float]
    seconds: float


def measure_evaluations_per_second(
    model: Model,
    image_shape: Sequence[int],
    batch_size: int,
    *,
    output: str = "probability",
    calls: int = 1,
    timer: Callable[[], float] = time.perf_counter,
) -> float:
    """Time one model call of the path gradients of ``model`` at one batch size.

    One untimed call comes first: the first call at a new batch shape also builds kernels.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    image_shape : sequence of int
        ``(height, width, channels)`` of the images that will be attributed.
    batch_size : int
        Points of the path per model call.
    output : {"probability", "logit"}, default "probability"
        The differentiated score (each has its own compiled function).
    calls : int, default 1
        Timed calls; more average out noise.
    timer : callable, default time.perf_counter
        Seconds since an arbitrary origin (replaceable so tests can use a model's own clock).

    Returns
    -------
    float
        Gradient evaluations per second.
    """
    image = tf.fill(tuple(image_shape), 0.5)
    points = straight_line(tf.zeros_like(image), image, np.linspace(0.0, 1.0, batch_size))

    def one_call() -> None:
        for _, gradients, _ in gradients_in_batches(model, points, 0, output, batch_size):
            # .numpy() waits for the result, so the timer sees the work and not its dispatch.
            gradients.numpy()

    one_call()
    start = timer()
    for _ in range(calls):
        one_call()
    return calls * batch_size / (timer() - start)


_CHOICES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def choose_batch_size(
    model: Model,
    image_shape: Sequence[int],
    *,
    output: str = "probability",
    candidates: Sequence[int] | None = None,
    tolerance: float = THROUGHPUT_TOLERANCE,
    refresh: bool = False,
    timer: Callable[[], float] = time.perf_counter,
) -> BatchSizeChoice:
    """Measure which batch size differentiates ``model`` fastest, once per model and image shape.

    The candidates are tried in increasing order; the search stops at the first one whose rate
    is more than ``tolerance`` below the best so far (past the peak, larger batches only cost
    memory). Each is timed over calls that hold at least :data:`TIMED_VALUES` input values in
    all (at most :data:`MAX_TIMED_CALLS` calls; one for photos). On the benchmark's 2-core CPU
    this tries 8 and 16 for a photo and costs about 3 s, once.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    image_shape : sequence of int
        ``(height, width, channels)`` of the images that will be attributed.
    output : {"probability", "logit"}, default "probability"
        The differentiated score.
    candidates : sequence of int, optional
        Batch sizes to try, increasing; default :func:`candidate_batch_sizes` of the shape.
    tolerance : float, default :data:`THROUGHPUT_TOLERANCE`
        How far below the best rate still counts as equally fast.
    refresh : bool, default False
        Measure again even if this model and shape were measured before.
    timer : callable, default time.perf_counter
        Seconds since an arbitrary origin.

    Returns
    -------
    BatchSizeChoice

    Raises
    ------
    ValueError
        If ``image_shape`` is not ``(height, width, channels)`` or ``(n_features,)``, or
        ``candidates`` is empty or not made of increasing positive integers.
    """
    one_of(output, TARGET_OUTPUTS, "output")
    image_shape = tuple(int(size) for size in image_shape)
    if len(image_shape) not in (1, 3):
        raise ValueError(
            f"image_shape must be (height, width, channels), or (n_features,) for a tabular "
            f"model, got {image_shape}; pass the shape of one input, not of a batch."
        )
    candidates = tuple(candidate_batch_sizes(image_shape) if candidates is None else candidates)
    if (
        not candidates
        or any(isinstance(size, bool) or int(size) != size or size < 1 for size in candidates)
        or list(candidates) != sorted(set(candidates))
    ):
        raise ValueError(
            f"candidates must be increasing positive integers, got {candidates!r}; for example "
            f"{CANDIDATE_BATCH_SIZES}."
        )
    key = (image_shape, output, candidates, tolerance)
    per_model = _CHOICES.setdefault(model, {})
    if key in per_model and not refresh:
        return per_model[key]

    start = time.perf_counter()
    rates: dict[int, float] = {}
    for size in candidates:
        calls = TIMED_VALUES // (int(size) * int(np.prod(image_shape)))
        rates[size] = measure_evaluations_per_second(
            model,
            image_shape,
            int(size),
            output=output,
            calls=min(MAX_TIMED_CALLS, max(1, calls)),
            timer=timer,
        )
        if rates[size] < (1.0 - tolerance) * max(rates.values()):
            break
    best = max(rates.values())
    chosen = min(size for size, rate in rates.items() if rate >= (1.0 - tolerance) * best)
    choice = BatchSizeChoice(
        batch_size=int(chosen),
        evaluations_per_second=rates,
        seconds=time.perf_counter() - start,
    )
    per_model[key] = choice
    return choice


def resolve_batch_size(
    model: Model,
    batch_size: int | str | None,
    image_shape: Sequence[int],
    output: str = "probability",
) -> int:
    """The batch size an attribution uses: the default, a measured one, or the one given.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    batch_size : int, "auto" or None
        ``None`` means :data:`DEFAULT_BATCH_SIZE`; ``"auto"`` measures the fastest once per
        model and image shape (:func:`choose_batch_size`).
    image_shape : sequence of int
        ``(height, width, channels)`` of the attributed image, for ``"auto"``.
    output : {"probability", "logit"}, default "probability"
        The differentiated score, for ``"auto"``.

    Returns
    -------
    int
        Gradient evaluations per model call.

    Raises
    ------
    ValueError
        If ``batch_size`` is neither ``None``, ``"auto"`` nor a positive integer.
    """
    if batch_size is None:
        return DEFAULT_BATCH_SIZE
    if isinstance(batch_size, str) and batch_size == "auto":
        return choose_batch_size(model, image_shape, output=output).batch_size
    return positive_integer(batch_size, "batch_size")
