"""Faithfulness metrics: does the target's score follow the pixels a map ranks first.

Taught in ``notebooks/13_evaluating_attributions.py``. A map that looks right may still not say
what the model uses, so these metrics ask the model. RISE's **deletion** and **insertion**
(Petsiuk, Das & Saenko, 2018, BMVC, arXiv:1806.07421; ``CausalMetric`` in
github.com/eclique/RISE) rank the pixels by the map, most important first. Deletion replaces
``step`` pixels at a time by a substrate (black by default); insertion puts the image's pixels
back into a blurred copy. The target's softmax probability on each of the
``ceil(height * width / step) + 1`` images is a curve, scored by its normalised area
(:func:`normalized_auc`): a faithful map deletes to a **low** area and inserts to a **high** one.

Pixels are ranked by the **signed** channel sum of the map, as RISE ranks its maps by value: for
Integrated Gradients the pixels that raise the score come first and those that lower it last,
which is what the metrics reward. ``absolute=True`` ranks by ``sum_c |a|`` (the drawn maps,
:func:`ig_tutorial.ig.pixel_maps.pixel_map`), which mixes evidence for and against the class.
Ties keep raster order. A map is informative when it beats the controls that ignore the model:
:func:`random_map` and :func:`ig_tutorial.ig.sanity_checks.image_edges`. XRAI's information
curves (SIC, AIC) are in ``benchmarks/information_curves.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import class_index, one_image, one_of, positive_integer, positive_number
from ig_tutorial.ig.gradients import Model, logits_in_batches, target_scores
from ig_tutorial.ig.pixel_maps import pixel_map
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.models.heads import head_of
from ig_tutorial.progress import batches_bar

#: What replaces the pixels: ``"black"`` (zeros, RISE's deletion) or ``"blur"`` (RISE's
#: insertion start, :func:`blurred_image`).
SUBSTRATES: tuple[str, ...] = ("black", "blur")

#: RISE's blur: an 11 x 11 Gaussian kernel of standard deviation 5 pixels (``gkern(11, 5)``).
BLUR_KERNEL_SIZE = 11
BLUR_SIGMA = 5.0

#: Images per forward pass.
DEFAULT_BATCH_SIZE = 32


@dataclass(frozen=True)
class PerturbationCurve:
    """The target's probability as the ranked pixels are deleted or inserted.

    ``kind`` is ``"deletion"`` (lower :attr:`auc` is better) or ``"insertion"`` (higher is
    better); ``substrate`` what deleted pixels become or pixels are inserted into; ``step`` the
    pixels changed per step. ``fractions`` and ``probabilities`` have ``n_steps + 1`` values:
    the fraction of pixels changed (0 to 1) and the target's probability on each image.
    ``num_forward_passes`` is ``n_steps + 1``, ``num_model_calls`` the batches they took.
    """

    kind: str
    target: int
    substrate: str
    step: int
    fractions: np.ndarray
    probabilities: np.ndarray
    auc: float
    num_forward_passes: int
    num_model_calls: int


def normalized_auc(values: Sequence[float] | np.ndarray) -> float:
    """The area under a curve of ``n >= 2`` equally spaced points, on an x-axis from 0 to 1.

    RISE's ``auc``, the trapezoid rule: ``(sum(v) - v[0] / 2 - v[-1] / 2) / (n - 1)``.

    Raises
    ------
    ValueError
        If there are fewer than 2 values.
    """
    values = np.asarray(values, np.float64)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"an area needs a curve of at least 2 values, got shape {values.shape}.")
    return float((values.sum() - values[0] / 2 - values[-1] / 2) / (len(values) - 1))


def per_pixel_map(
    attributions: np.ndarray | tf.Tensor, image_shape: Sequence[int], *, absolute: bool = False
) -> np.ndarray:
    """The map as one finite, non-constant float64 value per pixel, ``(height, width)``.

    ``attributions`` has the image's shape (summed over the channels) or ``(height, width)``;
    ``absolute`` ranks by absolute values.

    Raises
    ------
    ValueError
        If the shape fits neither (naming both), a value is NaN or infinite, or the map is
        constant (it ranks no pixel above another).
    """
    values = np.asarray(attributions, np.float64)
    height, width = image_shape[:2]
    if values.shape == tuple(image_shape):
        values = pixel_map(values, absolute=absolute)
    elif values.shape == (height, width):
        values = np.abs(values) if absolute else values
    else:
        raise ValueError(
            f"attributions of shape {values.shape} do not fit the image of shape "
            f"{tuple(image_shape)}; pass {tuple(image_shape)} or ({height}, {width})."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError("attributions contain NaN or infinite values; a map must be finite.")
    if np.ptp(values) == 0:
        raise ValueError(
            f"the map is constant (every pixel is {float(values.flat[0])!r}), so it ranks no pixel "
            "above another; check that the attributions were computed (an all-zero map often "
            "means the image equals the baseline)."
        )
    return values


def pixel_ranking(values: np.ndarray) -> np.ndarray:
    """The flat pixel indices of a ``(height, width)`` map, highest first; ties in raster order."""
    return np.argsort(-np.ravel(values), kind="stable")


def blurred_image(
    image: np.ndarray | tf.Tensor,
    *,
    kernel_size: int = BLUR_KERNEL_SIZE,
    sigma: float = BLUR_SIGMA,
) -> np.ndarray:
    """RISE's blurred substrate: each channel convolved with a truncated Gaussian kernel, float32.

    The kernel is RISE's ``gkern``: an impulse on a ``kernel_size`` square smoothed by a
    Gaussian of ``sigma`` pixels. RISE pads its normalised tensors with zeros (the mean colour);
    here the border is reflected, so the substrate has no frame.
    """
    from scipy.ndimage import convolve, gaussian_filter

    size = positive_integer(kernel_size, "kernel_size")
    impulse = np.zeros((size, size))
    impulse[size // 2, size // 2] = 1.0
    kernel = gaussian_filter(impulse, positive_number(sigma, "sigma", "pixels"))
    pixels = np.asarray(image, np.float64)
    channels = [convolve(pixels[..., c], kernel, mode="reflect") for c in range(pixels.shape[-1])]
    return np.stack(channels, axis=-1).astype(np.float32)


def substrate_image(image: np.ndarray | tf.Tensor, substrate: str) -> np.ndarray:
    """The image pixels are replaced by (deletion) or inserted into: zeros or :func:`blurred_image`.

    Raises
    ------
    ValueError
        For a substrate not in :data:`SUBSTRATES`.
    """
    if one_of(substrate, SUBSTRATES, "substrate") == "black":
        return np.zeros(np.shape(image), np.float32)
    return blurred_image(image)


def random_map(image: np.ndarray | tf.Tensor, seed: int = 0) -> np.ndarray:
    """A control: one uniform random value in ``[0, 1)`` per pixel of ``image``, from ``seed``."""
    height, width = np.shape(image)[:2]
    return np.random.default_rng(seed).random((height, width))


class _PerturbedImages:
    """Image ``i`` of a game: ``start`` with its ``i * step`` top-ranked pixels from ``finish``.

    Built a batch at a time, so a curve never holds all its images.
    """

    def __init__(self, start: np.ndarray, finish: np.ndarray, order: np.ndarray, step: int):
        self.shape = start.shape
        self.start = start.reshape(-1, start.shape[-1])
        self.finish = finish.reshape(-1, finish.shape[-1])
        self.order = order
        self.step = step

    def __len__(self) -> int:
        return -(-len(self.order) // self.step) + 1

    def __getitem__(self, rows: slice) -> np.ndarray:
        images = []
        for i in range(*rows.indices(len(self))):
            image = self.start.copy()
            changed = self.order[: i * self.step]
            image[changed] = self.finish[changed]
            images.append(image.reshape(self.shape))
        return np.stack(images)


def _curves(
    model: Model,
    image: np.ndarray | tf.Tensor,
    target: int | str,
    attributions: np.ndarray | tf.Tensor,
    games: Sequence[tuple[str, str]],
    step: int | None,
    absolute: bool,
    batch_size: int,
    progress: bool,
) -> list[PerturbationCurve]:
    """The curves of ``games``, ``(kind, substrate)`` pairs, from one ranking of the pixels."""
    for _, substrate in games:
        one_of(substrate, SUBSTRATES, "substrate")
    batch_size = positive_integer(batch_size, "batch_size")
    if step is not None:
        step = positive_integer(step, "step")
    tensor = one_image(image)
    pixels = tensor.numpy()
    order = pixel_ranking(per_pixel_map(attributions, pixels.shape, absolute=absolute))
    index = resolve_target(model, tensor, target)
    head = head_of(model)  # the probability is the head's: a sigmoid's, or a softmax's
    step = pixels.shape[1] if step is None else step
    curves = []
    for kind, substrate in games:
        replacement = substrate_image(pixels, substrate)
        start, finish = (pixels, replacement) if kind == "deletion" else (replacement, pixels)
        images = _PerturbedImages(start, finish, order, step)
        found = []
        with batches_bar(len(images), batch_size, desc=f"{kind} batches", progress=progress) as bar:
            for logits in logits_in_batches(model, images, batch_size, bar=bar):
                class_index(index, int(head.classes(logits).shape[-1]))
                found.append(target_scores(logits, index, "probability", head).numpy())
        probabilities = np.concatenate(found).astype(np.float64)
        fractions = np.minimum(np.arange(len(images)) * step, len(order)) / len(order)
        curves.append(
            PerturbationCurve(
                kind=kind,
                target=index,
                substrate=substrate,
                step=step,
                fractions=fractions,
                probabilities=probabilities,
                auc=normalized_auc(probabilities),
                num_forward_passes=len(images),
                num_model_calls=len(found),
            )
        )
    return curves


def deletion_and_insertion(
    model: Model,
    image: np.ndarray | tf.Tensor,
    target: int | str,
    attributions: np.ndarray | tf.Tensor,
    *,
    step: int | None = None,
    deletion_substrate: str = "black",
    insertion_substrate: str = "blur",
    absolute: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> tuple[PerturbationCurve, PerturbationCurve]:
    """RISE's deletion and insertion curves of one map, from one ranking of its pixels.

    Parameters
    ----------
    model, image, target
        Images in ``[0, 1]`` -> logits (:func:`ig_tutorial.load_model`); one ``(height, width,
        3)`` image; a class index, label name or ``"top-1"`` (:func:`ig_tutorial.resolve_target`).
    attributions : array
        The map: the image's shape (summed over the channels) or ``(height, width)``.
    step : int, optional
        Pixels changed per step; default the image's width, as in RISE (225 images per curve
        for 224 x 224). A multiple of it gives a coarser, cheaper curve.
    deletion_substrate, insertion_substrate : {"black", "blur"}
        What deleted pixels become (RISE: black), what pixels are inserted into (RISE: the
        blurred image, :func:`blurred_image`).
    absolute : bool, default False
        Rank by ``sum_c |a|`` instead of the signed ``sum_c a`` (see the module's text).
    batch_size, progress
        Images per forward pass; a progress bar over the model calls of each curve.

    Returns
    -------
    deletion, insertion : PerturbationCurve
        Lower deletion :attr:`~PerturbationCurve.auc` and higher insertion ``auc`` are better.

    Raises
    ------
    ValueError
        If the map does not fit the image, is not finite or is constant (:func:`per_pixel_map`);
        ``step`` or ``batch_size`` is not a positive integer; a substrate is unknown; or the
        target is not a class of the model.
    """
    games = (("deletion", deletion_substrate), ("insertion", insertion_substrate))
    deletion, insertion = _curves(
        model, image, target, attributions, games, step, absolute, batch_size, progress
    )
    return deletion, insertion


def deletion_curve(
    model: Model,
    image: np.ndarray | tf.Tensor,
    target: int | str,
    attributions: np.ndarray | tf.Tensor,
    *,
    step: int | None = None,
    substrate: str = "black",
    absolute: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> PerturbationCurve:
    """RISE's deletion curve alone: from the image, the top-ranked pixels become ``substrate``.

    Its first image is the image, its last the substrate. Parameters and errors as
    :func:`deletion_and_insertion`.
    """
    settings = (step, absolute, batch_size, progress)
    return _curves(model, image, target, attributions, (("deletion", substrate),), *settings)[0]
