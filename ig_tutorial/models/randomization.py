"""Cascading randomisation of a classifier's weights, from the output layer down.

Taught in ``notebooks/11_sanity_checks.py``. Adebayo et al. (2018, "Sanity Checks for Saliency
Maps", arXiv:1810.03292) re-initialise a model's weights layer by layer, from the logits towards
the input, and compare each attribution map with the original: a map that survives the loss of
the trained weights cannot be explaining them. :mod:`ig_tutorial.ig.sanity_checks` compares the
maps; this module randomises a copy, never the caller's model.

Only a Keras model and the bundled EfficientNet-Lite0 list their layers in order; a TF-Hub model
or other SavedModel raises :class:`TypeError` rather than being randomised in a guessed order.
Each weight tensor becomes Gaussian noise with the tensor's own mean and standard deviation,
seeded by ``seed`` and the layer's name: the scale of every layer is kept (the bundled model's
batch normalisation is folded into its convolutions, so there is no initialiser to go back to),
only the learned arrangement is destroyed. A tensor with no spread (a zero bias) stays.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ig_tutorial.models.bundled import efficientnet_lite
from ig_tutorial.models.classifier import Classifier

#: One layer with weights: its name and its variables (``tf.Variable`` or Keras variables).
Layer = tuple[str, list[Any]]
#: One step of the cascade: its name and the layers it randomises.
CascadeStep = tuple[str, Sequence[str]]


def _not_randomizable(model: Classifier) -> TypeError:
    return TypeError(
        f"Model {model.handle!r} ({type(model.function).__name__}) cannot be re-initialised "
        "layer by layer: only a Keras model or the bundled EfficientNet-Lite0 list their layers "
        "in order. A TF-Hub model or SavedModel (e.g. the tutorial's Inception V1) restores its "
        "variables but not which layer each belongs to or the order the layers run in. Use "
        "load_model('efficientnet-lite0'), or wrap a keras.Model with load_model(keras_model)."
    )


def weight_layers(model: Classifier) -> list[Layer]:
    """The layers of a model that have weights, input first: ``(name, variables)``.

    Raises
    ------
    TypeError
        Unless the model is a Keras model or the bundled EfficientNet-Lite0 (the message says
        why and what to use instead).
    """
    function = model.function
    if isinstance(function, keras.Model):
        return [(layer.name, list(layer.weights)) for layer in function.layers if layer.weights]
    if efficientnet_lite.is_efficientnet_lite0(function):
        return efficientnet_lite.layer_variables(function)
    raise _not_randomizable(model)


def default_cascade(model: Classifier) -> list[tuple[str, tuple[str, ...]]]:
    """The cascade's steps, output first: ``(step name, layer names)``.

    The bundled EfficientNet-Lite0 takes the six steps of
    :data:`~ig_tutorial.models.bundled.efficientnet_lite.RANDOMIZATION_CASCADE`; a Keras model
    one layer with weights per step, from its last to its first. Raises as :func:`weight_layers`.
    """
    if efficientnet_lite.is_efficientnet_lite0(model.function):
        return [(name, tuple(layers)) for name, layers in efficientnet_lite.RANDOMIZATION_CASCADE]
    return [(name, (name,)) for name, _ in reversed(weight_layers(model))]


def copy_model(model: Classifier) -> Classifier:
    """A copy of a model with its own variables holding the same values; ``handle`` + " (copy)".

    A Keras model is cloned; the bundled EfficientNet-Lite0 is loaded again from its cached
    SavedModel.

    Raises
    ------
    TypeError
        As :func:`weight_layers`, or if a Keras model cannot be cloned (a subclassed model
        without ``get_config``).
    """
    function = model.function
    if isinstance(function, keras.Model):
        try:
            copied = keras.models.clone_model(function)
        except (NotImplementedError, TypeError, ValueError) as error:
            raise TypeError(
                f"Keras model {model.handle!r} cannot be cloned ({error}); build it as a "
                "Sequential or functional model, or give a subclassed model get_config()."
            ) from error
        copied.set_weights(function.get_weights())
    elif efficientnet_lite.is_efficientnet_lite0(function):
        copied = tf.saved_model.load(str(efficientnet_lite.bundled_savedmodel_path()))
        pairs = zip(
            efficientnet_lite.layer_variables(copied),
            efficientnet_lite.layer_variables(function),
            strict=True,
        )
        for (_, mine), (_, theirs) in pairs:
            for variable, value in zip(mine, theirs, strict=True):
                variable.assign(value)
    else:
        raise _not_randomizable(model)
    return dataclasses.replace(model, function=copied, handle=f"{model.handle} (copy)")


def _check_layer_names(names: Sequence[str], known: Sequence[str]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"Unknown layer name(s) {unknown}; the model's layers are {list(known)}.")
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        raise ValueError(f"Layer(s) {repeated} named more than once; name each layer once.")


def randomize_layers(model: Classifier, layers: Sequence[str], *, seed: int = 0) -> None:
    """Re-initialise the weights of the named layers of ``model`` in place (use a copy).

    The same ``seed`` gives the same weights, however the layers are grouped into steps.

    Raises
    ------
    ValueError
        If a name is not one of :func:`weight_layers` (the message lists them) or is repeated.
    TypeError
        As :func:`weight_layers`.
    """
    by_name = dict(weight_layers(model))
    _check_layer_names(layers, list(by_name))
    for name in layers:
        rng = np.random.default_rng([seed, zlib.crc32(name.encode("utf8"))])
        for variable in by_name[name]:
            value = np.asarray(variable.numpy())
            noise = rng.normal(float(value.mean()), float(value.std()), size=value.shape)
            variable.assign(noise.astype(value.dtype))


class RandomizationStep:
    """One step of the cascade: its ``name`` and the layers ``randomized`` so far (cumulative).

    All steps share one copy of the model, so the compiled gradient functions are traced once:
    a step's :attr:`model` is valid until the cascade's next step, and raises after.
    """

    def __init__(
        self, name: str, randomized: tuple[str, ...], copy: Classifier, position: list[int]
    ) -> None:
        self.name = name
        self.randomized = randomized
        self._copy = copy
        self._position = position  # shared with the cascade: the step its copy is at now
        self._index = position[0]

    @property
    def model(self) -> Classifier:
        """The copy with :attr:`randomized` random; :class:`RuntimeError` once it moved on."""
        if self._position[0] != self._index:
            raise RuntimeError(
                f"The model of step {self.name!r} has since been randomised further (the cascade "
                f"is at step {self._position[0]}, this is step {self._index}): use each step's "
                "model before asking the cascade for the next step."
            )
        return self._copy

    def __repr__(self) -> str:
        return f"RandomizationStep(name={self.name!r}, randomized={self.randomized!r})"


def cascading_randomization(
    model: Classifier, steps: Sequence[CascadeStep] | None = None, *, seed: int = 0
) -> Iterator[RandomizationStep]:
    """Randomise a copy of ``model`` step by step from the output down (Adebayo et al., 2018).

    Parameters
    ----------
    model : Classifier
        A Keras model or the bundled EfficientNet-Lite0 (:func:`weight_layers`); never changed.
    steps : sequence of (str, sequence of str), optional
        Step name and the layers it randomises, in order; default :func:`default_cascade`.
    seed : int, default 0
        Seed of the random weights (:func:`randomize_layers`).

    Yields
    ------
    RandomizationStep
        ``"original"`` (nothing random) first, then one per step.

    Raises
    ------
    ValueError
        If ``steps`` is empty, or names an unknown layer or one layer twice.
    TypeError
        As :func:`weight_layers`.
    """
    cascade = default_cascade(model) if steps is None else [(n, tuple(s)) for n, s in steps]
    if not cascade:
        raise ValueError("steps is empty; give at least one (name, layers) step.")
    _check_layer_names(
        [layer for _, layers in cascade for layer in layers],
        [name for name, _ in weight_layers(model)],
    )
    copy = copy_model(model)
    position = [0]
    randomized: tuple[str, ...] = ()
    yield RandomizationStep("original", randomized, copy, position)
    for name, layers in cascade:
        position[0] += 1  # before randomising: an earlier step's model is stale from here on
        randomize_layers(copy, layers, seed=seed)
        randomized += tuple(layers)
        yield RandomizationStep(name, randomized, copy, position)
