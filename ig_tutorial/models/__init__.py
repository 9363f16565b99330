"""Models: what Integrated Gradients explains, loaded into one contract.

:class:`~ig_tutorial.models.classifier.Classifier` (images in ``[0, 1]`` to logits) is what
:func:`~ig_tutorial.models.loading.load_model` returns for a TF-Hub handle, a SavedModel folder,
a Keras model or callable, or the bundled offline EfficientNet-Lite0 (:mod:`.bundled`).
"""
