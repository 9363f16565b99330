"""Averages of Integrated Gradients: over several baselines, and over noisy copies of the input.

One attribution map depends on choices the user made: the baseline, and the exact pixels of the
input. Averaging Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365) over those
choices shows what is robust, and the per-pixel spread shows where the map is not.

- :func:`integrated_gradients_over_baselines` averages IG over several baselines, as expected
  gradients does over baselines drawn from data (Erion et al., 2021, "Improving performance of
  deep learning models with axiomatic attribution priors and expected gradients",
  arXiv:1906.10670; Sturmfels, Lundberg & Lee, 2020, "Visualizing the Impact of Feature
  Attribution Baselines", Distill). Taught in ``notebooks/07_baselines.py``.
- :func:`smoothgrad_integrated_gradients` averages IG over copies of the input with Gaussian
  noise added: SmoothGrad (Smilkov, Thorat, Kim, Viégas & Wattenberg, 2017, "SmoothGrad: removing
  noise by adding noise", arXiv:1706.03825) applied to IG. Taught in ``notebooks/09_toolkit.py``.

Both return an :class:`AveragedAttributions` with the mean, the per-pixel standard deviation and
every individual :class:`~ig_tutorial.ig.results.IntegratedGradientsResult`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ig_tutorial.checks import positive_integer, positive_number
from ig_tutorial.ig.baselines import SEEDED_BASELINES, black_baseline, make_baseline
from ig_tutorial.ig.gradients import Model
from ig_tutorial.ig.integrated_gradients import integrated_gradients
from ig_tutorial.ig.results import CompletenessCheck, IntegratedGradientsResult
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.progress import progress_bar


@dataclass(frozen=True)
class AveragedAttributions(CompletenessCheck):
    """The mean of several Integrated Gradients attributions, with their spread.

    Attributes
    ----------
    attributions : numpy.ndarray
        The mean attributions, shape ``(height, width, 3)``.
    standard_deviation : numpy.ndarray
        Per pixel and channel, the standard deviation across members (``ddof=0``), same shape.
    members : tuple of IntegratedGradientsResult
        The individual results, one per baseline or noise sample.
    member_names : tuple of str
        A name per member, e.g. ``"uniform (seed 3)"`` or ``"noise sample 0"``.
    kind : str
        ``"baselines"`` or ``"smoothgrad"``.
    baselines : tuple of numpy.ndarray
        The baseline of each member (for SmoothGrad, the same baseline each time).
    inputs : tuple of numpy.ndarray
        The input of each member: the image itself, or its noisy copies for SmoothGrad.
    """

    attributions: np.ndarray
    standard_deviation: np.ndarray
    members: tuple[IntegratedGradientsResult, ...]
    member_names: tuple[str, ...]
    kind: str
    baselines: tuple[np.ndarray, ...]
    inputs: tuple[np.ndarray, ...]

    @property
    def variance(self) -> np.ndarray:
        """Per-pixel variance across members: ``standard_deviation ** 2``."""
        return self.standard_deviation**2

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
        """Mean over members of ``F(x) - F(x')``: what the mean attributions should add up to."""
        return float(np.mean([member.score_difference for member in self.members]))

    @property
    def member_completeness_errors(self) -> np.ndarray:
        """The relative completeness error of each member, shape ``(len(members),)``."""
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


def _average(
    members: list[IntegratedGradientsResult],
    names: list[str],
    kind: str,
    baselines: list[np.ndarray],
    inputs: list[np.ndarray],
) -> AveragedAttributions:
    stacked = np.stack([member.attributions for member in members])
    return AveragedAttributions(
        attributions=stacked.mean(axis=0),
        standard_deviation=stacked.std(axis=0),
        members=tuple(members),
        member_names=tuple(names),
        kind=kind,
        baselines=tuple(baselines),
        inputs=tuple(inputs),
    )


def _numpy_image(value: tf.Tensor | np.ndarray) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


def integrated_gradients_over_baselines(
    model: Model,
    image: tf.Tensor | np.ndarray,
    target: int | str,
    baselines: Sequence[str | tf.Tensor | np.ndarray] = ("uniform",) * 8,
    *,
    seed: int = 0,
    progress: bool = False,
    **options,
) -> AveragedAttributions:
    """Integrated Gradients averaged over several baselines, with the per-pixel spread.

    With baselines drawn at random (e.g. eight uniform-noise images) this is the
    expected-gradients idea of Erion et al. (2021, arXiv:1906.10670): the mean no longer depends
    on one arbitrary "absence of signal", and the standard deviation shows which pixels' credit
    hangs on the choice. With named baselines (``["black", "white", "blur"]``) it compares them.
    Taught in ``notebooks/07_baselines.py``.

    Parameters
    ----------
    model : callable
        The classifier, as for :func:`ig_tutorial.integrated_gradients`.
    image : tf.Tensor or numpy.ndarray
        The input, shape ``(height, width, 3)``.
    target : int or str
        Class index, label name or ``"top-1"``; resolved once on ``image`` so that every
        baseline explains the same class.
    baselines : sequence of str or arrays, default eight ``"uniform"``
        Names from :data:`ig_tutorial.BASELINES` and/or baseline images. The ``i``-th entry, if a
        random name, is drawn with seed ``seed + i``, so repeating a name gives different,
        reproducible baselines.
    seed : int, default 0
        First seed of the random baselines.
    progress : bool, default False
        Show a progress bar over baselines.
    **options
        Passed to :func:`ig_tutorial.integrated_gradients` (``m_steps``, ``method``,
        ``batch_size``, ``output``, ``tolerance``, ``max_steps``).

    Returns
    -------
    AveragedAttributions
        Mean attributions, per-pixel standard deviation, and every member's result.

    Raises
    ------
    ValueError
        If ``baselines`` is empty or a single string, ``options`` contains ``baseline``, or as
        :func:`ig_tutorial.integrated_gradients`.

    References
    ----------
    Sundararajan, Taly & Yan (2017), arXiv:1703.01365. Erion, Janizek, Sturmfels, Lundberg & Lee
    (2021), arXiv:1906.10670. Sturmfels, Lundberg & Lee (2020), Distill,
    doi:10.23915/distill.00022.

    Examples
    --------
    >>> averaged = integrated_gradients_over_baselines(model, image, "espresso", ["uniform"] * 4)
    >>> averaged.attributions.shape, averaged.standard_deviation.shape
    ((224, 224, 3), (224, 224, 3))
    """
    if isinstance(baselines, str) or len(baselines) == 0:
        raise ValueError(
            f"baselines must be a non-empty sequence of baseline names or images, got "
            f"{baselines!r}; for a single baseline use ig_tutorial.integrated_gradients."
        )
    if "baseline" in options:
        raise ValueError("pass the baselines as `baselines=[...]`, not `baseline=`.")
    image = tf.convert_to_tensor(image, tf.float32)
    target = resolve_target(model, image, target)
    members, names, baseline_images = [], [], []
    for index, baseline in enumerate(progress_bar(baselines, disable=not progress, leave=False)):
        if isinstance(baseline, str):
            baseline_image = make_baseline(baseline, image, seed=seed + index)
            random = baseline in SEEDED_BASELINES
            names.append(f"{baseline} (seed {seed + index})" if random else baseline)
        else:
            baseline_image = baseline
            names.append(f"baseline {index}")
        members.append(
            integrated_gradients(model, image, target, baseline=baseline_image, **options)
        )
        baseline_images.append(_numpy_image(baseline_image))
    return _average(
        members, names, "baselines", baseline_images, [_numpy_image(image)] * len(members)
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
    progress: bool = False,
    **options,
) -> AveragedAttributions:
    """SmoothGrad over Integrated Gradients: IG averaged over noisy copies of the input.

    Gradients of deep networks flicker from pixel to pixel; averaging the attributions of
    ``num_samples`` copies of the image with Gaussian noise added smooths that out (Smilkov et al.,
    2017, arXiv:1706.03825, who apply it to IG too). Every sample keeps completeness with respect
    to its own noisy input, reported per member. Taught in ``notebooks/09_toolkit.py``.

    Parameters
    ----------
    model : callable
        The classifier, as for :func:`ig_tutorial.integrated_gradients`.
    image : tf.Tensor or numpy.ndarray
        The input, shape ``(height, width, 3)``.
    target : int or str
        Class index, label name or ``"top-1"``; resolved once on the clean image so that noise
        cannot change the explained class.
    num_samples : int, default 16
        Noisy copies.
    noise_level : float, default 0.15
        Standard deviation of the noise as a fraction of the image's value range
        ``max(x) - min(x)`` (the paper's ``sigma / (x_max - x_min)``; it finds 10-20% works
        best). The noisy copies are not clipped, as in the paper.
    seed : int, default 0
        Makes the noise reproducible: sample ``k`` uses the stateless seed ``(seed, k)``.
    baseline : tensor or array, optional
        The baseline of every sample; default black.
    progress : bool, default False
        Show a progress bar over samples.
    **options
        Passed to :func:`ig_tutorial.integrated_gradients` (``m_steps``, ``method``,
        ``batch_size``, ``output``, ``tolerance``, ``max_steps``).

    Returns
    -------
    AveragedAttributions
        Mean attributions, per-pixel standard deviation, every sample's result and input.

    Raises
    ------
    ValueError
        If ``num_samples`` is not a positive integer or ``noise_level`` is negative or not
        finite, or as :func:`ig_tutorial.integrated_gradients`.

    References
    ----------
    Smilkov, Thorat, Kim, Viégas & Wattenberg (2017), SmoothGrad: removing noise by adding noise,
    arXiv:1706.03825. Sundararajan, Taly & Yan (2017), arXiv:1703.01365.

    Examples
    --------
    >>> smooth = smoothgrad_integrated_gradients(model, image, "espresso", num_samples=8)
    >>> smooth.member_completeness_errors.shape
    (8,)
    """
    num_samples = positive_integer(num_samples, "num_samples")
    positive_number(
        noise_level, "noise_level", "a fraction of the value range, e.g. 0.15", allow_zero=True
    )
    image = tf.convert_to_tensor(image, tf.float32)
    target = resolve_target(model, image, target)
    stddev = noise_level * float(tf.reduce_max(image) - tf.reduce_min(image))
    baseline = black_baseline(image) if baseline is None else baseline
    members, names, inputs = [], [], []
    for sample in progress_bar(range(num_samples), disable=not progress, leave=False):
        noise = tf.random.stateless_normal(image.shape, seed=(seed, sample), stddev=stddev)
        noisy = image + noise
        members.append(integrated_gradients(model, noisy, target, baseline=baseline, **options))
        names.append(f"noise sample {sample}")
        inputs.append(_numpy_image(noisy))
    return _average(members, names, "smoothgrad", [_numpy_image(baseline)] * num_samples, inputs)
