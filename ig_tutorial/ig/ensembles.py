"""Averages of Integrated Gradients: over several baselines, and over noisy copies of the input.

One attribution map depends on choices: the baseline, and the exact pixels of the input.
Averaging Integrated Gradients over them shows what is robust, and the per-pixel spread where
the map is not:

- :func:`integrated_gradients_over_baselines` averages over baselines, as expected gradients does
  over baselines drawn from data (Erion et al., 2021, arXiv:1906.10670; Sturmfels, Lundberg &
  Lee, 2020, "Visualizing the Impact of Feature Attribution Baselines", Distill). Taught in
  ``notebooks/07_baselines.py``.
- :func:`smoothgrad_integrated_gradients` averages over copies of the input with Gaussian noise:
  SmoothGrad (Smilkov et al., 2017, arXiv:1706.03825) applied to IG. Taught in
  ``notebooks/09_toolkit.py``.

The members are attributed together by :func:`ig_tutorial.integrated_gradients_many`, so their
path points share the model calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import positive_integer, positive_number
from ig_tutorial.ig.baselines import SEEDED_BASELINES, baselines_for, make_baseline
from ig_tutorial.ig.gradients import Model
from ig_tutorial.ig.integrated_gradients import integrated_gradients_many
from ig_tutorial.ig.results import CompletenessCheck, IntegratedGradientsResult
from ig_tutorial.ig.targets import resolve_target


@dataclass(frozen=True)
class AveragedAttributions(CompletenessCheck):
    """The mean of several Integrated Gradients attributions, with their spread.

    Attributes
    ----------
    attributions : numpy.ndarray
        The mean.
    standard_deviation : numpy.ndarray
        The per-value standard deviation across members (``ddof=0``).
    members : tuple of IntegratedGradientsResult
        Each member's result.
    member_names : tuple of str
        A name per member, e.g. ``"uniform (seed 3)"`` or ``"noise sample 0"``.
    kind : str
        ``"baselines"`` or ``"smoothgrad"``.
    baselines : tuple of numpy.ndarray
        Each member's baseline.
    inputs : tuple of numpy.ndarray
        Each member's input (for SmoothGrad, the noisy copies).
    """

    attributions: np.ndarray
    standard_deviation: np.ndarray
    members: tuple[IntegratedGradientsResult, ...]
    member_names: tuple[str, ...]
    kind: str
    baselines: tuple[np.ndarray, ...]
    inputs: tuple[np.ndarray, ...]

    @property
    def target(self) -> int:
        """The attributed class index, the same for every member."""
        return self.members[0].target

    @property
    def num_evaluations(self) -> int:
        """Gradient evaluations of all members together."""
        return sum(member.num_evaluations for member in self.members)

    @property
    def score_difference(self) -> float:
        """Mean over members of ``F(x) - F(x')``: what the mean should add up to."""
        return float(np.mean([member.score_difference for member in self.members]))

    @property
    def member_completeness_errors(self) -> np.ndarray:
        """The relative completeness error of each member."""
        return np.array([member.relative_completeness_error for member in self.members])

    def completeness_report(self) -> str:
        """One line per member and one for the mean, for printing in a notebook."""
        lines = [
            f"{name}: {member.completeness_report()}"
            for name, member in zip(self.member_names, self.members, strict=True)
        ]
        lines.append(
            f"mean of {len(self.members)}: sum {self.attribution_sum:.4f} vs mean F(x) - F(x') "
            f"{self.score_difference:.4f}: delta {self.completeness_delta:+.4f} "
            f"({100 * self.relative_completeness_error:.2f}%)"
        )
        return "\n".join(lines)


def _averaged(
    model: Model,
    inputs: np.ndarray,
    target: int,
    baselines: np.ndarray,
    names: list[str],
    kind: str,
    options: dict,
) -> AveragedAttributions:
    """Attribute the members together and average them."""
    members = integrated_gradients_many(model, inputs, target, baseline=baselines, **options)
    return AveragedAttributions(
        attributions=members.attributions.mean(axis=0),
        standard_deviation=members.attributions.std(axis=0),
        members=tuple(members),
        member_names=tuple(names),
        kind=kind,
        baselines=tuple(baselines),
        inputs=tuple(inputs),
    )


def integrated_gradients_over_baselines(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    baselines: Sequence[str | tf.Tensor | np.ndarray] = ("uniform",) * 8,
    *,
    seed: int = 0,
    **options,
) -> AveragedAttributions:
    """Integrated Gradients averaged over several baselines, with the per-pixel spread.

    Taught in ``notebooks/07_baselines.py``. With random baselines (eight uniform-noise images
    by default) this is expected gradients: the mean no longer hangs on one "absence of
    signal", and the spread shows which pixels' credit does. ``baselines`` holds names of
    :data:`ig_tutorial.BASELINES` (entry ``i``, if random, drawn with seed ``seed + i``) and
    baseline images. ``target`` is resolved once on ``image``; ``options`` go to
    :func:`ig_tutorial.integrated_gradients_many` (``m_steps``, ``method``, ``batch_size``,
    ``output``, ``progress``, ``tolerance``, ``max_steps``).

    Raises
    ------
    ValueError
        If ``baselines`` is empty or a single string, ``options`` holds ``baseline``, or as
        :func:`ig_tutorial.integrated_gradients`.
    """
    if isinstance(baselines, str) or len(baselines) == 0:
        raise ValueError(
            f"baselines must be a non-empty sequence of baseline names or images, got "
            f"{baselines!r}; for a single baseline use ig_tutorial.integrated_gradients."
        )
    if "baseline" in options:
        raise ValueError("pass the baselines as `baselines=[...]`, not `baseline=`.")
    image = tf.convert_to_tensor(image, tf.float32)
    names, images = [], []
    for index, baseline in enumerate(baselines):
        if isinstance(baseline, str):
            random = baseline in SEEDED_BASELINES
            names.append(f"{baseline} (seed {seed + index})" if random else baseline)
            baseline = make_baseline(baseline, image, seed=seed + index)
        else:
            names.append(f"baseline {index}")
        images.append(np.asarray(baseline, np.float32))
    inputs = np.repeat(image.numpy()[np.newaxis], len(images), axis=0)
    return _averaged(
        model,
        inputs,
        resolve_target(model, image, target),
        np.stack(images),
        names,
        "baselines",
        options,
    )


def smoothgrad_integrated_gradients(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    *,
    num_samples: int = 16,
    noise_level: float = 0.15,
    seed: int = 0,
    baseline: tf.Tensor | np.ndarray | None = None,
    **options,
) -> AveragedAttributions:
    """SmoothGrad over Integrated Gradients: IG averaged over noisy copies of the input.

    Taught in ``notebooks/09_toolkit.py``. Gradients of deep networks flicker from pixel to
    pixel; averaging the attributions of ``num_samples`` noisy copies smooths that out. The
    noise's standard deviation is ``noise_level`` times the image's value range (the paper
    finds 10-20% best), the copies are not clipped, sample ``k`` uses the seed ``(seed, k)``,
    and every sample keeps completeness towards its own noisy input. ``target`` is resolved on
    the clean image; ``baseline`` (default black) and ``options`` as for
    :func:`integrated_gradients_over_baselines`.

    Raises
    ------
    ValueError
        If ``num_samples`` is not a positive integer, ``noise_level`` is negative or not
        finite, or as :func:`ig_tutorial.integrated_gradients`.
    """
    num_samples = positive_integer(num_samples, "num_samples")
    positive_number(
        noise_level, "noise_level", "a fraction of the value range, e.g. 0.15", allow_zero=True
    )
    image = tf.convert_to_tensor(image, tf.float32)
    stddev = noise_level * float(tf.reduce_max(image) - tf.reduce_min(image))
    noisy = np.stack(
        [
            (image + tf.random.stateless_normal(image.shape, seed=(seed, k), stddev=stddev)).numpy()
            for k in range(num_samples)
        ]
    )
    return _averaged(
        model,
        noisy,
        resolve_target(model, image, target),
        baselines_for(baseline, noisy).astype(np.float32),
        [f"noise sample {k}" for k in range(num_samples)],
        "smoothgrad",
        options,
    )
