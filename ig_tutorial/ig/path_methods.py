r"""Path methods: integrated gradients along any sampled path of images, and Blur IG.

Taught in ``notebooks/09_toolkit.py``. Integrated Gradients (Sundararajan et al., 2017,
arXiv:1703.01365) integrates along a straight line from a baseline, which injects the baseline's
own features (black, noise) into the path. Blur IG (Xu, Venugopalan, Sundararajan, Kim,
Sidiropoulos & Yan, 2020, "Attribution in Scale and Space", CVPR, arXiv:2004.03383) needs no
baseline: its path starts at the image under a very wide Gaussian blur and removes the blur
step by step, so information only ever appears.

Any path from :math:`p_0` to :math:`p_N = x` has path-integrated gradients whose sum is
:math:`F(x) - F(p_0)` (section 4 of Sundararajan et al.). On a sampled path,
:func:`integrate_gradients_along_path` takes the trapezoid rule along it,

.. math:: \sum_{k<N} \tfrac12 \big(\nabla F(p_k) + \nabla F(p_{k+1})\big) \odot (p_{k+1} - p_k),

exact for a linear model whatever the path, and on the straight line IG's trapezoid rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_image
from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, Model, gradients_at
from ig_tutorial.ig.path_integral import prepare_ends
from ig_tutorial.ig.paths import blur_path
from ig_tutorial.ig.results import CompletenessCheck
from ig_tutorial.progress import batches_bar


@dataclass(frozen=True)
class PathIntegratedGradientsResult(CompletenessCheck):
    """Attributions along a general path (Blur IG, Guided IG, IDGI) and the numbers to judge them.

    Attributes
    ----------
    attributions : numpy.ndarray
        The input's shape.
    target : int
        The attributed class index.
    method : str
        ``"blur_ig"``, ``"path"``, ``"guided_ig"``, ``"idgi"`` or ``"idgi_guided"``.
    num_evaluations : int
        Gradient evaluations.
    batch_size : int
        How many of them went into one model call.
    output : str
        ``"probability"`` or ``"logit"``.
    score_at_input, score_at_baseline : float
        ``F`` at the input and at the path's start (for Blur IG, the most blurred image).
    path_parameters : numpy.ndarray
        What indexes the path: Blur IG's sigmas, Guided IG's share of the L1 distance covered,
        IDGI's alphas, else ``0, 1, ..., N``.
    path_scores : numpy.ndarray
        ``F`` at each path point, in path order.
    path_start : numpy.ndarray
        The first path point.
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
    output: str = DEFAULT_OUTPUT,
    progress: bool = False,
    path_parameters: np.ndarray | None = None,
    method: str = "path",
) -> PathIntegratedGradientsResult:
    """Path-integrated gradients along sampled path images ``(N + 1, ...)`` ending at the input.

    Pixel ``i`` gets ``sum_k (g_k + g_{k+1})_i / 2 * (p_{k+1} - p_k)_i`` with ``g_k`` the
    gradient at path image ``p_k``. ``target`` may be ``"top-1"`` (of the last image);
    ``path_parameters`` (default ``0, ..., N``) and ``method`` are stored in the result.

    Raises
    ------
    ValueError
        If the path has fewer than two images or is not finite, and as
        :func:`ig_tutorial.integrated_gradients` for the other arguments.
    """
    path = np.asarray(path, dtype=np.float32)
    if path.ndim != 4 or path.shape[0] < 2:
        raise ValueError(
            f"path must hold at least two images, shape (N + 1, height, width, channels); got "
            f"shape {path.shape}. Build one with ig_tutorial.ig.paths.blur_path(image)."
        )
    if not np.all(np.isfinite(path)):
        raise ValueError("path contains NaN or infinite values; clean the images first.")
    ends = prepare_ends(
        model, path[-1], target, path[0], output=output, batch_size=batch_size, one=True
    )
    # The trapezoid along the path gives path image k half of each adjacent step's difference:
    # (p_{k+1} - p_{k-1}) / 2 inside, and half a step at either end.
    steps = np.diff(path, axis=0)
    no_step = np.zeros_like(path[:1])
    coefficients = 0.5 * (np.concatenate([no_step, steps]) + np.concatenate([steps, no_step]))
    total = tf.zeros(path.shape[1:], tf.float32)
    path_scores = []
    with batches_bar(len(path), ends.batch_size, desc="path batches", progress=progress) as bar:
        for first in range(0, len(path), ends.batch_size):
            batch = slice(first, first + ends.batch_size)
            gradients, scores = gradients_at(model, path[batch], ends.targets[0], output)
            total += tf.reduce_sum(gradients * coefficients[batch], axis=0)
            path_scores.append(scores.numpy())
            bar.update(1)
    path_scores = np.concatenate(path_scores)
    return PathIntegratedGradientsResult(
        attributions=total.numpy(),
        target=int(ends.targets[0]),
        method=method,
        num_evaluations=len(path),
        batch_size=ends.batch_size,
        output=output,
        score_at_input=float(path_scores[-1]),
        score_at_baseline=float(path_scores[0]),
        path_parameters=np.arange(len(path)) if path_parameters is None else path_parameters,
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
    output: str = DEFAULT_OUTPUT,
    progress: bool = False,
) -> PathIntegratedGradientsResult:
    """Blur IG: attributions along the path from a maximally blurred image to the input.

    Taught in ``notebooks/09_toolkit.py``. Completeness holds with respect to the blurred
    start, ``F(x) - F(blur(x, max_sigma))``; the integral converges slowly on the bundled
    (ReLU6) model, so check ``relative_completeness_error`` (measured in
    ``docs/benchmarks.md``). ``max_sigma``, ``steps`` and ``spacing`` define the path
    (:func:`ig_tutorial.ig.paths.blur_path`, ``steps + 1`` gradient evaluations); the other
    arguments are :func:`ig_tutorial.integrated_gradients`'.

    Returns
    -------
    PathIntegratedGradientsResult
        ``method="blur_ig"``, ``path_parameters`` the sigmas, ``path_start`` the blurred image.

    References
    ----------
    Xu, Venugopalan, Sundararajan, Kim, Sidiropoulos & Yan (2020), Attribution in Scale and
    Space, CVPR, arXiv:2004.03383.
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
