"""Models: what Integrated Gradients explains, loaded into one contract.

- :mod:`ig_tutorial.models.classifier` — :class:`~ig_tutorial.models.classifier.Classifier`,
  the contract every method relies on: images in ``[0, 1]`` to logits;
- :mod:`ig_tutorial.models.loading` — :func:`~ig_tutorial.models.loading.load_model` from a
  TF-Hub handle, a SavedModel folder, the bundled model or a callable;
- :mod:`ig_tutorial.models.labels` — ImageNet class names for 1000 or 1001 outputs;
- :mod:`ig_tutorial.models.bundled` — the offline EfficientNet-Lite0: its network, the reader of
  its torch checkpoint, and its cached SavedModel export. Machinery, not part of the lesson.
"""
