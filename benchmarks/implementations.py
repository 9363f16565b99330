"""The Integrated Gradients implementations the benchmark compares, one entry each, as data.

Each :class:`Implementation` turns ``(model, image, baseline, target, setting)`` into
attributions and the number of gradient evaluations spent. ``setting`` is ``m_steps`` for the
fixed-step entries and a completeness tolerance for ours with automatic step selection.
To compare one more implementation, append one entry to :func:`implementations`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from benchmarks.tutorial_reference import make_tutorial_integrated_gradients
from ig_tutorial import integrated_gradients

#: The tutorial's batch size, also used for PAIR saliency so the two differ only in code.
TUTORIAL_BATCH_SIZE = 32


@dataclass(frozen=True)
class Attribution:
    """What one run of an implementation returns."""

    attributions: np.ndarray
    num_evaluations: int


@dataclass(frozen=True)
class Implementation:
    """One compared implementation.

    Attributes
    ----------
    name : str
        Label in tables and plots.
    rule : str
        The integration rule it uses.
    attribute : callable
        ``attribute(model, image, baseline, target, setting) -> Attribution``.
    prepare : callable or None
        ``prepare(model, image, baseline, target, setting)``: one-off work that a user pays once
        per setting (tracing), timed apart from ``attribute``.
    settings : tuple or None
        The values of ``setting`` to sweep; ``None`` means the sweep's ``m_steps`` list.
    setting_name : str
        What ``setting`` means (``"m_steps"`` or ``"tolerance"``).
    unavailable : str or None
        Why it cannot run here (not installed, unsupported); ``None`` when it can.
    """

    name: str
    rule: str
    attribute: Callable[..., Attribution]
    prepare: Callable[..., None] | None = None
    settings: tuple | None = None
    setting_name: str = "m_steps"
    unavailable: str | None = None


# --- the tutorial ---------------------------------------------------------------------------

_TUTORIAL_FUNCTIONS: dict[int, Callable] = {}


def _tutorial_function(model):
    # One tf.function per model, as in the tutorial's notebook (a module-level function).
    if id(model) not in _TUTORIAL_FUNCTIONS:
        _TUTORIAL_FUNCTIONS[id(model)] = (model, make_tutorial_integrated_gradients(model))
    return _TUTORIAL_FUNCTIONS[id(model)][1]


def _tutorial_prepare(model, image, baseline, target, m_steps):
    # Tracing happens on the first call with each new Python m_steps/target: do it here, so the
    # timed call measures execution; the trace time is reported in its own column.
    _tutorial_function(model).get_concrete_function(
        baseline, image, target, m_steps=m_steps, batch_size=TUTORIAL_BATCH_SIZE
    )


def _tutorial_attribute(model, image, baseline, target, m_steps):
    attributions = _tutorial_function(model)(
        baseline, image, target, m_steps=m_steps, batch_size=TUTORIAL_BATCH_SIZE
    )
    return Attribution(attributions.numpy(), num_evaluations=m_steps + 1)


# --- PAIR saliency --------------------------------------------------------------------------

_SALIENCY_GRADIENTS: dict[int, Callable] = {}


def _saliency_gradient_function(model):
    """The TensorFlow gradient function saliency calls, compiled (its best case)."""
    if id(model) not in _SALIENCY_GRADIENTS:

        @tf.function(
            input_signature=[
                tf.TensorSpec([None, None, None, None], tf.float32),
                tf.TensorSpec([], tf.int32),
            ]
        )
        def gradients(images, target):
            with tf.GradientTape() as tape:
                tape.watch(images)
                scores = tf.nn.softmax(model(images), axis=-1)[:, target]
            return tape.gradient(scores, images)

        _SALIENCY_GRADIENTS[id(model)] = (model, gradients)
    return _SALIENCY_GRADIENTS[id(model)][1]


def saliency_call_model_function(x_value_batch, call_model_args=None, expected_keys=None):
    """PAIR saliency's model seam: gradients of the target probability for a numpy batch."""
    from saliency.core.base import INPUT_OUTPUT_GRADIENTS

    gradients = _saliency_gradient_function(call_model_args["model"])
    images = tf.convert_to_tensor(np.asarray(x_value_batch), tf.float32)
    return {
        INPUT_OUTPUT_GRADIENTS: gradients(images, tf.constant(call_model_args["target"])).numpy()
    }


def _saliency_prepare(model, image, baseline, target, m_steps):
    _saliency_gradient_function(model).get_concrete_function()


def _saliency_attribute(model, image, baseline, target, m_steps):
    import saliency.core as saliency

    # saliency's x_steps counts points (np.linspace(0, 1, x_steps)); m_steps + 1 points spend
    # the same evaluations as the trapezoid rule with m_steps sub-intervals.
    attributions = saliency.IntegratedGradients().GetMask(
        np.asarray(image, np.float32),
        saliency_call_model_function,
        call_model_args={"model": model, "target": int(target)},
        x_baseline=np.asarray(baseline, np.float32),
        x_steps=m_steps + 1,
        batch_size=TUTORIAL_BATCH_SIZE,
    )
    return Attribution(np.asarray(attributions), num_evaluations=m_steps + 1)


# --- ours -----------------------------------------------------------------------------------


def _ours(method: str, batch_size: int | str | None) -> Callable[..., Attribution]:
    def attribute(model, image, baseline, target, m_steps):
        result = integrated_gradients(
            model,
            image,
            target,
            baseline=baseline,
            m_steps=m_steps,
            method=method,
            batch_size=batch_size,
        )
        return Attribution(result.attributions, result.num_evaluations)

    return attribute


_OURS_PREPARED: dict[int, object] = {}


def _ours_prepare(model, image, baseline, target, setting):
    # Ours traces once per model (any batch size, m_steps, target); one 2-point run does it.
    if id(model) not in _OURS_PREPARED:
        integrated_gradients(model, image, target, baseline=baseline, m_steps=1)
        _OURS_PREPARED[id(model)] = model


def _ours_auto(model, image, baseline, target, tolerance):
    result = integrated_gradients(
        model, image, target, baseline=baseline, m_steps="auto", tolerance=tolerance
    )
    return Attribution(result.attributions, result.num_evaluations)


def supports_automatic_steps() -> str | None:
    """``None`` if the installed ig_tutorial accepts ``m_steps="auto"``, else why not."""

    def tiny_model(images):
        return tf.reshape(images, (tf.shape(images)[0], -1))[:, :2]

    image = tf.fill((2, 2, 3), 0.5)
    try:
        result = integrated_gradients(tiny_model, image, 0, m_steps="auto", tolerance=0.5)
    except (TypeError, ValueError) as error:
        return f"this ig_tutorial has no m_steps='auto' ({type(error).__name__}: {error})"
    if not result.num_evaluations:
        return "m_steps='auto' reported no gradient evaluations"
    return None


def _saliency_unavailable() -> str | None:
    if importlib.util.find_spec("saliency") is None:
        return "not installed (pip install -e '.[bench]')"
    return None


OUR_RULES = (
    "riemann_left",
    "riemann_right",
    "riemann_middle",
    "riemann_trapezoid",
    "gausslegendre",
)


def implementations(
    *,
    batch_size: int | str | None = None,
    tolerances: Sequence[float] = (0.05, 0.02, 0.01, 0.005),
) -> list[Implementation]:
    """The compared implementations, the reference point first.

    Parameters
    ----------
    batch_size : int, "auto" or None
        Our batch size (``None``: ``ig_tutorial``'s default).
    tolerances : sequence of float
        Settings swept for ours with automatic step selection.
    """
    entries = [
        Implementation(
            "tutorial", "riemann_trapezoid", _tutorial_attribute, prepare=_tutorial_prepare
        ),
        Implementation(
            "saliency",
            "linspace points, equal weights",
            _saliency_attribute,
            prepare=_saliency_prepare,
            unavailable=_saliency_unavailable(),
        ),
    ]
    entries += [
        Implementation(f"ours {rule}", rule, _ours(rule, batch_size), prepare=_ours_prepare)
        for rule in OUR_RULES
    ]
    entries.append(
        Implementation(
            "ours auto",
            "automatic",
            _ours_auto,
            prepare=_ours_prepare,
            settings=tuple(tolerances),
            setting_name="tolerance",
            unavailable=supports_automatic_steps(),
        )
    )
    return entries
