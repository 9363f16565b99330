r"""Path methods: integrated gradients along any sampled path of images, and Blur IG.

Taught in ``notebooks/09_toolkit.py``. Integrated Gradients (Sundararajan et al., 2017,
arXiv:1703.01365) integrates along a straight line from a baseline, which injects the baseline's
own features (black, noise) into the path. Blur IG (Xu, Venugopalan, Sundararajan, Kim,
Sidiropoulos & Yan, 2020, "Attribution in Scale and Space", CVPR, arXiv:2004.03383) needs no
baseline: its path starts at the image under a very wide Gaussian blur and removes the blur step by
step, so every point on it is a coarser version of the input and information only ever appears.

Any path :math:`\gamma` from :math:`\gamma(0)` to :math:`\gamma(1) = x` has path-integrated
gradients :math:`\int_0^1 \nabla F(\gamma(t)) \odot \gamma'(t) \, dt` whose sum is
:math:`F(x) - F(\gamma(0))` (the completeness of path methods, section 4 of Sundararajan et al.).
On a path sampled at images :math:`p_0, \dots, p_N`, :func:`integrate_gradients_along_path` takes
the trapezoid rule along the path,

.. math:: \sum_{k<N} \tfrac12 \big(\nabla F(p_k) + \nabla F(p_{k+1})\big) \odot (p_{k+1} - p_k),

exact for a linear model whatever the path, and for the straight line equal to IG's trapezoid rule.
The path's ends are checked by :func:`ig_tutorial.ig.path_integral.prepare_path` and its gradients
come from :func:`ig_tutorial.ig.gradients.gradients_in_batches`, as for the straight line; the blur
path itself from :func:`ig_tutorial.ig.paths.blur_path`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_image, one_of
from ig_tutorial.ig.gradients import TARGET_OUTPUTS, Model, gradients_in_batches
from ig_tutorial.ig.path_integral import prepare_path
from ig_tutorial.ig.paths import blur_path
from ig_tutorial.ig.results import CompletenessCheck
from ig_tutorial.progress import batches_bar


@dataclass(frozen=True)
class PathIntegratedGradientsResult(CompletenessCheck):
    """Attributions along a general path (e.g. Blur IG) and the numbers to judge them.

    Attributes
    ----------
    attributions : numpy.ndarray
        Same shape as the image ``(height, width, 3)``.
    target : int
        The attributed class index.
    method : str
        ``"blur_ig"`` or ``"path"``; ``"guided_ig"``, ``"idgi"`` or ``"idgi_guided"`` from
        :mod:`ig_tutorial.ig.guided_ig` and :mod:`ig_tutorial.ig.idgi`.
    num_evaluations : int
        Gradient evaluations: one per path image.
    batch_size : int
        Gradient evaluations per model call.
    output : str
        ``"probability"`` or ``"logit"``.
    score_at_input, score_at_baseline : float
        ``F`` at the end of the path (the input) and at its start (for Blur IG, the most
        blurred image).
    path_parameters : numpy.ndarray
        What indexes the path: Blur IG's sigmas (descending to 0), Guided IG's share of the L1
        distance covered, IDGI's alphas, else ``0, 1, ..., N``.
    path_scores : numpy.ndarray
        ``F`` at each path image, in path order.
    path_start : numpy.ndarray
        The first path image (for Blur IG, the maximally blurred input; else the baseline).
    """

    attributions: np.ndarray
    target: int
    method: str
    num_evaluations: int
    batch_size: int
    output: str
    score_at_input: float
    score_at_baseline: float
    path_parameters: np.ndarray
    path_scores: np.ndarray
    path_start: np.ndarray

    path_start_name = "path start"


def integrate_gradients_along_path(
    model: Model,
    path: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    batch_size: int | str | None = None,
    output: str = "probability",
    progress: bool = False,
    path_parameters: np.ndarray | None = None,
    method: str = "path",
) -> PathIntegratedGradientsResult:
    """Path-integrated gradients along sampled path images, by the trapezoid rule along the path.

    The attribution of pixel ``i`` is ``sum_k (g_k + g_{k+1})_i / 2 * (p_{k+1} - p_k)_i``, where
    ``g_k`` is the gradient of the target score at path image ``p_k``; the last path image is the
    input being explained. Exact for linear models; for the straight line from ``x'`` to ``x``
    it is Integrated Gradients with the trapezoid rule (Sundararajan et al., 2017,
    arXiv:1703.01365, section 4 on path methods). :func:`blur_integrated_gradients` runs it on
    the blur path.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits.
    path : tensor or array
        Shape ``(N + 1, height, width, 3)`` with ``N >= 1``: the path images in order, ending at
        the input.
    target : int or str
        Class index, label name, or ``"top-1"`` (of the last path image).
    batch_size : int or "auto", optional
        Gradient evaluations per model call; default
        :data:`ig_tutorial.ig.batching.DEFAULT_BATCH_SIZE`.
    output : {"probability", "logit"}, default "probability"
        The attributed score.
    progress : bool, default False
        Show a progress bar over batches.
    path_parameters : array, optional
        What indexes the path (stored in the result); default ``0, ..., N``.
    method : str, default "path"
        Name stored in the result.

    Returns
    -------
    PathIntegratedGradientsResult

    Raises
    ------
    ValueError
        If the path has fewer than two images or is not finite, ``batch_size`` is not a
        positive integer, or ``target`` is out of range.
    """
    one_of(output, TARGET_OUTPUTS, "output")
    path = np.asarray(path, dtype=np.float32)
    if path.ndim != 4 or path.shape[0] < 2:
        raise ValueError(
            f"path must hold at least two images, shape (N + 1, height, width, channels); got "
            f"shape {path.shape}. Build one with ig_tutorial.ig.paths.blur_path(image)."
        )
    if not np.all(np.isfinite(path)):
        raise ValueError("path contains NaN or infinite values; clean the images first.")
    ends = prepare_path(
        model, path[-1], target, baseline=path[0], output=output, batch_size=batch_size
    )
    # The trapezoid along the path gives path image k half of each adjacent step's difference:
    # (p_{k+1} - p_{k-1}) / 2 inside, and half a step at either end.
    steps = np.diff(path, axis=0)
    no_step = np.zeros_like(path[:1])
    coefficients = 0.5 * (np.concatenate([no_step, steps]) + np.concatenate([steps, no_step]))
    total = tf.zeros(path.shape[1:], tf.float32)
    path_scores = []
    num_points = path.shape[0]
    with batches_bar(num_points, ends.batch_size, desc="path batches", progress=progress) as bar:
        for first, gradients, scores in gradients_in_batches(
            model, path, ends.target, output, ends.batch_size, bar=bar
        ):
            total += tf.reduce_sum(gradients * coefficients[first : first + len(scores)], axis=0)
            path_scores.append(scores.numpy())
    path_scores = np.concatenate(path_scores)
    parameters = np.arange(num_points) if path_parameters is None else np.asarray(path_parameters)
    return PathIntegratedGradientsResult(
        attributions=total.numpy(),
        target=ends.target,
        method=method,
        num_evaluations=num_points,
        batch_size=ends.batch_size,
        output=output,
        score_at_input=float(path_scores[-1]),
        score_at_baseline=float(path_scores[0]),
        path_parameters=parameters,
        path_scores=path_scores,
        path_start=path[0],
    )


def blur_integrated_gradients(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    max_sigma: float = 50.0,
    steps: int = 128,
    spacing: str = "quadratic",
    batch_size: int | str | None = None,
    output: str = "probability",
    progress: bool = False,
) -> PathIntegratedGradientsResult:
    """Blur IG: attributions along the path from a maximally blurred image to the input.

    Xu et al. (2020, arXiv:2004.03383) integrate the gradient times the change of the image as
    the blur shrinks. No baseline is needed; completeness holds with respect to the blurred start:
    ``sum(attributions) = F(x) - F(blur(x, max_sigma))`` up to the integration error. Taught in
    ``notebooks/09_toolkit.py``.

    The integral converges slowly on the bundled (ReLU6) model, so check
    :attr:`~PathIntegratedGradientsResult.relative_completeness_error`; the completeness error
    at 16 to 128 steps, with either spacing, is measured in ``docs/benchmarks.md``.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits, e.g. from :func:`ig_tutorial.load_model`.
    image : tensor or array
        The input, shape ``(height, width, 3)``.
    target : int or str
        Class index, label name, or ``"top-1"``.
    max_sigma : float, default 50.0
        Blur of the path's start, in pixels.
    steps : int, default 128
        Intervals of the path (``steps + 1`` gradient evaluations).
    spacing : {"quadratic", "linear"}, default "quadratic"
        Spacing of the sigmas, see :data:`ig_tutorial.ig.paths.BLUR_SPACINGS`.
    batch_size : int, optional
        Gradient evaluations per model call.
    output : {"probability", "logit"}, default "probability"
        The attributed score.
    progress : bool, default False
        Show a progress bar over batches.

    Returns
    -------
    PathIntegratedGradientsResult
        ``method="blur_ig"``, ``path_parameters`` the sigmas, ``path_start`` the blurred image.

    Raises
    ------
    ValueError
        As :func:`ig_tutorial.ig.paths.blur_path` and :func:`integrate_gradients_along_path`.

    References
    ----------
    Xu, Venugopalan, Sundararajan, Kim, Sidiropoulos & Yan (2020), Attribution in Scale and
    Space, CVPR, arXiv:2004.03383.

    Examples
    --------
    >>> blur = blur_integrated_gradients(model, read_image("coffee"), "espresso")
    >>> print(blur.completeness_report())
    """
    image = one_image(image, "image").numpy()
    path, sigmas = blur_path(image, max_sigma=max_sigma, steps=steps, spacing=spacing)
    return integrate_gradients_along_path(
        model,
        path,
        target,
        batch_size=batch_size,
        output=output,
        progress=progress,
        path_parameters=sigmas,
        method="blur_ig",
    )
