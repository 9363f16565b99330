"""The model contract of the whole package: images in ``[0, 1]`` (or feature vectors) to logits.

Taught in ``notebooks/01_setup_and_classification.py``; for a model of your own (a grayscale
digit classifier, a tabular network) in ``notebooks/10_your_own_model.py``.
:func:`ig_tutorial.load_model` returns a :class:`Classifier` whatever the model's source; the IG
core (:mod:`ig_tutorial.ig`) needs no more than its call, and the notebooks use its labels,
:meth:`Classifier.predict_top_k` and :meth:`Classifier.summary`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from ig_tutorial.models.labels import ImageNetLabels


@dataclass(eq=False)  # identity equality: compiled gradient functions are cached per model
class Classifier:
    """A classifier as Integrated Gradients sees it: inputs to **logits**.

    Parameters
    ----------
    function : callable
        Maps a ``float32`` batch of inputs to logits ``(n, num_classes)`` (not probabilities:
        the package applies the softmax itself). Images are ``(n, height, width, channels)``
        with values in ``[0, 1]``; a tabular model takes feature vectors ``(n, n_features)``.
        Any preprocessing the network needs (rescaling to ``[-1, 1]``, standardisation) belongs
        inside ``function``. Must be differentiable with :class:`tf.GradientTape`.
    handle : str
        Where the model came from (hub handle, folder, or a description).
    input_shape : tuple of int
        The shape of one input: ``(height, width, channels)``, e.g. ``(224, 224, 3)`` or
        ``(8, 8, 1)``, or ``(n_features,)``.
    num_classes : int
        Number of logits.
    labels : ImageNetLabels or None
        Class names, when known.
    num_parameters : int or None
        Number of weights, when known.
    """

    function: Callable[[tf.Tensor], tf.Tensor]
    handle: str
    input_shape: tuple[int, ...]
    num_classes: int
    labels: ImageNetLabels | None = None
    num_parameters: int | None = field(default=None)

    @property
    def input_size(self) -> tuple[int, int]:
        """The ``(height, width)`` of an image model's inputs, e.g. for :func:`read_image`.

        Raises
        ------
        ValueError
            For a model whose inputs are feature vectors, not images.
        """
        if len(self.input_shape) != 3:
            raise ValueError(
                f"model {self.handle!r} takes inputs of shape {self.input_shape}, not images "
                "(height, width, channels); it has no input_size."
            )
        return self.input_shape[0], self.input_shape[1]

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        """Return the logits of a batch of inputs (images in ``[0, 1]``).

        The IG core reaches this call only through :mod:`ig_tutorial.ig.gradients`.
        """
        return self.function(tf.convert_to_tensor(images, dtype=tf.float32))

    def predict_top_k(self, image: tf.Tensor, k: int = 3) -> list[tuple[int, str, float]]:
        """Return the ``k`` most probable classes of one image.

        Parameters
        ----------
        image : tf.Tensor
            One input of shape :attr:`input_shape`, e.g. an image in ``[0, 1]``.
        k : int, default 3
            How many classes.

        Returns
        -------
        list of (int, str, float)
            ``(class index, label, softmax probability)``, most probable first. The label is
            ``str(index)`` when the model has no labels.
        """
        logits = self(tf.expand_dims(image, 0))
        probabilities = tf.nn.softmax(logits, axis=-1)[0].numpy()
        top = np.argsort(probabilities)[::-1][:k]
        return [
            (int(i), class_label(self, int(i)) or str(int(i)), float(probabilities[i])) for i in top
        ]

    def summary(self) -> str:
        """Describe the input/output contract in a few lines (the tutorial's ``model.summary()``).

        Returns
        -------
        str
        """
        shape = ", ".join(str(size) for size in self.input_shape)
        if len(self.input_shape) != 3:
            meaning = "features"
        elif self.input_shape[-1] == 3:
            meaning = "RGB values in [0, 1]"
        else:
            meaning = "values in [0, 1]"
        lines = [
            f"Model:   {self.handle}",
            f"Input:   float32 (batch, {shape}), {meaning}",
            f"Output:  float32 (batch, {self.num_classes}) logits",
        ]
        if self.labels is not None and self.labels.offset:
            lines.append("Classes: index 0 is 'background'; ImageNet class k is output k + 1")
        elif self.labels is not None:
            lines.append("Classes: the 1000 ImageNet-1k classes, index k is class k")
        if self.num_parameters is not None:
            lines.append(f"Params:  {self.num_parameters:,}")
        return "\n".join(lines)


def class_label(model: object, index: int) -> str | None:
    """The name of class ``index`` of a model, or ``None`` when the model has no labels.

    The one place that reads a class's name off a model: the top-k list, the command line's
    report, a batch run's records and the exercises' hints all ask here.

    Parameters
    ----------
    model : Classifier or callable
        A :class:`Classifier`, or any model; one without a ``labels`` attribute has no names.
    index : int
        A model output index.

    Returns
    -------
    str or None
    """
    labels = getattr(model, "labels", None)
    return labels[int(index)] if labels is not None else None
