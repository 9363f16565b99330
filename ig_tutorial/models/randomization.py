"""Cascading randomisation of a classifier's weights, from the output layer down.

Taught in ``notebooks/11_sanity_checks.py``. Adebayo et al. (2018, "Sanity Checks for Saliency
Maps", NeurIPS, arXiv:1810.03292) test an attribution method by destroying what the model learned
and watching the explanation: they re-initialise the weights layer by layer, starting at the
logits and moving towards the input ("cascading randomisation"), and compare each map with the
original one. A map that survives the loss of the trained weights cannot be explaining them.

This module does the randomisation; :mod:`ig_tutorial.ig.sanity_checks` computes the maps and
compares them (:mod:`ig_tutorial.ig.map_metrics`). It never changes the caller's model:
:func:`copy_model` makes a copy with its own variables and the cascade works on that.

Which models can be randomised layer by layer:

* a Keras model (``keras.Model``, e.g. ``keras.Sequential``), wrapped with
  :func:`ig_tutorial.load_model`: its layers with weights, in the model's order;
* the bundled EfficientNet-Lite0 (``load_model("efficientnet-lite0")``): stem, 16 blocks, head
  and logits (:func:`ig_tutorial.models.bundled.efficientnet_lite.layer_variables`).

A TF-Hub model or another SavedModel (the tutorial's Inception V1) restores its variables but not
its layers: which variable belongs to which layer, and in what order the layers run, is lost in
the export. Such models raise :class:`TypeError` with that explanation rather than being
randomised in an order that would only be a guess.

How a weight is re-initialised: each tensor is replaced by Gaussian noise with the tensor's own
mean and standard deviation, drawn from a generator seeded by ``seed`` and the layer's name. The
scale of every layer is kept (the bundled model has its batch normalisation folded into the
convolutions, so there is no initialiser to go back to, and a wrong scale would make activations
vanish or explode, which is a different experiment); what is destroyed is what training learned,
the arrangement of the weights. A tensor with no spread (a zero bias) stays as it is.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from ig_tutorial.models.bundled import efficientnet_lite
from ig_tutorial.models.classifier import Classifier

#: One layer with weights: its name and its variables (``tf.Variable`` or Keras variables).
Layer = tuple[str, list[Any]]
#: One step of the cascade: its name and the layers it randomises.
CascadeStep = tuple[str, Sequence[str]]


def _keras_model(function: object) -> Any | None:
    """``function`` if it is a Keras 3 model, else None (Keras is imported only to check)."""
    try:
        import keras
    except ImportError:  # pragma: no cover - TensorFlow >= 2.16 installs Keras 3
        return None
    return function if isinstance(function, keras.Model) else None


def _not_randomizable(model: Classifier) -> TypeError:
    function = model.function
    return TypeError(
        f"Model {model.handle!r} ({type(function).__name__}) cannot be re-initialised layer by "
        "layer: only a Keras model or the bundled EfficientNet-Lite0 list their layers in order. "
        "A TF-Hub model or SavedModel (e.g. the tutorial's Inception V1) restores its variables "
        "but not which layer each belongs to or the order the layers run in. Use "
        "load_model('efficientnet-lite0'), or wrap a keras.Model with load_model(keras_model)."
    )


def weight_layers(model: Classifier) -> list[Layer]:
    """The layers of a model that have weights, from the input to the output.

    Parameters
    ----------
    model : Classifier
        From :func:`ig_tutorial.load_model`: the bundled EfficientNet-Lite0 or a Keras model.

    Returns
    -------
    list of (str, list of variables)
        Layer name and its variables. Keras layers without weights (activations, pooling) are
        left out.

    Raises
    ------
    TypeError
        If the model cannot be re-initialised layer by layer (a TF-Hub model or SavedModel, a
        plain function); the message says why and what to use instead.
    """
    function = model.function
    keras_model = _keras_model(function)
    if keras_model is not None:
        return [(layer.name, list(layer.weights)) for layer in keras_model.layers if layer.weights]
    if efficientnet_lite.is_efficientnet_lite0(function):
        return efficientnet_lite.layer_variables(function)
    raise _not_randomizable(model)


def default_cascade(model: Classifier) -> list[tuple[str, tuple[str, ...]]]:
    """The cascade's steps for a model, from the output down: ``(step name, layer names)``.

    The bundled EfficientNet-Lite0 is randomised in six steps: logits, head, the last three
    stages one at a time, then the first four stages and the stem
    (:data:`ig_tutorial.models.bundled.efficientnet_lite.RANDOMIZATION_CASCADE`). A Keras model is
    randomised one layer with weights per step, from its last layer to its first.

    Parameters
    ----------
    model : Classifier
        As for :func:`weight_layers`.

    Returns
    -------
    list of (str, tuple of str)

    Raises
    ------
    TypeError
        As :func:`weight_layers`.
    """
    if efficientnet_lite.is_efficientnet_lite0(model.function):
        return [(name, tuple(layers)) for name, layers in efficientnet_lite.RANDOMIZATION_CASCADE]
    return [(name, (name,)) for name, _ in reversed(weight_layers(model))]


def copy_model(model: Classifier) -> Classifier:
    """A copy of a model with its own variables, holding the same values.

    Changing the copy's weights leaves ``model`` as it was. A Keras model is cloned
    (``keras.models.clone_model``); the bundled EfficientNet-Lite0 is loaded again from its cached
    SavedModel. Either way the copy's weights are then set to ``model``'s current values.

    Parameters
    ----------
    model : Classifier
        As for :func:`weight_layers`.

    Returns
    -------
    Classifier
        Same labels, input size and number of classes; ``handle`` ends in ``" (copy)"``.

    Raises
    ------
    TypeError
        As :func:`weight_layers`, or if a Keras model cannot be cloned (a subclassed model
        without ``get_config``).
    """
    function = model.function
    keras_model = _keras_model(function)
    if keras_model is not None:
        import keras

        try:
            clone = keras.models.clone_model(keras_model)
        except (NotImplementedError, TypeError, ValueError) as error:
            raise TypeError(
                f"Keras model {model.handle!r} cannot be cloned ({error}); build it as a "
                "Sequential or functional model, or give a subclassed model get_config()."
            ) from error
        clone.set_weights(keras_model.get_weights())
        copied: object = clone
    elif efficientnet_lite.is_efficientnet_lite0(function):
        copied = tf.saved_model.load(str(efficientnet_lite.bundled_savedmodel_path()))
        originals = efficientnet_lite.layer_variables(function)
        for (_, mine), (_, theirs) in zip(
            efficientnet_lite.layer_variables(copied), originals, strict=True
        ):
            for variable, value in zip(mine, theirs, strict=True):
                variable.assign(value)
    else:
        raise _not_randomizable(model)
    return dataclasses.replace(model, function=copied, handle=f"{model.handle} (copy)")


def _layer_seed(seed: int, layer: str) -> list[int]:
    # Seeded by the layer's name, so a layer gets the same weights however the steps group it.
    return [seed, zlib.crc32(layer.encode("utf8"))]


def _check_layer_names(names: Sequence[str], known: Sequence[str]) -> None:
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"Unknown layer name(s) {unknown}; the model's layers are {list(known)}.")
    repeated = sorted({name for name in names if list(names).count(name) > 1})
    if repeated:
        raise ValueError(f"Layer(s) {repeated} named more than once; name each layer once.")


def randomize_layers(model: Classifier, layers: Sequence[str], *, seed: int = 0) -> None:
    """Re-initialise the weights of some layers of ``model``, in place.

    Use it on a :func:`copy_model`. Each weight tensor becomes Gaussian noise with the tensor's
    mean and standard deviation (see the module docstring for why), from a generator seeded by
    ``seed`` and the layer's name: the same seed gives the same weights.

    Parameters
    ----------
    model : Classifier
        As for :func:`weight_layers`. Changed in place.
    layers : sequence of str
        Names from :func:`weight_layers`.
    seed : int, default 0
        Seed of the random weights.

    Raises
    ------
    ValueError
        If a name is not one of the model's layers (the message lists them) or is repeated.
    TypeError
        As :func:`weight_layers`.
    """
    by_name = dict(weight_layers(model))
    _check_layer_names(layers, list(by_name))
    for name in layers:
        rng = np.random.default_rng(_layer_seed(seed, name))
        for variable in by_name[name]:
            value = np.asarray(variable.numpy())
            noise = rng.normal(float(value.mean()), float(value.std()), size=value.shape)
            variable.assign(noise.astype(value.dtype))


class RandomizationStep:
    """One step of the cascade: which layers are random by now, and the model with them.

    The cascade changes one copy of the model step by step (so the compiled gradient functions
    are traced once, not once per step). A step's :attr:`model` is therefore valid until the
    cascade takes the next step; asking for it later raises :class:`RuntimeError` instead of
    silently returning a model randomised further.

    Attributes
    ----------
    name : str
        ``"original"`` for the step before any randomisation, else the step's name (e.g.
        ``"logits"``).
    randomized : tuple of str
        Every layer randomised so far, this step's and the earlier steps' (cumulative).
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
        """The copy with :attr:`randomized` random; valid until the cascade's next step.

        Raises
        ------
        RuntimeError
            If the cascade has moved on since this step.
        """
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

    Yields the untouched copy first (``"original"``), then the copy after each step, each step
    adding its layers to those already random. ``model`` itself is never changed.

    Parameters
    ----------
    model : Classifier
        As for :func:`weight_layers`.
    steps : sequence of (str, sequence of str), optional
        Step name and the layers it randomises, in the order they are applied. Default
        :func:`default_cascade`: from the logits to the input.
    seed : int, default 0
        Seed of the random weights (:func:`randomize_layers`).

    Yields
    ------
    RandomizationStep
        ``len(steps) + 1`` of them, all holding the same copy: use a step's ``model`` before
        asking for the next step (later it raises, see :class:`RandomizationStep`).

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
