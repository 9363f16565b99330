"""Faithfulness metrics: does the model's score follow the pixels a map ranks first.

Taught in ``notebooks/13_evaluating_attributions.py``. A map that looks right may still not say
what the model uses. The metrics here ask the model itself: they change the image in the order
the map ranks its pixels and watch the target's score.

- **Deletion and insertion** (Petsiuk, Das & Saenko, 2018, "RISE: Randomized Input Sampling for
  Explanation of Black-box Models", BMVC, arXiv:1806.07421; their reference code, class
  ``CausalMetric`` of ``evaluation.py`` in github.com/eclique/RISE). The pixels are ranked by
  the map, most important first. *Deletion* starts from the image and replaces ``step`` pixels
  at a time by a substrate (black by default); *insertion* starts from a blurred copy and puts
  the image's pixels back. The target's softmax probability is recorded at each of the
  ``n_steps + 1`` images (``n_steps = ceil(height * width / step)``), and the score is the
  normalised area under that curve (:func:`normalized_auc`). A faithful map makes the
  probability fall fast on deletion (a **low** area) and rise fast on insertion (a **high**
  area).
- **Performance Information Curves** (Kapishnikov, Bolukbasi, Viégas & Terry, 2019, "XRAI:
  Better Attributions Through Regions", ICCV, arXiv:1906.02825): insertion measured against the
  information the revealed pixels carry rather than their number. Starting from a strongly
  blurred image, the top fraction of the map's pixels (each of ``thresholds``) is revealed
  sharp, the rest interpolated from them; each image's information is estimated by its size
  compressed losslessly (WebP), its performance is the softmax probability of the target (the
  **SIC**) or whether the target is the top-1 class (the **AIC**), both normalised between the
  fully blurred and the original image. The score is the area under performance against
  information (higher is better). :func:`information_curves` follows PAIR saliency's
  ``saliency.metrics.pic`` (Apache-2.0) step by step, with the model called in batches through
  the package's seam; its numbers equal ``compute_pic_metric``'s (``tests/test_faithfulness.py``
  checks it). That module itself does not run on NumPy 2.4 (it calls ``np.trapz``, removed
  there) and calls its prediction function one image at a time.

Which pixels come first: by default the **signed** channel sum of the attributions, as RISE ranks
its saliency maps by their value. For Integrated Gradients this puts the pixels that raise the
target's score first and those that lower it last, which is what deletion and insertion reward;
``absolute=True`` ranks by ``sum_c |a|`` instead (the package's drawn maps,
:func:`ig_tutorial.ig.pixel_maps.pixel_map`), which mixes evidence for and against the class.
Ties keep the pixels in raster order.

Two controls tell whether a score is good: a map of random values (:func:`random_map`) and the
edges of the image (:func:`ig_tutorial.ig.sanity_checks.image_edges`), which ignore the model.
The model is called only through :func:`ig_tutorial.ig.gradients.logits_in_batches`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import class_index, one_image, one_of, positive_integer, positive_number
from ig_tutorial.ig.gradients import Model, logits_in_batches
from ig_tutorial.ig.pixel_maps import pixel_map
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.progress import batches_bar

#: What replaces the pixels: ``"black"`` (zeros, RISE's deletion) or ``"blur"`` (RISE's
#: insertion start, :func:`blurred_image`).
SUBSTRATES: tuple[str, ...] = ("black", "blur")

#: RISE's blur: an 11 x 11 Gaussian kernel of standard deviation 5 pixels (``gkern(11, 5)``).
BLUR_KERNEL_SIZE = 11
BLUR_SIGMA = 5.0

#: Images per forward pass.
DEFAULT_BATCH_SIZE = 32

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
class PerturbationCurve:
    """The target's probability as the ranked pixels are deleted or inserted.

    Attributes
    ----------
    kind : {"deletion", "insertion"}
        Deletion: lower :attr:`auc` is better; insertion: higher is better.
    target : int
        The class index whose probability is recorded.
    substrate : {"black", "blur"}
        What the deleted pixels become (deletion) or the image inserted into (insertion).
    step : int
        Pixels changed per step.
    fractions : numpy.ndarray
        Shape ``(n_steps + 1,)``: the fraction of the pixels changed in each image, from 0 to 1.
    probabilities : numpy.ndarray
        Shape ``(n_steps + 1,)``: the target's softmax probability on each image. Deletion ends
        at the all-substrate image, insertion at the image itself.
    auc : float
        :func:`normalized_auc` of :attr:`probabilities` (in ``[0, 1]``).
    num_forward_passes : int
        Images the model scored, ``n_steps + 1``.
    num_model_calls : int
        Model calls, ``ceil((n_steps + 1) / batch_size)``.
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


def normalized_auc(values: Sequence[float] | np.ndarray) -> float:
    """The area under a curve of equally spaced points, on an x-axis from 0 to 1.

    RISE's ``auc``: the trapezoid rule with ``n - 1`` equal intervals,
    ``(sum(v) - v[0] / 2 - v[-1] / 2) / (n - 1)``. For probabilities it lies in ``[0, 1]``.

    Parameters
    ----------
    values : array
        Shape ``(n,)`` with ``n >= 2``.

    Returns
    -------
    float

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
    """The map as one finite, non-constant value per pixel, checked against the image.

    Parameters
    ----------
    attributions : array
        Shape ``(height, width, channels)`` like the image (summed over the channels, see
        :func:`ig_tutorial.ig.pixel_maps.pixel_map`) or ``(height, width)``.
    image_shape : sequence of int
        The image's ``(height, width, channels)``.
    absolute : bool, default False
        Sum the absolute values over the channels instead of the signed ones; a
        ``(height, width)`` map is then ranked by its absolute values too.

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)``, float64.

    Raises
    ------
    ValueError
        If the shape is neither the image's nor its ``(height, width)`` (naming both), the map
        holds NaN or infinite values, or it is constant (all zero, say): it ranks no pixel above
        another.
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
    """The flat pixel indices of a ``(height, width)`` map, highest value first.

    Ties keep raster order (a stable sort), so the ranking is reproducible.

    Parameters
    ----------
    values : numpy.ndarray
        Shape ``(height, width)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(height * width,)``, int.
    """
    return np.argsort(-np.ravel(values), kind="stable")


def blurred_image(
    image: np.ndarray | tf.Tensor,
    *,
    kernel_size: int = BLUR_KERNEL_SIZE,
    sigma: float = BLUR_SIGMA,
) -> np.ndarray:
    """RISE's blurred substrate: each channel convolved with a truncated Gaussian kernel.

    The kernel is RISE's ``gkern``: a centred impulse on a ``kernel_size`` square, smoothed by a
    Gaussian of standard deviation ``sigma`` (so it sums to 1). RISE convolves its
    ImageNet-normalised tensors with zero padding, which pads with the mean colour; here the
    image is reflected at its border instead, so the substrate has no frame. Only the outer
    ``kernel_size // 2`` pixels differ.

    Parameters
    ----------
    image : array
        Shape ``(height, width, channels)``.
    kernel_size : int, default 11
        Side of the kernel, in pixels.
    sigma : float, default 5.0
        The Gaussian's standard deviation, in pixels.

    Returns
    -------
    numpy.ndarray
        Same shape, float32.
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
    """The image the pixels are replaced by (deletion) or inserted into (insertion).

    Parameters
    ----------
    image : array
        Shape ``(height, width, channels)``.
    substrate : {"black", "blur"}
        Zeros, or :func:`blurred_image`.

    Returns
    -------
    numpy.ndarray
        Same shape, float32.

    Raises
    ------
    ValueError
        For another substrate.
    """
    one_of(substrate, SUBSTRATES, "substrate")
    if substrate == "black":
        return np.zeros(np.shape(image), np.float32)
    return blurred_image(image)


def random_map(image: np.ndarray | tf.Tensor, seed: int = 0) -> np.ndarray:
    """A control: one uniform random value per pixel, reproducible from ``seed``.

    A map is informative when it scores better than this (and than
    :func:`ig_tutorial.ig.sanity_checks.image_edges`, which ignores the model too).

    Parameters
    ----------
    image : array
        Shape ``(height, width, channels)``; only its size is used.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)``, values in ``[0, 1)``.
    """
    height, width = np.shape(image)[:2]
    return np.random.default_rng(seed).random((height, width))


class _PerturbedImages:
    """The images of a deletion or insertion game, built a batch at a time.

    Image ``i`` is ``start`` with the ``i * step`` highest-ranked pixels taken from ``finish``.
    """

    def __init__(self, start: np.ndarray, finish: np.ndarray, order: np.ndarray, step: int):
        self.shape = start.shape
        self.start = start.reshape(-1, start.shape[-1])
        self.finish = finish.reshape(-1, finish.shape[-1])
        self.order = order
        self.step = step
        self.n_steps = -(-len(order) // step)

    def __len__(self) -> int:
        return self.n_steps + 1

    def __getitem__(self, rows: slice) -> np.ndarray:
        images = []
        for i in range(*rows.indices(len(self))):
            image = self.start.copy()
            changed = self.order[: i * self.step]
            image[changed] = self.finish[changed]
            images.append(image.reshape(self.shape))
        return np.stack(images)


def _probabilities(
    model: Model,
    images: Sequence,
    target: int,
    batch_size: int,
    desc: str,
    progress: bool,
) -> tuple[np.ndarray, int]:
    """The target's softmax probability on each image, and the number of model calls."""
    found, calls = [], 0
    with batches_bar(len(images), batch_size, desc=desc, progress=progress) as bar:
        for logits in logits_in_batches(model, images, batch_size, bar=bar):
            if calls == 0:
                class_index(target, int(logits.shape[-1]))
            found.append(tf.nn.softmax(logits, axis=-1)[:, target].numpy())
            calls += 1
    return np.concatenate(found).astype(np.float64), calls


def _checked_inputs(
    model: Model,
    image: np.ndarray | tf.Tensor,
    target: int | str,
    attributions: np.ndarray | tf.Tensor,
    absolute: bool,
) -> tuple[np.ndarray, int, np.ndarray]:
    """The image as an array, the target's class index, the map's per-pixel values."""
    tensor = one_image(image)
    values = per_pixel_map(attributions, tuple(tensor.shape), absolute=absolute)
    return tensor.numpy(), resolve_target(model, tensor, target), values


def _game_inputs(
    model: Model,
    image: np.ndarray | tf.Tensor,
    target: int | str,
    attributions: np.ndarray | tf.Tensor,
    step: int | None,
    substrates: Sequence[str],
    absolute: bool,
    batch_size: int,
) -> tuple[np.ndarray, int, np.ndarray, int, int]:
    """Checked arguments of a deletion or insertion game: image, target, ranking, step, batch."""
    for substrate in substrates:
        one_of(substrate, SUBSTRATES, "substrate")
    batch_size = positive_integer(batch_size, "batch_size")
    if step is not None:
        step = positive_integer(step, "step")
    pixels, index, values = _checked_inputs(model, image, target, attributions, absolute)
    step = pixels.shape[1] if step is None else step
    return pixels, index, pixel_ranking(values), step, batch_size


def _perturbation_curve(
    model: Model,
    image: np.ndarray,
    target: int,
    order: np.ndarray,
    kind: str,
    substrate: str,
    step: int,
    batch_size: int,
    progress: bool,
) -> PerturbationCurve:
    replacement = substrate_image(image, substrate)
    start, finish = (image, replacement) if kind == "deletion" else (replacement, image)
    images = _PerturbedImages(start, finish, order, step)
    probabilities, calls = _probabilities(
        model, images, target, batch_size, f"{kind} batches", progress
    )
    fractions = np.minimum(np.arange(len(images)) * step, len(order)) / len(order)
    return PerturbationCurve(
        kind=kind,
        target=target,
        substrate=substrate,
        step=step,
        fractions=fractions,
        probabilities=probabilities,
        auc=normalized_auc(probabilities),
        num_forward_passes=len(images),
        num_model_calls=calls,
    )


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
    """RISE's deletion and insertion curves of one map, with one ranking of its pixels.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits, e.g. from :func:`ig_tutorial.load_model`.
    image : tensor or array
        Shape ``(height, width, 3)``, values in ``[0, 1]``.
    target : int or str
        Class index, label name or ``"top-1"`` (:func:`ig_tutorial.resolve_target`).
    attributions : array
        The map: ``(height, width, 3)`` (summed over the channels) or ``(height, width)``.
    step : int, optional
        Pixels changed per step; default the image's width, as in RISE (224 for 224 x 224,
        so 225 images per curve). A multiple of it gives a coarser, cheaper curve.
    deletion_substrate : {"black", "blur"}, default "black"
        What deleted pixels become (RISE: black).
    insertion_substrate : {"black", "blur"}, default "blur"
        What the pixels are inserted into (RISE: the blurred image, :func:`blurred_image`).
    absolute : bool, default False
        Rank the pixels by ``sum_c |a|`` instead of the signed ``sum_c a`` (see the module's
        text for why signed is the default).
    batch_size : int, default 32
        Images per forward pass.
    progress : bool, default False
        Show a progress bar over the model calls of each curve.

    Returns
    -------
    deletion, insertion : PerturbationCurve
        Lower deletion :attr:`~PerturbationCurve.auc` and higher insertion ``auc`` are better.

    Raises
    ------
    ValueError
        If the map does not fit the image, is not finite or is constant
        (:func:`per_pixel_map`); ``step`` or ``batch_size`` is not a positive integer; a
        substrate is unknown; or the target is not a class of the model.

    References
    ----------
    Petsiuk, Das & Saenko (2018), arXiv:1806.07421, section 4.1 and github.com/eclique/RISE.
    """
    pixels, index, order, step, batch_size = _game_inputs(
        model,
        image,
        target,
        attributions,
        step,
        (deletion_substrate, insertion_substrate),
        absolute,
        batch_size,
    )
    return tuple(
        _perturbation_curve(
            model, pixels, index, order, kind, substrate, step, batch_size, progress
        )
        for kind, substrate in (
            ("deletion", deletion_substrate),
            ("insertion", insertion_substrate),
        )
    )


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
    """RISE's deletion: the target's probability as the top-ranked pixels are removed.

    From the image, ``step`` pixels at a time, in the map's order, are replaced by the
    substrate's, until none of the image is left. A faithful map removes what the model needs
    first: the probability drops at once and the area (:attr:`PerturbationCurve.auc`) is
    **low**. Parameters, errors and references as :func:`deletion_and_insertion`.

    Returns
    -------
    PerturbationCurve
        Its first image is the image, its last the substrate.
    """
    pixels, index, order, step, batch_size = _game_inputs(
        model, image, target, attributions, step, (substrate,), absolute, batch_size
    )
    return _perturbation_curve(
        model, pixels, index, order, "deletion", substrate, step, batch_size, progress
    )


def insertion_curve(
    model: Model,
    image: np.ndarray | tf.Tensor,
    target: int | str,
    attributions: np.ndarray | tf.Tensor,
    *,
    step: int | None = None,
    substrate: str = "blur",
    absolute: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
) -> PerturbationCurve:
    """RISE's insertion: the target's probability as the top-ranked pixels are put back.

    From the substrate (the blurred image by default), ``step`` pixels at a time, in the map's
    order, are set to the image's, until the whole image is back. A faithful map restores what
    the model needs first: the probability rises at once and the area
    (:attr:`PerturbationCurve.auc`) is **high**. Parameters, errors and references as
    :func:`deletion_and_insertion`.

    Returns
    -------
    PerturbationCurve
        Its first image is the substrate, its last the image.
    """
    pixels, index, order, step, batch_size = _game_inputs(
        model, image, target, attributions, step, (substrate,), absolute, batch_size
    )
    return _perturbation_curve(
        model, pixels, index, order, "insertion", substrate, step, batch_size, progress
    )


def random_pixel_mask(height: int, width: int, fraction: float, seed: int = 0) -> np.ndarray:
    """``fraction`` of the pixels, drawn at random: those kept sharp in the fully blurred image.

    The same draw as pic's ``generate_random_mask``, from a seeded generator: use one mask per
    image, the same for every map compared on it.

    Parameters
    ----------
    height, width : int
        The image's size.
    fraction : float
        In ``[0, 1]``; ``int(height * width * fraction)`` pixels are drawn.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)``, bool.

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

    Parameters
    ----------
    image : numpy.ndarray
        Shape ``(height, width, channels)``, uint8.
    known : numpy.ndarray
        Shape ``(height, width)``, bool: the pixels to keep.

    Returns
    -------
    numpy.ndarray
        Same shape, uint8.
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
    """How much information a uint8 image holds: its size in bytes, compressed as lossless WebP.

    The XRAI paper's estimate of an image's entropy (pic's ``estimate_image_entropy``).

    Parameters
    ----------
    image : numpy.ndarray
        Shape ``(height, width, channels)`` or ``(height, width)``, uint8.

    Returns
    -------
    int
    """
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
    model : callable
        Images in ``[0, 1]`` -> logits.
    image : tensor or array
        Shape ``(height, width, 3)``, values in ``[0, 1]``.
    target : int or str
        Class index, label name or ``"top-1"``.
    attributions : array
        ``(height, width, 3)`` (summed over the channels) or ``(height, width)``.
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
    mask_fraction : float, default 0.01
        Fraction of random pixels in the default mask.
    seed : int, default 0
        Seed of the default mask.
    keep_monotonous : bool, default True
        Make the performance never decrease with the threshold, as in the paper.
    num_data_points : int, default 1000
        Points of the returned curve before ``x = 1``.
    absolute : bool, default False
        Rank by ``sum_c |a|`` instead of the signed sum.
    batch_size : int, default 32
        Images per forward pass.
    progress : bool, default False
        Show a progress bar over the model calls.

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

    References
    ----------
    Kapishnikov, Bolukbasi, Viégas & Terry (2019), arXiv:1906.02825, section 4.2; PAIR saliency's
    ``saliency/metrics/pic.py`` (Apache-2.0).
    """
    kinds = [one_of(kind, INFORMATION_CURVES, "kind") for kind in kinds]
    if not kinds:
        raise ValueError(f"kinds is empty; give some of {INFORMATION_CURVES}.")
    thresholds = _checked_thresholds(thresholds)
    positive_number(min_pred_value, "min_pred_value", "a score", allow_zero=True)
    batch_size = positive_integer(batch_size, "batch_size")
    num_data_points = positive_integer(num_data_points, "num_data_points")
    pixels, index, values = _checked_inputs(model, image, target, attributions, absolute)
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
    images = [interpolated_image(original, random_mask)]
    entropies = [image_information(images[0])]
    if entropies[0] >= image_information(original):
        raise InformationCurveUndefined(
            f"the fully blurred image holds no less information ({entropies[0]} bytes) than the "
            f"original ({image_information(original)} bytes); an image this plain cannot be "
            "evaluated, skip it (the paper does)."
        )
    for threshold in thresholds:
        sharp = (values >= np.quantile(values, 1.0 - threshold)) | random_mask
        images.append(interpolated_image(original, sharp))
        entropies.append(image_information(images[-1]))
    images.append(original)
    entropies.append(image_information(original))

    batch = np.stack(images).astype(np.float32) / 255.0
    logits = []
    with batches_bar(len(batch), batch_size, desc="PIC batches", progress=progress) as bar:
        for found in logits_in_batches(model, batch, batch_size, bar=bar):
            if not logits:
                class_index(index, int(found.shape[-1]))
            logits.append(found.numpy())
    logits = np.concatenate(logits)
    scores = {
        "SIC": tf.nn.softmax(logits, axis=-1).numpy()[:, index].astype(np.float64),
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
