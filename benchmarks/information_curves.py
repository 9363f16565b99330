"""XRAI's Performance Information Curves (SIC, AIC), for ``benchmarks/faithfulness.py``.

Kapishnikov, Bolukbasi, Viégas & Terry (2019, "XRAI: Better Attributions Through Regions",
ICCV, arXiv:1906.02825, section 4.2): insertion measured against the information the revealed
pixels carry rather than their number. Starting from a strongly blurred image, the top fraction
of the map's pixels (each of ``thresholds``) is revealed sharp, the rest interpolated from them;
each image's information is estimated by its size compressed losslessly (WebP), its performance
is the softmax probability of the target (the **SIC**) or whether the target is the top-1 class
(the **AIC**), both normalised between the fully blurred and the original image. The score is
the area under performance against information (higher is better).

:func:`information_curves` follows PAIR saliency's ``saliency.metrics.pic`` (Apache-2.0) step by
step, with the model called in batches through the package's seam
(:func:`ig_tutorial.ig.gradients.logits_in_batches`); its numbers equal ``compute_pic_metric``'s
(``tests/test_information_curves.py`` checks it). That module itself does not run on NumPy 2.4
(it calls ``np.trapz``, removed there) and calls its prediction function one image at a time.
The pixels are ranked as :mod:`ig_tutorial.ig.faithfulness` ranks them (signed by default).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import class_index, one_image, one_of, positive_integer, positive_number
from ig_tutorial.ig.faithfulness import DEFAULT_BATCH_SIZE, per_pixel_map
from ig_tutorial.ig.gradients import Model, logits_in_batches, target_scores
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.progress import batches_bar

#: The two Performance Information Curves: softmax (SIC) and accuracy (AIC).
INFORMATION_CURVES: tuple[str, ...] = ("SIC", "AIC")

#: The fractions of the most important pixels revealed, as in PAIR saliency's PIC example.
DEFAULT_THRESHOLDS: tuple[float, ...] = (
    0.005,
    0.01,
    0.02,
    0.03,
    0.04,
    0.05,
    0.07,
    0.10,
    0.13,
    0.21,
    0.34,
    0.5,
    0.75,
)

#: The fraction of random pixels kept sharp in the fully blurred image (pic's default).
DEFAULT_MASK_FRACTION = 0.01


class InformationCurveUndefined(ValueError):
    """A Performance Information Curve that cannot be computed for this image and target.

    Raised where PAIR saliency raises ``ComputePicMetricError``: the model scores the original
    image below ``min_pred_value``, or not higher than the fully blurred image, or the blurred
    image holds no less information than the original. The curve's normalisation divides by
    these differences, so the image is skipped, as the paper does.
    """


@dataclass(frozen=True)
class InformationCurve:
    """A Performance Information Curve (SIC or AIC) of one image and map.

    Attributes
    ----------
    kind : {"SIC", "AIC"}
        Softmax probability of the target, or 1 where the target is the top-1 class, else 0.
    target : int
        The class index.
    information : numpy.ndarray
        The curve's x: normalised information (0: the fully blurred image, 1: the original),
        ``num_data_points + 1`` values from 0 to 1.
    performance : numpy.ndarray
        The curve's y at each :attr:`information`, normalised the same way, from 0 to 1.
    thresholds : numpy.ndarray
        ``0``, the fractions of pixels revealed, ``1``: one per image in :attr:`scores`.
    scores : numpy.ndarray
        The raw score (probability or 0/1) of the fully blurred image, of each threshold's
        image, and of the original, before normalisation.
    entropies : numpy.ndarray
        The information of the same images: their size in bytes, compressed losslessly.
    auc : float
        Area under :attr:`performance` against :attr:`information` (higher is better).
    num_forward_passes : int
        Images the model scored, ``len(thresholds) + 2`` (shared by the SIC and the AIC).
    """

    kind: str
    target: int
    information: np.ndarray
    performance: np.ndarray
    thresholds: np.ndarray
    scores: np.ndarray
    entropies: np.ndarray
    auc: float
    num_forward_passes: int


def random_pixel_mask(height: int, width: int, fraction: float, seed: int = 0) -> np.ndarray:
    """``fraction`` of the pixels, drawn at random: those kept sharp in the fully blurred image.

    The same draw as pic's ``generate_random_mask``, from a seeded generator: use one mask per
    image, the same for every map compared on it. ``int(height * width * fraction)`` pixels,
    as a ``(height, width)`` bool array.

    Raises
    ------
    ValueError
        If ``fraction`` is not in ``[0, 1]``.
    """
    if positive_number(fraction, "mask_fraction", "a fraction of the pixels", allow_zero=True) > 1:
        raise ValueError(f"mask_fraction must be in [0, 1], got {fraction!r}.")
    mask = np.zeros(height * width, bool)
    drawn = np.random.default_rng(seed).choice(mask.size, int(mask.size * fraction), replace=False)
    mask[drawn] = True
    return mask.reshape(height, width)


def _linear_fill(points: np.ndarray, values: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` at ``points`` on their Delaunay triangles.

    What :class:`scipy.interpolate.LinearNDInterpolator` computes (the same triangles, the same
    barycentric arithmetic), faster on a pixel grid: there many pixels lie exactly on a
    triangle's edge, and SciPy's walk to a pixel's triangle then often falls back to a search
    of all triangles (minutes for one 224 x 224 image with scattered known pixels). Matplotlib's
    trapezoid map finds each pixel's triangle in logarithmic time instead. NaN for a pixel
    outside the triangles.
    """
    from matplotlib.tri import Triangulation
    from scipy.spatial import Delaunay

    triangles = Delaunay(points)
    finder = Triangulation(points[:, 0], points[:, 1], triangles.simplices).get_trifinder()
    simplex = finder(unknown[:, 0], unknown[:, 1])
    filled = np.full((len(unknown), values.shape[-1]), np.nan)
    inside = simplex >= 0
    transform = triangles.transform[simplex[inside]]
    offset = unknown[inside] - transform[:, 2]
    first = transform[:, 0, 0] * offset[:, 0] + transform[:, 0, 1] * offset[:, 1]
    second = transform[:, 1, 0] * offset[:, 0] + transform[:, 1, 1] * offset[:, 1]
    third = 1.0 - first - second
    corners = values[triangles.simplices[simplex[inside]]]
    filled[inside] = (first[:, None] * corners[:, 0] + second[:, None] * corners[:, 1]) + third[
        :, None
    ] * corners[:, 2]
    return filled


def interpolated_image(image: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Keep the ``known`` pixels of a uint8 image and fill the others in from them.

    The XRAI paper's "blurred" image: each unknown pixel is linearly interpolated on the
    Delaunay triangles of the known pixels. The four corners are always known, so the triangles
    cover the whole image (pic's fill with the mean colour outside them is never needed). As pic's
    ``create_blurred_image`` with ``method="linear"`` (:func:`scipy.interpolate.griddata`), one
    triangulation for all channels instead of one per channel.
    """
    known = np.array(known, bool)
    known[[0, 0, -1, -1], [0, -1, 0, -1]] = True
    if known.all():
        return image
    # pic fills a float32 copy, rounds it and casts back to uint8: the same rounding here.
    filled = image * known[..., None].astype(np.float32)
    values = _linear_fill(
        np.argwhere(known).astype(np.float64),
        image[known].astype(np.float64),
        np.argwhere(~known).astype(np.float64),
    )
    filled[~known] = values
    return np.round(filled).astype(np.uint8)


def image_information(image: np.ndarray) -> int:
    """The size in bytes of a uint8 image compressed as lossless WebP (pic's entropy estimate)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="webp", lossless=True, quality=100)
    return buffer.getbuffer().nbytes


def _as_uint8(image: np.ndarray) -> np.ndarray:
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def _checked_thresholds(thresholds: Sequence[float]) -> np.ndarray:
    values = np.asarray(thresholds, np.float64)
    if (
        values.ndim != 1
        or len(values) == 0
        or not np.all((values > 0) & (values < 1))
        or np.any(np.diff(values) <= 0)
    ):
        raise ValueError(
            "thresholds must be fractions of the pixels in (0, 1), increasing, e.g. "
            f"{DEFAULT_THRESHOLDS[:4]}; got {thresholds!r}."
        )
    return values


def _normalised(value: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip((value - low) / (high - low), 0.0, 1.0)


def _information_curve(
    kind: str,
    target: int,
    scores: np.ndarray,
    entropies: np.ndarray,
    thresholds: np.ndarray,
    min_pred_value: float,
    keep_monotonous: bool,
    num_data_points: int,
) -> InformationCurve:
    """One curve from the scores and entropies of [blurred, thresholds..., original]."""
    blurred, original = scores[0], scores[-1]
    if original < min_pred_value:
        raise InformationCurveUndefined(
            f"{kind}: the model's score of the original image for target {target} is "
            f"{original:.4g}, below min_pred_value={min_pred_value}; lower min_pred_value (0 "
            "keeps every image) or choose another image or target."
        )
    if blurred >= original:
        raise InformationCurveUndefined(
            f"{kind}: the model scores the fully blurred image ({blurred:.4g}) no lower than the "
            f"original ({original:.4g}) for target {target}, so there is nothing to recover; "
            "skip this image (the paper does), or keep fewer pixels sharp (mask_fraction)."
        )
    information = _normalised(entropies[1:-1], entropies[0], entropies[-1])
    performance = _normalised(scores[1:-1], blurred, original)
    if keep_monotonous:
        performance = np.maximum.accumulate(performance)
    # The thresholds' points, then (0, 0) and (1, 1), sorted stably by information: pic's order,
    # which decides the curve where two points have the same information.
    x = np.concatenate([information, [0.0, 1.0]])
    y = np.concatenate([performance, [0.0, 1.0]])
    order = np.argsort(x, kind="stable")
    curve_x = np.append(np.linspace(0.0, 1.0, num_data_points, endpoint=False), 1.0)
    curve_y = np.interp(curve_x, x[order], y[order])
    curve_y[-1] = 1.0
    auc = float(np.sum(np.diff(curve_x) * (curve_y[1:] + curve_y[:-1]) / 2.0))
    return InformationCurve(
        kind=kind,
        target=target,
        information=curve_x,
        performance=curve_y,
        thresholds=np.concatenate([[0.0], thresholds, [1.0]]),
        scores=scores,
        entropies=entropies.astype(np.float64),
        auc=auc,
        num_forward_passes=len(scores),
    )


def information_curves(
    model: Model,
    image: np.ndarray | tf.Tensor,
    target: int | str,
    attributions: np.ndarray | tf.Tensor,
    *,
    kinds: Sequence[str] = INFORMATION_CURVES,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    min_pred_value: float = 0.0,
    random_mask: np.ndarray | None = None,
    mask_fraction: float = DEFAULT_MASK_FRACTION,
    seed: int = 0,
    keep_monotonous: bool = True,
    num_data_points: int = 1000,
    absolute: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> dict[str, InformationCurve]:
    """The Softmax and Accuracy Information Curves (SIC, AIC) of one map, from one set of images.

    The image is quantised to uint8 (the WebP estimate of information needs it) and the model
    scores ``image / 255``. The fully blurred image keeps ``random_mask`` sharp and interpolates
    the rest (:func:`interpolated_image`); each threshold's image also keeps the pixels whose
    map value is at least the map's ``1 - threshold`` quantile. Each image's score (the target's
    probability for the SIC, 1 if the target is the top-1 class for the AIC) and information
    (:func:`image_information`) are normalised between the fully blurred image (0) and the
    original (1), clipped to ``[0, 1]``; the curve interpolates performance against information
    linearly between ``(0, 0)``, the thresholds' points and ``(1, 1)``, and its area is the
    score. Both curves share the ``len(thresholds) + 2`` forward passes.

    Parameters
    ----------
    model, image, target, attributions
        As for :func:`ig_tutorial.ig.faithfulness.deletion_and_insertion`.
    kinds : sequence of {"SIC", "AIC"}, default both
        The curves to compute.
    thresholds : sequence of float, default :data:`DEFAULT_THRESHOLDS`
        Increasing fractions of the pixels, in ``(0, 1)``.
    min_pred_value : float, default 0.0
        Refuse an image whose score on the original is lower. PAIR saliency's default is 0.8, to
        select confidently classified images for a benchmark; the bundled EfficientNet-Lite0
        gives four of the six bundled photos a top-1 probability below 0.8 (0.23 to 0.74), so
        the default here keeps every image. It applies to both curves (an AIC score is 0 or 1).
    random_mask : numpy.ndarray, optional
        Shape ``(height, width)``, bool: pixels kept sharp in every image. Default
        :func:`random_pixel_mask` with ``mask_fraction`` and ``seed``; compare maps with the
        same mask.
    keep_monotonous : bool, default True
        Make the performance never decrease with the threshold, as in the paper.
    num_data_points : int, default 1000
        Points of the returned curve before ``x = 1``.
    absolute, batch_size, progress
        As for :func:`ig_tutorial.ig.faithfulness.deletion_and_insertion`.

    Returns
    -------
    dict of str to InformationCurve
        ``kind -> curve``, in the order of ``kinds``.

    Raises
    ------
    InformationCurveUndefined
        A :class:`ValueError`, where pic raises ``ComputePicMetricError``: the fully blurred
        image holds no less information than the original, or for one of ``kinds`` the
        original's score is below ``min_pred_value`` or not above the fully blurred image's.
        The message says which and what to do; compute the other curve alone with ``kinds``.
    ValueError
        For a map that does not fit the image, is not finite or is constant; a bad threshold,
        mask, kind or batch size; or a target that is not a class of the model.
    """
    kinds = [one_of(kind, INFORMATION_CURVES, "kind") for kind in kinds]
    if not kinds:
        raise ValueError(f"kinds is empty; give some of {INFORMATION_CURVES}.")
    thresholds = _checked_thresholds(thresholds)
    positive_number(min_pred_value, "min_pred_value", "a score", allow_zero=True)
    batch_size = positive_integer(batch_size, "batch_size")
    num_data_points = positive_integer(num_data_points, "num_data_points")
    tensor = one_image(image)
    values = per_pixel_map(attributions, tuple(tensor.shape), absolute=absolute)
    index = resolve_target(model, tensor, target)
    pixels = tensor.numpy()
    height, width = pixels.shape[:2]
    if random_mask is None:
        random_mask = random_pixel_mask(height, width, mask_fraction, seed)
    random_mask = np.asarray(random_mask)
    if random_mask.shape != (height, width) or random_mask.dtype != bool:
        raise ValueError(
            f"random_mask must be a boolean array of shape ({height}, {width}), got "
            f"{random_mask.dtype} of shape {random_mask.shape}."
        )

    original = _as_uint8(pixels)
    original_information = image_information(original)
    images = [interpolated_image(original, random_mask)]
    entropies = [image_information(images[0])]
    if entropies[0] >= original_information:
        raise InformationCurveUndefined(
            f"the fully blurred image holds no less information ({entropies[0]} bytes) than the "
            f"original ({original_information} bytes); an image this plain cannot be "
            "evaluated, skip it (the paper does)."
        )
    for threshold in thresholds:
        sharp = (values >= np.quantile(values, 1.0 - threshold)) | random_mask
        images.append(interpolated_image(original, sharp))
        entropies.append(image_information(images[-1]))
    images.append(original)
    entropies.append(original_information)

    batch = np.stack(images).astype(np.float32) / 255.0
    found = []
    with batches_bar(len(batch), batch_size, desc="PIC batches", progress=progress) as bar:
        for logits in logits_in_batches(model, batch, batch_size, bar=bar):
            class_index(index, int(logits.shape[-1]))
            found.append(logits)
    logits = tf.concat(found, axis=0)
    scores = {
        "SIC": target_scores(logits, index, "probability").numpy().astype(np.float64),
        "AIC": (np.argmax(logits, axis=-1) == index).astype(np.float64),
    }
    return {
        kind: _information_curve(
            kind,
            index,
            scores[kind],
            np.asarray(entropies),
            thresholds,
            min_pred_value,
            keep_monotonous,
            num_data_points,
        )
        for kind in kinds
    }
