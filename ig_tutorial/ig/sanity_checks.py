"""The model randomisation test of Adebayo et al. (2018): attributions must depend on the model.

Taught in ``notebooks/11_sanity_checks.py``. Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim
(2018, "Sanity Checks for Saliency Maps", NeurIPS, arXiv:1810.03292) propose checks that an
explanation must pass before it is trusted. In the *cascading model parameter randomisation* test
the trained weights are replaced by random ones layer by layer, from the logits towards the
input (:func:`ig_tutorial.models.randomization.cascading_randomization`), and each step's map is
compared with the trained model's map. A method whose map hardly changes when the model no longer
knows anything explains the image (its edges, its colours), not the model.

Maps are compared as the paper compares them: the Spearman rank correlation of the per-pixel
maps, with absolute values (where the attribution goes) and signed (also which way it pushes),
and the structural similarity (SSIM) of the absolute maps.

Attributions are computed through the package's methods: Integrated Gradients with
:func:`ig_tutorial.integrated_gradients` and the plain gradient (Simonyan et al., 2014) with
:func:`ig_tutorial.ig.gradients.gradients_and_scores`, the one seam to the model.
:func:`image_edges` ignores the model on purpose: the negative control that must fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import class_index, one_image, one_of, positive_number
from ig_tutorial.ig.gradients import TARGET_OUTPUTS, Model, gradients_and_scores
from ig_tutorial.ig.integrated_gradients import integrated_gradients
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.models.classifier import Classifier
from ig_tutorial.models.randomization import CascadeStep, cascading_randomization

#: An attribution method as the sanity check calls it: ``(model, image, target index)`` to
#: attributions of the image's shape ``(height, width, channels)``.
AttributionMethod = Callable[[Model, tf.Tensor, int], np.ndarray]

#: Default of :func:`model_randomization_check`'s ``threshold``: a method fails when the absolute
#: maps of the trained and the fully randomised model still have this rank correlation or more.
DEFAULT_THRESHOLD = 0.5


def _pixel_values(attributions: np.ndarray | tf.Tensor, absolute: bool) -> np.ndarray:
    values = np.asarray(attributions, dtype=np.float64)
    if values.ndim != 3:
        raise ValueError(
            f"attributions must have shape (height, width, channels), got {values.shape}."
        )
    return np.sum(np.abs(values), axis=-1) if absolute else np.sum(values, axis=-1)


def _pixel_value_pair(
    first: np.ndarray | tf.Tensor, second: np.ndarray | tf.Tensor, absolute: bool
) -> tuple[np.ndarray, np.ndarray]:
    a, b = _pixel_values(first, absolute), _pixel_values(second, absolute)
    if a.shape != b.shape:
        raise ValueError(f"the maps' shapes differ: {a.shape} and {b.shape}.")
    return a, b


def rank_correlation(
    first: np.ndarray | tf.Tensor,
    second: np.ndarray | tf.Tensor,
    *,
    absolute: bool = True,
    mask: np.ndarray | tf.Tensor | None = None,
) -> float:
    """Spearman rank correlation of two attribution maps, pixel by pixel.

    Each map is reduced to one value per pixel, the sum over channels of the absolute values
    (``absolute=True``: how much a pixel matters) or of the signed values, and the two rankings of
    the pixels are correlated. 1: the same order; 0: unrelated; -1: reversed. Insensitive to the
    scale of the maps, so a randomised model's much smaller or larger gradients compare fairly.

    Parameters
    ----------
    first, second : array
        Attributions of the same shape ``(height, width, channels)``.
    absolute : bool, default True
        Rank ``sum_c |a|`` (True) or ``sum_c a`` (False).
    mask : array of bool, optional
        Shape ``(height, width)``: compare only the pixels where it is True, e.g. the photo
        without the black padding of :func:`ig_tutorial.read_image` (pixels equal to a black
        baseline get no Integrated Gradients attribution from any model).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ or are not ``(height, width, channels)``, the mask's shape is not
        ``(height, width)`` or it selects fewer than 2 pixels, or a map is constant on the
        compared pixels (it ranks no pixel above another, so the correlation is undefined).
    """
    from scipy.stats import spearmanr

    a, b = _pixel_value_pair(first, second, absolute)
    if mask is not None:
        selected = np.asarray(mask)
        if selected.shape != a.shape or selected.dtype != bool:
            raise ValueError(
                f"mask must be a boolean array of shape {a.shape} (height, width), got "
                f"{selected.dtype} of shape {selected.shape}."
            )
        if selected.sum() < 2:
            raise ValueError(f"mask selects {int(selected.sum())} pixel(s); at least 2 are needed.")
        a, b = a[selected], b[selected]
    for name, values in (("first", a), ("second", b)):
        if np.ptp(values) == 0:
            raise ValueError(
                f"the {name} map is constant ({values.flat[0]!r} everywhere): it ranks no pixel "
                "above another, so its rank correlation is undefined."
            )
    return float(spearmanr(a.ravel(), b.ravel()).statistic)


def _unit_map(values: np.ndarray, clip_percentile: float = 99.0) -> np.ndarray:
    limit = float(np.percentile(values, clip_percentile))
    if limit == 0.0:
        limit = float(values.max()) or 1.0
    return np.clip(values / limit, 0.0, 1.0)


def map_similarity(first: np.ndarray | tf.Tensor, second: np.ndarray | tf.Tensor) -> float:
    """Structural similarity (SSIM; Wang et al., 2004) of two absolute attribution maps.

    Each map is ``sum_c |a|``, scaled to ``[0, 1]`` by its 99th percentile (clipped above, as the
    figures are drawn), then compared with :func:`skimage.metrics.structural_similarity`. 1: the
    same picture. Unlike :func:`rank_correlation` it looks at local structure (edges, blobs).

    Parameters
    ----------
    first, second : array
        Attributions of the same shape ``(height, width, channels)``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ or are not ``(height, width, channels)``.
    """
    from skimage.metrics import structural_similarity

    a, b = _pixel_value_pair(first, second, absolute=True)
    return float(structural_similarity(_unit_map(a), _unit_map(b), data_range=1.0))


def gradient_attributions(
    model: Model, image: tf.Tensor, target: int, output: str = "logit"
) -> np.ndarray:
    """The plain gradient of the target score with respect to the image (a "saliency map").

    Simonyan, Vedaldi & Zisserman (2014, arXiv:1312.6034). Through the seam,
    :func:`ig_tutorial.ig.gradients.gradients_and_scores`.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    image : tf.Tensor
        Shape ``(height, width, 3)``.
    target : int
        Class index.
    output : {"probability", "logit"}, default "logit"
        The differentiated score.

    Returns
    -------
    numpy.ndarray
        Same shape as ``image``.
    """
    gradients, _ = gradients_and_scores(model, tf.expand_dims(image, 0), target, output)
    return gradients[0].numpy()


def integrated_gradients_method(
    *, m_steps: int = 64, output: str = "logit", batch_size: int | str | None = None
) -> AttributionMethod:
    """Integrated Gradients from the black baseline, as an :data:`AttributionMethod`.

    Parameters
    ----------
    m_steps : int, default 64
        Steps of :func:`ig_tutorial.integrated_gradients` (trapezoid rule). The rank correlation
        needs the map's order, not a small completeness error: a few dozen steps are enough.
    output : {"probability", "logit"}, default "logit"
        The attributed score.
    batch_size : int or "auto", optional
        As for :func:`ig_tutorial.integrated_gradients`.

    Returns
    -------
    AttributionMethod
    """

    def method(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        result = integrated_gradients(
            model, image, target, m_steps=m_steps, output=output, batch_size=batch_size
        )
        return result.attributions

    return method


def image_edges(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
    """A method that ignores the model: the Sobel edge magnitude of each colour channel.

    The negative control of the sanity check. Edges look like a plausible explanation (they
    outline the objects) and stay the same whatever the model and the target, so the check must
    flag them. ``model`` and ``target`` are accepted and ignored.

    Parameters
    ----------
    model : callable
        Ignored.
    image : tf.Tensor
        Shape ``(height, width, channels)``.
    target : int
        Ignored.

    Returns
    -------
    numpy.ndarray
        Same shape as ``image``.
    """
    from skimage.filters import sobel

    pixels = np.asarray(image, dtype=np.float64)
    return np.stack([sobel(pixels[..., c]) for c in range(pixels.shape[-1])], axis=-1)


@dataclass(frozen=True)
class ModelRandomizationCheck:
    """The maps of each method at each step of a cascading randomisation, and their similarity.

    Attributes
    ----------
    steps : tuple of str
        ``"original"``, then the name of each randomisation step (e.g. ``"logits"``).
    randomized : tuple of tuple of str
        The layers random at each step (cumulative).
    target : int
        The attributed class index (of the trained model; kept for every step).
    attributions : dict of str to list of numpy.ndarray
        Method name -> its attributions at each step.
    rank_correlations : dict of str to numpy.ndarray
        Method name -> Spearman correlation of each step's absolute map with the original's
        (1.0 at ``"original"``).
    signed_rank_correlations : dict of str to numpy.ndarray
        The same for the signed maps.
    similarities : dict of str to numpy.ndarray
        The SSIM of each step's absolute map with the original's.
    threshold : float
        See :meth:`failing_methods`.
    """

    steps: tuple[str, ...]
    randomized: tuple[tuple[str, ...], ...]
    target: int
    attributions: dict[str, list[np.ndarray]]
    rank_correlations: dict[str, np.ndarray]
    signed_rank_correlations: dict[str, np.ndarray]
    similarities: dict[str, np.ndarray]
    threshold: float

    def failing_methods(self, *, absolute: bool = True) -> list[str]:
        """The methods whose map survives the randomisation of the whole cascade.

        A method fails when the rank correlation of its map on the fully randomised model (the
        last step) with its map on the trained model is at least :attr:`threshold`. The paper
        reports both kinds of map; the absolute one is the stricter test, since a map can lose
        its signs and keep its shape.

        Parameters
        ----------
        absolute : bool, default True
            Judge the absolute maps (:attr:`rank_correlations`) or the signed ones
            (:attr:`signed_rank_correlations`).

        Returns
        -------
        list of str
            In the order of :attr:`attributions`; empty when every method passes.
        """
        correlations = self.rank_correlations if absolute else self.signed_rank_correlations
        return [name for name, values in correlations.items() if values[-1] >= self.threshold]

    def report(self) -> str:
        """A table of the similarities per step and method, and the verdicts.

        Returns
        -------
        str
            One line per step: its name and, per method, the rank correlations of the absolute
            and the signed maps and the SSIM with the original, to 3 decimals; then the methods
            that fail on absolute and on signed maps.
        """
        names = list(self.attributions)
        width = max(len(step) for step in self.steps)
        column = max(22, *(len(name) for name in names))
        lines = [f"{'randomised up to':<{width}}  " + "  ".join(f"{n:>{column}}" for n in names)]
        header = "|rank|   rank   SSIM"
        lines.append(f"{'':<{width}}  " + "  ".join(f"{header:>{column}}" for _ in names))
        for index, step in enumerate(self.steps):
            cells = [
                f"{self.rank_correlations[n][index]:6.3f} "
                f"{self.signed_rank_correlations[n][index]:6.3f} "
                f"{self.similarities[n][index]:6.3f}"
                for n in names
            ]
            lines.append(f"{step:<{width}}  " + "  ".join(f"{cell:>{column}}" for cell in cells))
        for absolute, kind in ((True, "absolute"), (False, "signed")):
            failing = ", ".join(self.failing_methods(absolute=absolute)) or "none"
            lines.append(
                f"Fail on {kind} maps (rank correlation >= {self.threshold:.2f} with every "
                f"layer random): {failing}"
            )
        return "\n".join(lines)


def model_randomization_check(
    model: Classifier,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    methods: Mapping[str, AttributionMethod] | None = None,
    *,
    steps: Sequence[CascadeStep] | None = None,
    seed: int = 0,
    m_steps: int = 64,
    output: str = "logit",
    threshold: float = DEFAULT_THRESHOLD,
) -> ModelRandomizationCheck:
    """Run the cascading model randomisation test of Adebayo et al. (2018) on one image.

    The target is resolved once, on the trained model, and kept at every step: the question is
    how the explanation of *that* class changes. ``model`` is not changed (the cascade works on a
    copy, :func:`ig_tutorial.models.randomization.cascading_randomization`).

    Parameters
    ----------
    model : Classifier
        A Keras model or the bundled EfficientNet-Lite0, from :func:`ig_tutorial.load_model`.
    image : tensor or array
        Shape ``(height, width, 3)``, values in ``[0, 1]``.
    target : int or str
        Class index, label name or ``"top-1"``.
    methods : mapping of str to AttributionMethod, optional
        Name -> method. Default: ``"Integrated Gradients"`` (:func:`integrated_gradients_method`
        with ``m_steps`` and ``output``) and ``"Gradient"`` (:func:`gradient_attributions`).
    steps : sequence of (str, sequence of str), optional
        The cascade; default :func:`ig_tutorial.models.randomization.default_cascade`.
    seed : int, default 0
        Seed of the random weights.
    m_steps : int, default 64
        Integration steps of the default Integrated Gradients method.
    output : {"probability", "logit"}, default "logit"
        The score of the default methods. The logit, because a randomised model's softmax can
        put almost no probability on the target, and the probability's gradient then vanishes
        into rounding noise.
    threshold : float, default :data:`DEFAULT_THRESHOLD`
        See :meth:`ModelRandomizationCheck.failing_methods`.

    Returns
    -------
    ModelRandomizationCheck

    Raises
    ------
    ValueError
        If ``methods`` is empty, ``threshold`` is not in ``(0, 1]``, ``output`` is unknown, or as
        :func:`ig_tutorial.models.randomization.cascading_randomization`.
    TypeError
        If the model cannot be randomised layer by layer (a TF-Hub model): the message says why.
    """
    one_of(output, TARGET_OUTPUTS, "output")
    positive_number(threshold, "threshold")
    if threshold > 1:
        raise ValueError(f"threshold must be in (0, 1] (a rank correlation), got {threshold!r}.")
    if methods is None:
        methods = {
            "Integrated Gradients": integrated_gradients_method(m_steps=m_steps, output=output),
            "Gradient": lambda m, x, t: gradient_attributions(m, x, t, output),
        }
    if not methods:
        raise ValueError("methods is empty; give at least one name -> attribution method.")
    image = one_image(image)
    target = class_index(resolve_target(model, image, target), model.num_classes)

    names, randomized = [], []
    maps: dict[str, list[np.ndarray]] = {name: [] for name in methods}
    for step in cascading_randomization(model, steps, seed=seed):
        names.append(step.name)
        randomized.append(step.randomized)
        for name, method in methods.items():
            maps[name].append(np.asarray(method(step.model, image, target)))

    def compared(measure: Callable[[np.ndarray, np.ndarray], float]) -> dict[str, np.ndarray]:
        return {
            name: np.array([measure(found[0], m) for m in found]) for name, found in maps.items()
        }

    return ModelRandomizationCheck(
        steps=tuple(names),
        randomized=tuple(randomized),
        target=target,
        attributions=maps,
        rank_correlations=compared(lambda a, b: rank_correlation(a, b, absolute=True)),
        signed_rank_correlations=compared(lambda a, b: rank_correlation(a, b, absolute=False)),
        similarities=compared(map_similarity),
        threshold=threshold,
    )
