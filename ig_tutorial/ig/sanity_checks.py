"""The model randomisation test of Adebayo et al. (2018): attributions must depend on the model.

Taught in ``notebooks/11_sanity_checks.py``. Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim
(2018, "Sanity Checks for Saliency Maps", NeurIPS, arXiv:1810.03292): the trained weights are
replaced by random ones layer by layer, from the logits towards the input
(:func:`ig_tutorial.models.randomization.cascading_randomization`), and each step's map is
compared with the trained model's (:mod:`ig_tutorial.ig.map_metrics`). A method whose map hardly
changes when the model no longer knows anything explains the image, not the model.

This module also owns the attribution method as a function, :data:`AttributionMethod`, that the
check and the faithfulness comparison (:mod:`ig_tutorial.ig.method_comparison`) take: Integrated
Gradients (:func:`integrated_gradients_method`), the plain gradient
(:func:`gradient_attributions`) and a negative control that ignores the model
(:func:`image_edges`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import class_index, one_image, one_of, positive_number
from ig_tutorial.ig.baselines import make_baseline
from ig_tutorial.ig.gradients import TARGET_OUTPUTS, Model, gradients_at
from ig_tutorial.ig.integrated_gradients import integrated_gradients
from ig_tutorial.ig.map_metrics import map_similarity, rank_correlation
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.models.classifier import Classifier
from ig_tutorial.models.randomization import CascadeStep, cascading_randomization

#: An attribution method as the sanity check calls it: ``(model, image, target index)`` to
#: attributions of the image's shape ``(height, width, channels)``.
AttributionMethod = Callable[[Model, tf.Tensor, int], np.ndarray]

#: Default of :func:`model_randomization_check`'s ``threshold``: a method fails when the absolute
#: maps of the trained and the fully randomised model still have this rank correlation or more.
DEFAULT_THRESHOLD = 0.5


def gradient_attributions(
    model: Model, image: tf.Tensor, target: int, output: str = "logit"
) -> np.ndarray:
    """The plain gradient of the target's ``output`` score at the image (a "saliency map").

    Simonyan, Vedaldi & Zisserman (2014, arXiv:1312.6034). One gradient evaluation, through the
    seam :func:`ig_tutorial.ig.gradients.gradients_at`; the image's shape.
    """
    gradients, _ = gradients_at(model, tf.expand_dims(image, 0), target, output)
    return gradients[0].numpy()


def integrated_gradients_method(
    *,
    m_steps: int = 64,
    output: str = "logit",
    batch_size: int | str | None = None,
    baseline: str = "black",
    seed: int = 0,
) -> AttributionMethod:
    """Integrated Gradients (:func:`ig_tutorial.integrated_gradients`) as an AttributionMethod.

    Parameters
    ----------
    m_steps : int, default 64
        Steps of the trapezoid rule. Rankings of pixels need the map's order, not a small
        completeness error: a few dozen steps are enough.
    output : {"probability", "logit"}, default "logit"
        The attributed score.
    batch_size : int or "auto", optional
        As for :func:`ig_tutorial.integrated_gradients`.
    baseline, seed : str, default "black"; int, default 0
        A name of :data:`ig_tutorial.BASELINES`, made for each image (a random one from ``seed``).
    """

    def method(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
        start = make_baseline(baseline, image, seed=seed)
        options = {"m_steps": m_steps, "output": output, "batch_size": batch_size}
        return integrated_gradients(model, image, target, baseline=start, **options).attributions

    return method


def image_edges(model: Model, image: tf.Tensor, target: int) -> np.ndarray:
    """A method that ignores ``model`` and ``target``: the Sobel edges of each colour channel.

    The negative control: edges look like a plausible explanation (they outline the objects)
    and stay the same whatever the model and the target, so the checks must flag them.
    """
    from skimage.filters import sobel

    pixels = np.asarray(image, dtype=np.float64)
    return np.stack([sobel(pixels[..., c]) for c in range(pixels.shape[-1])], axis=-1)


@dataclass(frozen=True)
class ModelRandomizationCheck:
    """The maps of each method at each step of a cascading randomisation, and their similarity.

    ``steps`` are ``"original"`` and each randomisation step's name, ``randomized`` the layers
    random at each (cumulative), ``target`` the trained model's class, kept for every step. Per
    method name: ``attributions`` at each step, and the Spearman correlation of each step's
    absolute (``rank_correlations``) and signed (``signed_rank_correlations``) map with the
    original's, and their SSIM (``similarities``), 1.0 at ``"original"``.
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
        """The methods whose map survives the randomisation of the whole cascade, in order.

        A method fails when its map on the fully randomised model still has a rank correlation
        of at least :attr:`threshold` with its map on the trained model. ``absolute`` judges the
        absolute maps, the stricter test (a map can lose its signs and keep its shape), else the
        signed ones.
        """
        correlations = self.rank_correlations if absolute else self.signed_rank_correlations
        return [name for name, values in correlations.items() if values[-1] >= self.threshold]

    def report(self) -> str:
        """Per step and method the absolute and signed rank correlations and SSIM, then verdicts."""
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
    methods : mapping of str to AttributionMethod, optional
        Name -> method. Default: ``"Integrated Gradients"`` (:func:`integrated_gradients_method`
        with ``m_steps`` and ``output``) and ``"Gradient"`` (:func:`gradient_attributions`).
    steps : sequence of (str, sequence of str), optional
        The cascade; default :func:`ig_tutorial.models.randomization.default_cascade`, with
        random weights from ``seed``.
    output : {"probability", "logit"}, default "logit"
        The score of the default methods. The logit, because a randomised model's softmax can
        put almost no probability on the target, and the probability's gradient then vanishes
        into rounding noise.
    threshold : float, default :data:`DEFAULT_THRESHOLD`
        See :meth:`ModelRandomizationCheck.failing_methods`.

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
            "Gradient": partial(gradient_attributions, output=output),
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
