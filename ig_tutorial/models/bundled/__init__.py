"""The bundled offline model: EfficientNet-Lite0 in TensorFlow, from pip-installed weights."""
