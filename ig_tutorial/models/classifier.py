"""The model contract of the whole package: images in ``[0, 1]`` to logits.

Taught in ``notebooks/01_setup_and_classification.py``. :func:`ig_tutorial.load_model` returns a
:class:`Classifier` whatever the model's source; the IG core (:mod:`ig_tutorial.ig`) needs no
more than its call, and the notebooks use its labels, :meth:`Classifier.predict_top_k` and
:meth:`Classifier.summary`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from ig_tutorial.models.labels import ImageNetLabels


@dataclass(eq=False)  # identity equality: compiled gradient functions are cached per model
class Classifier:
    """An image classifier as Integrated Gradients sees it.

    Parameters
    ----------
    function : callable
        Maps a ``float32`` batch ``(n, height, width, 3)`` with values in ``[0, 1]`` to logits
        ``(n, num_classes)``. Must be differentiable with :class:`tf.GradientTape`.
    handle : str
        Where the model came from (hub handle, folder, or a description).
    input_size : tuple of int
        The ``(height, width)`` the model expects.
    num_classes : int
        Number of logits.
    labels : ImageNetLabels or None
        Class names, when known.
    """

    function: Callable[[tf.Tensor], tf.Tensor]
    handle: str
    input_size: tuple[int, int]
    num_classes: int
    labels: ImageNetLabels | None = None
    num_parameters: int | None = field(default=None)

    def __call__(self, images: tf.Tensor) -> tf.Tensor:
        """Return the logits of a batch of images in ``[0, 1]``.

        The IG core reaches this call only through :mod:`ig_tutorial.ig.gradients`.
        """
        return self.function(tf.convert_to_tensor(images, dtype=tf.float32))

    def predict_top_k(self, image: tf.Tensor, k: int = 3) -> list[tuple[int, str, float]]:
        """Return the ``k`` most probable classes of one image.

        Parameters
        ----------
        image : tf.Tensor
            One image ``(height, width, 3)`` in ``[0, 1]``.
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
            (int(i), self.labels[int(i)] if self.labels else str(int(i)), float(probabilities[i]))
            for i in top
        ]

    def summary(self) -> str:
        """Describe the input/output contract in a few lines (the tutorial's ``model.summary()``).

        Returns
        -------
        str
        """
        height, width = self.input_size
        lines = [
            f"Model:   {self.handle}",
            f"Input:   float32 (batch, {height}, {width}, 3), RGB values in [0, 1]",
            f"Output:  float32 (batch, {self.num_classes}) logits",
        ]
        if self.labels is not None and self.labels.offset:
            lines.append("Classes: index 0 is 'background'; ImageNet class k is output k + 1")
        elif self.labels is not None:
            lines.append("Classes: the 1000 ImageNet-1k classes, index k is class k")
        if self.num_parameters is not None:
            lines.append(f"Params:  {self.num_parameters:,}")
        return "\n".join(lines)
