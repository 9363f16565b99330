"""Argument checks shared by the whole package: one place, so every message is as clear as the best.

Each check returns the value in the form the caller needs (an ``int``, a ``float32`` tensor) or
raises :class:`ValueError` with a message that names the argument, shows the bad value and, where
it helps, says what to do instead. TensorFlow is imported only by the checks that need it, so
the command line can validate its arguments before loading it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import tensorflow as tf


def positive_integer(value: Any, name: str, *, minimum: int = 1, why: str = "") -> int:
    """Return ``value`` as an ``int`` if it is an integer of at least ``minimum``.

    Booleans are refused although Python counts them as integers: ``m_steps=True`` is a mistake.

    Parameters
    ----------
    value : object
        The argument to check, e.g. ``m_steps``.
    name : str
        The argument's name, for the message.
    minimum : int, default 1
        The smallest allowed value.
    why : str, optional
        Appended to the message in parentheses when ``minimum`` is not 1, to say where the minimum
        comes from.

    Returns
    -------
    int
        ``value``, as a Python ``int`` (numpy integers are converted).

    Raises
    ------
    ValueError
        ``"<name> must be a positive integer, got <value>."`` (or ``"an integer of at least
        <minimum>"``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        if minimum == 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
        reason = f" ({why})" if why else ""
        raise ValueError(f"{name} must be an integer of at least {minimum}{reason}, got {value!r}.")
    return int(value)


def image_size(value: Any, name: str = "input_size") -> tuple[int, int]:
    """Return ``(height, width)`` from a positive int (a square) or a pair of positive ints.

    Raises
    ------
    ValueError
        ``"<name> must be a positive int or a (height, width) pair, got <value>."``
    """
    size = (value, value) if isinstance(value, int) else tuple(value)
    if len(size) == 2:
        try:
            return positive_integer(size[0], name), positive_integer(size[1], name)
        except ValueError:
            pass
    raise ValueError(f"{name} must be a positive int or a (height, width) pair, got {value!r}.")


def positive_number(value: Any, name: str, hint: str = "", *, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is finite and greater than 0 (or equal, if allowed).

    Parameters
    ----------
    value : object
        The number to check, e.g. ``tolerance``.
    name, hint : str
        The argument's name and, optionally, what the number means (e.g.
        ``"a blur width in pixels"``); both go into the message.
    allow_zero : bool, default False
        Accept 0 too.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``value`` is a boolean, not a real number, not finite, or too small.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not np.isfinite(value)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        what = f" ({hint})" if hint else ""
        kind = "a finite number >= 0" if allow_zero else "a positive number"
        raise ValueError(f"{name} must be {kind}{what}, got {value!r}.")
    return float(value)


def unit_fraction(value: Any, name: str, hint: str = "", *, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is a fraction in ``(0, 1]`` (or ``[0, 1]``).

    Parameters
    ----------
    value : object
        The number to check, e.g. Guided IG's ``fraction``.
    name, hint : str
        The argument's name and, optionally, what the number means (e.g. ``"of the features
        moved at once"``); both go into the message.
    allow_zero : bool, default False
        Accept 0 too.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``value`` is a boolean, not a real number, or outside the interval.
    """
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    if not number or not (0 <= value <= 1) or (value == 0 and not allow_zero):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        what = f" ({hint})" if hint else ""
        raise ValueError(f"{name} must be a number in {interval}{what}, got {value!r}.")
    return float(value)


def percentile(value: Any, name: str = "clip_percentile") -> float:
    """Return ``value`` if it is a percentile in ``(0, 100]``.

    Raises
    ------
    ValueError
        ``"<name> must be in (0, 100], got <value>; use 100 for no clipping."``
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        value_ok = False
    else:
        value_ok = 0 < value <= 100
    if not value_ok:
        raise ValueError(f"{name} must be in (0, 100], got {value!r}; use 100 for no clipping.")
    return float(value)


def one_of(value: Any, choices: Collection[str], name: str) -> str:
    """Return ``value`` if it is one of ``choices``.

    Raises
    ------
    ValueError
        ``"<name> must be one of (<choices>), got <value>."``
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}.")
    return value


def _finite(values: tf.Tensor | np.ndarray, name: str) -> tf.Tensor | np.ndarray:
    """``values`` (a tensor or an array) when they hold no NaN or infinite value."""
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains NaN or infinite values; clean the input first.")
    return values


def one_image(value: Any, name: str = "image") -> tf.Tensor:
    """Return one finite image as a ``float32`` tensor of shape ``(height, width, channels)``.

    Raises
    ------
    ValueError
        If it is not rank 3 (e.g. a batch), or holds NaN or infinite values.
    """
    import tensorflow as tf

    tensor = tf.convert_to_tensor(value, tf.float32)
    if tensor.shape.rank != 3:
        raise ValueError(
            f"{name} must be one image of shape (height, width, channels); got shape "
            f"{tuple(tensor.shape)}. Attribute a batch one image at a time."
        )
    return _finite(tensor, name)


def one_input(
    value: Any, name: str = "image", declared: tuple[int | None, ...] | None = None
) -> tf.Tensor:
    """Return one finite model input as a ``float32`` tensor: of any shape the model takes.

    An image ``(height, width, channels)``, a table row ``(n_features,)``, a sequence
    ``(time, features)``, a signal, a volume: Integrated Gradients needs nothing image-specific
    (taught in ``notebooks/14_any_model.py``). ``declared`` is one input's shape as the model
    declares it (``None`` for any size), when it does.

    Raises
    ------
    ValueError
        If it is a scalar, not of the declared shape (a batch passed as one input is named as
        such), or holds NaN or infinite values.
    """
    import tensorflow as tf

    tensor = tf.convert_to_tensor(value, tf.float32)
    input_shape(tuple(tensor.shape), name, declared)
    return _finite(tensor, name)


def input_shape(
    shape: tuple[int, ...], name: str, declared: tuple[int | None, ...] | None = None
) -> None:
    """Refuse a scalar, and a shape other than ``declared``, naming the shape expected."""
    if not shape:
        raise ValueError(f"{name} must be an input of at least one axis, got a scalar.")
    if declared is None or _fits(shape, declared):
        return
    if len(shape) == len(declared) + 1 and _fits(shape[1:], declared):
        raise ValueError(
            f"{name} has shape {shape}: a batch of {shape[0]} inputs of the model's shape "
            f"{declared}. Attribute one input at a time, or the batch with "
            "integrated_gradients_many."
        )
    hint = " (give a grayscale image its channel axis: image[..., None])" if len(shape) == 2 else ""
    raise ValueError(
        f"{name} has shape {shape}, but the model takes inputs of shape {declared}{hint}."
    )


def _fits(shape: tuple[int, ...], declared: tuple[int | None, ...]) -> bool:
    """Whether ``shape`` is ``declared``, where ``None`` stands for any size."""
    return len(shape) == len(declared) and all(
        want is None or size == want for size, want in zip(shape, declared, strict=True)
    )


def stacked(values: Any, name: str = "images") -> np.ndarray:
    """Several arrays of one shape as one array ``(n, ...)``, in their dtype; an array as it is.

    Raises
    ------
    ValueError
        Naming the first item whose shape differs from the first's.
    """
    if hasattr(values, "shape") and len(values.shape) >= 2:
        return np.asarray(values)  # already one array (n, ...): its items share a shape
    arrays = [np.asarray(value) for value in values]
    for row, array in enumerate(arrays[1:], start=1):
        if array.shape != arrays[0].shape:
            raise ValueError(
                f"{name}[{row}] has shape {array.shape} but {name}[0] has "
                f"{arrays[0].shape}; inputs attributed together must share a shape (resize "
                f"them, or pass a list: integrated_gradients_many then attributes inputs of "
                f"different sizes one at a time)."
            )
    return np.stack(arrays)


def input_batch(
    values: Any, name: str = "images", declared: tuple[int | None, ...] | None = None
) -> np.ndarray:
    """Several finite model inputs of one shape as one ``float32`` array ``(n, ...)``.

    Each must be what :func:`one_input` accepts; checked once on the whole batch, in numpy.

    Raises
    ------
    ValueError
        If the inputs differ in shape, are not inputs :func:`one_input` accepts, or hold NaN
        or infinite values.
    """
    batch = stacked(values, name).astype(np.float32, copy=False)
    if batch.ndim < 2:
        raise ValueError(
            f"{name} must be a batch (n, ...) of inputs, got shape {batch.shape}; for one "
            "input use integrated_gradients."
        )
    input_shape(batch.shape[1:], f"{name}[0]", declared)
    return _finite(batch, name)


def one_per_input(
    values: Any,
    count: int,
    name: str,
    *,
    single: tuple[type, ...],
    hint: str,
    inputs: str = "images",
) -> list:
    """``values`` for each of ``count`` inputs: one value repeated, or a sequence of ``count``.

    Parameters
    ----------
    values : object or sequence
        One value (an instance of ``single``, or ``None``) or one per input.
    count : int
        The number of inputs.
    name : str
        What the values are, plural, e.g. ``"targets"``.
    single : tuple of type
        The types of a single value.
    hint : str
        How one value is called in the message, e.g. ``"target (e.g. 'top-1')"``.
    inputs : str, default "images"
        How the inputs are called in the message.

    Raises
    ------
    ValueError
        ``"got <n> <name> for <count> <inputs>; give one ... per ..., or a single ..."``.
    """
    if isinstance(values, single) or values is None:
        return [values] * count
    values = list(values)
    if len(values) != count:
        one = name.removesuffix("s")
        raise ValueError(
            f"got {len(values)} {name} for {count} {inputs}; give one {one} per "
            f"{inputs.removesuffix('s')}, or a single {hint} for all of them."
        )
    return values


def same_shape(baseline: tf.Tensor, image: tf.Tensor) -> None:
    """Check that a baseline has the shape of the image it is the baseline of.

    Raises
    ------
    ValueError
        Naming both shapes.
    """
    if tuple(baseline.shape) != tuple(image.shape):
        raise ValueError(
            f"baseline shape {tuple(baseline.shape)} does not match image shape "
            f"{tuple(image.shape)}; build it with ig_tutorial.make_baseline from the image."
        )


def class_index(target: int, num_classes: int) -> int:
    """Return ``target`` if it indexes one of the model's ``num_classes`` outputs.

    Raises
    ------
    ValueError
        ``"target <t> is out of range for a model with <n> classes."``
    """
    if not 0 <= target < num_classes:
        raise ValueError(f"target {target} is out of range for a model with {num_classes} classes.")
    return target


def steps_or_auto(value: Any, name: str = "m_steps") -> int | str:
    """Return a step count as a positive ``int``, or ``"auto"``.

    Accepts what a command line gives (the strings ``"64"`` or ``"auto"``) as well as a Python
    ``int``.

    Parameters
    ----------
    value : int or str
        ``64``, ``"64"`` or ``"auto"`` (any case).
    name : str, default "m_steps"
        The argument's name, for the message.

    Returns
    -------
    int or "auto"

    Raises
    ------
    ValueError
        ``"<name> must be a positive integer or 'auto', got <value>."``
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "auto":
            return "auto"
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"{name} must be a positive integer or 'auto', got {value!r}.")
        return int(text)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer or 'auto', got {value!r}.")
    return int(value)


def shard_spec(value: Any, name: str = "shard") -> tuple[int, int]:
    """Return a shard ``"K/N"`` (this is shard K of N, counted from 1) as the pair ``(K, N)``.

    Parameters
    ----------
    value : str or tuple of int
        ``"2/3"`` or ``(2, 3)``.
    name : str, default "shard"
        The argument's name, for the message.

    Returns
    -------
    tuple of int
        ``(K, N)`` with ``1 <= K <= N``.

    Raises
    ------
    ValueError
        If ``value`` is not of the form ``K/N`` with ``1 <= K <= N``, naming the value.
    """
    pair = value
    if isinstance(value, str):
        parts = value.split("/")
        pair = tuple(int(p) if p.strip().isdigit() else None for p in parts)
    if (
        not isinstance(pair, tuple)
        or len(pair) != 2
        or any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in pair)
        or not 1 <= pair[0] <= pair[1]
    ):
        raise ValueError(
            f"{name} must be K/N with 1 <= K <= N (shard K of N, e.g. 2/3), got {value!r}."
        )
    return int(pair[0]), int(pair[1])


def keras_model(model: Any, name: str = "model") -> Any:
    """Return the Keras model of ``model``: a ``keras.Model``, or a Classifier wrapping one.

    Attribution at a layer (taught in ``notebooks/12_text.py``) needs the model's layers, which
    only a Keras model exposes; a TF-Hub model or a plain function has none.

    Raises
    ------
    ValueError
        Naming the type that was given and what to pass instead.
    """
    import keras

    inner = getattr(model, "function", model)  # load_model's Classifier keeps the Keras model
    if not isinstance(inner, keras.Model):
        raise ValueError(
            f"{name} must be a Keras model (keras.Model, or load_model of one) to attribute to "
            f"one of its layers; got {type(model).__name__}. Build the model with Keras, or "
            "attribute its inputs with integrated_gradients."
        )
    return inner


def keras_layer(model: Any, layer: str) -> Any:
    """Return the layer of the Keras ``model`` named ``layer``.

    Raises
    ------
    ValueError
        If ``layer`` is not a string or names no layer of the model; the message lists the
        model's layer names.
    """
    names = [each.name for each in model.layers]
    if not isinstance(layer, str) or layer not in names:
        raise ValueError(
            f"layer must be the name of one of the model's layers, got {layer!r}; the layers of "
            f"{model.name!r} are: {', '.join(names)}."
        )
    return model.get_layer(layer)
