"""Models: what Integrated Gradients explains, loaded into one contract.

- :mod:`ig_tutorial.models.classifier` — :class:`~ig_tutorial.models.classifier.Classifier`,
  the contract every method relies on: images in ``[0, 1]`` to logits, and
  :func:`~ig_tutorial.models.classifier.class_label`, a class's name;
- :mod:`ig_tutorial.models.loading` — :func:`~ig_tutorial.models.loading.load_model` from a
  TF-Hub handle, a SavedModel folder, the bundled model or a callable;
- :mod:`ig_tutorial.models.saved_models` — machinery: restoring a hub handle or SavedModel
  folder, the hub cache around it and the weights count;
- :mod:`ig_tutorial.models.labels` — ImageNet class names for 1000 or 1001 outputs;
- :mod:`ig_tutorial.models.randomization` — a copy of a model with its weights re-initialised
  layer by layer, from the logits down, for the sanity checks;
- :mod:`ig_tutorial.models.bundled` — the offline EfficientNet-Lite0: its network, the reader of
  its torch checkpoint, and its cached SavedModel export. Machinery, not part of the lesson.
"""
