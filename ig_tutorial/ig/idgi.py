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

:func:`idgi` runs it on IG's straight line (the left Riemann rule's points), ``batch_size``
points a call, or on Guided IG's path (:mod:`ig_tutorial.ig.guided_ig`), as the paper also
does. ``F`` at the path's ends comes from their forward pass, so the differences telescope to
the ends the completeness report names. A point whose gradient is exactly zero has no
direction: its step's share is dropped (and shows up in the completeness error); the authors'
code divides by zero.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import one_of, positive_integer
from ig_tutorial.ig.gradients import DEFAULT_OUTPUT, Model
from ig_tutorial.ig.guided_ig import check_guided_settings, guided_path_steps
from ig_tutorial.ig.integration_rules import integration_rule
from ig_tutorial.ig.path_integral import PathEnds, prepare_ends
from ig_tutorial.ig.path_methods import PathIntegratedGradientsResult
from ig_tutorial.progress import batches_bar

#: The paths IDGI can run on: IG's straight line, or Guided IG's adaptive path.
IDGI_PATHS: tuple[str, ...] = ("straight", "guided")


class ImportantDirectionSum:
    """The running IDGI sum over a path's points, given in order a batch at a time.

    Step ``k``'s share needs ``F(p_{k+1})``, which for a batch's last point comes with the next
    batch: its direction is held until then, so memory holds one batch, however many points.
    The ends' scores replace ``F`` at the first and the last point.
    """

    def __init__(self, ends: PathEnds) -> None:
        self.total = np.zeros(ends.images.shape[1:], np.float64)
        self.scores: list[float] = []
        self._ends = ends
        self._held: np.ndarray | None = None  # the last point's direction, waiting for d_k

    def add(self, gradients: tf.Tensor | np.ndarray, scores: tf.Tensor | np.ndarray) -> None:
        """Take the next points' gradients ``(n, ...)`` and scores ``(n,)``, in path order."""
        gradients = np.asarray(gradients, np.float64)
        scores = np.asarray(scores, np.float64).copy()
        if not self.scores:
            scores[0] = self._ends.scores_at_baseline[0]  # p_0 is x'
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
            self.total += self._held * (self._ends.scores_at_input[0] - self.scores[-1])
            self._held = None
            self.scores.append(float(self._ends.scores_at_input[0]))
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

    Taught in ``notebooks/13_evaluating_attributions.py``. ``m_steps`` is the number of path
    steps ``N``, one gradient each at ``p_0, ..., p_{N-1}``: on the straight line the left
    Riemann rule's points, ``batch_size`` a call; on ``path="guided"`` Guided IG's steps, one a
    call (``fraction`` and ``max_dist`` are Guided IG's). ``baseline`` is a name of
    :data:`ig_tutorial.BASELINES` or an input (default black); the other arguments as for
    :func:`ig_tutorial.integrated_gradients`.

    Returns
    -------
    PathIntegratedGradientsResult
        ``method`` ``"idgi"`` or ``"idgi_guided"``; ``path_parameters`` the alphas (straight) or
        the share of the L1 distance covered (guided) of ``p_0, ..., p_N``, ``path_scores``
        ``F`` there.

    Raises
    ------
    ValueError
        For a bad ``m_steps``, ``path`` or guided setting, and as
        :func:`ig_tutorial.integrated_gradients`.
    """
    m_steps = positive_integer(m_steps, "m_steps")
    one_of(path, IDGI_PATHS, "path")
    if path == "straight":
        alphas = integration_rule("riemann_left", m_steps).alphas
    else:
        m_steps, fraction, max_dist = check_guided_settings(m_steps, fraction, max_dist)
        alphas = np.arange(m_steps) / m_steps
        batch_size = 1
    ends = prepare_ends(
        model, image, target, baseline, output=output, batch_size=batch_size, one=True
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
        target=int(ends.targets[0]),
        method="idgi" if path == "straight" else "idgi_guided",
        num_evaluations=m_steps,
        batch_size=ends.batch_size,
        output=output,
        score_at_input=float(ends.scores_at_input[0]),
        score_at_baseline=float(ends.scores_at_baseline[0]),
        path_parameters=np.append(alphas, 1.0),
        path_scores=np.asarray(total.scores),
        path_start=ends.baselines[0],
    )


def _straight_line_batches(
    ends: PathEnds, alphas: np.ndarray
) -> Iterator[tuple[tf.Tensor, tf.Tensor]]:
    """Gradients and scores at ``x' + alpha (x - x')``, ``batch_size`` points a call."""
    for _, _, scores, gradients in ends.gradients(np.zeros(len(alphas)), alphas):
        yield gradients, scores


def _guided_path_batches(
    ends: PathEnds, steps: int, fraction: float, max_dist: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Gradients and scores at Guided IG's points, one a call (its path is sequential)."""
    for step in guided_path_steps(ends, steps, fraction, max_dist):
        yield step.gradient[np.newaxis], np.array([step.score])
