r"""IDGI: each step's change of the score, given to the features along the gradient's direction.

Taught in ``notebooks/13_evaluating_attributions.py``. A path method's Riemann sum gives step
:math:`k` of the path the attributions :math:`\nabla F(p_k) \odot (p_{k+1} - p_k)`: every
feature that changes is credited, whether or not the change moves the score. Yang, Wang & Bilen
(2023, "IDGI: A Framework to Eliminate Explanation Noise from Integrated Gradients", CVPR,
arXiv:2303.14242, Algorithm 1) keep only what the step did to the score,
:math:`d_k = F(p_{k+1}) - F(p_k)`, and distribute it along the gradient, the direction in which
the score changes (the *important direction*):

.. math:: \mathrm{IDGI}_i = \sum_{k=0}^{N-1} \frac{g_{k,i}^2}{\|g_k\|^2} \,
          \big(F(p_{k+1}) - F(p_k)\big), \qquad g_k = \nabla F(p_k).

The gradient is the one at the start :math:`p_k` of each step, as in the authors' code
(``idgi.py`` of github.com/yangruo1226/IDGI, which skips the gradient of the last point). The
shares of each step add up to 1, so the attributions add up to
:math:`\sum_k d_k = F(x) - F(x')` **exactly** (to float rounding), at any number of steps: the
completeness check says nothing about the accuracy of IDGI, only that it is computed right. For a
linear model the gradient is the weights ``w`` everywhere and IDGI is
``w**2 / ||w||**2 * (F(x) - F(x'))`` whatever the input; it ignores ``x - x'``.

:func:`idgi` runs it on IG's straight line (the left Riemann rule's points of
:mod:`ig_tutorial.ig.integration_rules`), ``batch_size`` points per call through
:func:`ig_tutorial.ig.gradients.gradients_in_batches`, or on Guided IG's path
(:mod:`ig_tutorial.ig.guided_ig`), as the paper also does. ``F`` at the path's ends comes from
:func:`ig_tutorial.ig.path_integral.prepare_path`, so the differences telescope to the ends the
completeness report names. A point whose gradient is exactly zero has no direction: its step's
share is dropped (and shows up in the completeness error); the authors' code divides by zero.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of, positive_integer
from ig_tutorial.ig.baselines import baseline_for
from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, TARGET_OUTPUTS, Model, gradients_in_batches
from ig_tutorial.ig.guided_ig import check_guided_settings, guided_path_steps
from ig_tutorial.ig.integration_rules import integration_rule
from ig_tutorial.ig.path_integral import PathEnds, prepare_path
from ig_tutorial.ig.path_methods import PathIntegratedGradientsResult
from ig_tutorial.progress import batches_bar

#: The paths IDGI can run on: IG's straight line, or Guided IG's adaptive path.
IDGI_PATHS: tuple[str, ...] = ("straight", "guided")


class ImportantDirectionSum:
    """The running IDGI sum over a path's points, given in order a batch at a time.

    The share of step ``k`` needs ``F(p_{k+1})``, which for the last point of a batch comes
    with the next batch: that point's direction is held until then, so memory holds one batch
    and one image, however many points there are.

    Parameters
    ----------
    ends : PathEnds
        The path's ends; their scores replace ``F`` at the first and the last point.
    """

    def __init__(self, ends: PathEnds) -> None:
        self.total = np.zeros(ends.image.shape, np.float64)
        self.scores: list[float] = []
        self._ends = ends
        self._held: np.ndarray | None = None  # the last point's direction, waiting for d_k

    def add(self, gradients: tf.Tensor | np.ndarray, scores: tf.Tensor | np.ndarray) -> None:
        """Take the next points' gradients ``(n, ...)`` and scores ``(n,)``, in path order."""
        gradients = np.asarray(gradients, np.float64)
        scores = np.asarray(scores, np.float64).copy()
        if not self.scores:
            scores[0] = self._ends.score_at_baseline  # p_0 is x'
        squares = gradients**2
        norms = squares.reshape(len(squares), -1).sum(axis=1)
        norms = norms.reshape((-1,) + (1,) * (squares.ndim - 1))
        # g_i^2 / ||g||^2 per point; a zero gradient has no direction and gets no share.
        directions = np.divide(squares, norms, out=np.zeros_like(squares), where=norms > 0)
        if self._held is not None:
            self.total += self._held * (scores[0] - self.scores[-1])
        self.total += np.tensordot(np.diff(scores), directions[:-1], axes=1)
        self._held = directions[-1]
        self.scores.extend(scores.tolist())

    def finish(self) -> np.ndarray:
        """Close the last step at the input (``F(x)`` from the ends); the attributions."""
        if self._held is not None:
            self.total += self._held * (self._ends.score_at_input - self.scores[-1])
            self._held = None
            self.scores.append(self._ends.score_at_input)
        return self.total


def idgi(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    baseline: str | tf.Tensor | np.ndarray | None = None,
    m_steps: int = 50,
    path: str = "straight",
    fraction: float = 0.25,
    max_dist: float = 0.02,
    batch_size: int | str | None = None,
    output: str = DEFAULT_OUTPUT,
    progress: bool = False,
) -> PathIntegratedGradientsResult:
    """IDGI attributions: each step's score change, shared out along the gradient's direction.

    Along a path ``p_0 = x', ..., p_N = x``, feature ``i`` gets
    ``sum_k g_{k,i}**2 / ||g_k||**2 * (F(p_{k+1}) - F(p_k))`` with ``g_k`` the gradient at
    ``p_k`` (Yang, Wang & Bilen, 2023, Algorithm 1). The attributions add up to
    ``F(x) - F(x')`` exactly. Taught in ``notebooks/13_evaluating_attributions.py``.

    Parameters
    ----------
    model : callable
        Images in ``[0, 1]`` -> logits, e.g. from :func:`ig_tutorial.load_model`.
    image : tensor or array
        The input ``x``, shape ``(height, width, channels)`` (or a feature vector).
    target : int or str
        Class index, label name, or ``"top-1"``.
    baseline : str, tensor or array, optional
        Where the path starts: a name of :data:`ig_tutorial.BASELINES` or an image of the
        input's shape. Default black (all zeros).
    m_steps : int, default 50
        Steps ``N`` of the path: gradient evaluations at ``p_0, ..., p_{N-1}`` (the gradient at
        ``x`` is not needed; ``F(x)`` comes from the ends' forward pass). On the straight line
        the points are the left Riemann rule's, ``alpha = k / N``; on the guided path they are
        Guided IG's ``steps``.
    path : {"straight", "guided"}, default "straight"
        IG's straight line, or Guided IG's path
        (:func:`ig_tutorial.ig.guided_ig.guided_integrated_gradients`), one point per call.
    fraction, max_dist : float
        ``path="guided"`` only: as for Guided IG (defaults 0.25 and 0.02).
    batch_size : int or "auto", optional
        Straight line: gradient evaluations per model call; default
        :data:`ig_tutorial.ig.batching.DEFAULT_BATCH_SIZE`. The result does not depend on it.
        The guided path evaluates one point at a time whatever it is.
    output : {"probability", "logit"}, default "probability"
        The attributed score ``F``.
    progress : bool, default False
        Show a progress bar over model calls.

    Returns
    -------
    PathIntegratedGradientsResult
        ``method`` ``"idgi"`` (straight) or ``"idgi_guided"``; ``num_evaluations=m_steps``;
        ``path_parameters`` the alphas (straight) or the share of the L1 distance covered
        (guided) of ``p_0, ..., p_N``; ``path_scores`` ``F`` at each, the ends' from
        :func:`~ig_tutorial.ig.path_integral.prepare_path`; ``path_start`` the baseline.

    Raises
    ------
    ValueError
        If ``m_steps`` is not a positive integer, ``path`` is unknown, the baseline is an
        unknown name or its shape differs from the input's, with ``path="guided"`` as
        :func:`~ig_tutorial.ig.guided_ig.guided_integrated_gradients` for ``fraction`` and
        ``max_dist``, and as :func:`ig_tutorial.integrated_gradients` for the other arguments.

    References
    ----------
    Yang, Wang & Bilen (2023), IDGI: A Framework to Eliminate Explanation Noise from Integrated
    Gradients, CVPR, arXiv:2303.14242.

    Examples
    --------
    >>> result = idgi(model, read_image("coffee"), "espresso", m_steps=64)
    >>> result.relative_completeness_error < 1e-6
    True
    """
    m_steps = positive_integer(m_steps, "m_steps")
    one_of(path, IDGI_PATHS, "path")
    one_of(output, TARGET_OUTPUTS, "output")
    if path == "straight":
        alphas = integration_rule("riemann_left", m_steps).alphas
    else:
        m_steps, fraction, max_dist = check_guided_settings(m_steps, fraction, max_dist)
        alphas = np.arange(m_steps) / m_steps
        batch_size = 1
    baseline = baseline_for(baseline, tf.convert_to_tensor(image, tf.float32))
    ends = prepare_path(
        model, image, target, baseline=baseline, output=output, batch_size=batch_size
    )
    if path == "straight":
        batches = _straight_line_batches(ends, alphas)
    else:
        batches = _guided_path_batches(ends, m_steps, fraction, max_dist)
    total = ImportantDirectionSum(ends)
    with batches_bar(m_steps, ends.batch_size, desc="IDGI batches", progress=progress) as bar:
        for gradients, scores in batches:
            total.add(gradients, scores)
            bar.update(1)
    attributions = total.finish()
    return PathIntegratedGradientsResult(
        attributions=attributions.astype(np.float32),
        target=ends.target,
        method="idgi" if path == "straight" else "idgi_guided",
        num_evaluations=m_steps,
        batch_size=ends.batch_size,
        output=output,
        score_at_input=ends.score_at_input,
        score_at_baseline=ends.score_at_baseline,
        path_parameters=np.append(alphas, 1.0),
        path_scores=np.asarray(total.scores),
        path_start=ends.baseline.numpy(),
    )


def _straight_line_batches(
    ends: PathEnds, alphas: np.ndarray
) -> Iterator[tuple[tf.Tensor, tf.Tensor]]:
    """Gradients and scores at ``x' + alpha (x - x')``, ``batch_size`` points a call."""
    for _, gradients, scores in gradients_in_batches(
        ends.model, ends.straight_line(alphas), ends.target, ends.output, ends.batch_size
    ):
        yield gradients, scores


def _guided_path_batches(
    ends: PathEnds, steps: int, fraction: float, max_dist: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Gradients and scores at Guided IG's points, one a call (its path is sequential)."""
    for step in guided_path_steps(ends, steps, fraction, max_dist):
        yield step.gradient[np.newaxis], np.array([step.score])
