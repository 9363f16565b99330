"""ig-tutorial: Integrated Gradients for TensorFlow image classifiers.

Integrated Gradients (Sundararajan, Taly & Yan, 2017, "Axiomatic Attribution for Deep Networks",
arXiv:1703.01365) explains a classifier's prediction by integrating gradients along the straight
path from a baseline image to the input. This package holds the helpers that the tutorial
notebooks in ``notebooks/`` teach, one concept per module:

- :mod:`ig_tutorial.images` — reading photos (files, URLs, bundled offline photos);
- :mod:`ig_tutorial.models` — loading classifiers (TF-Hub, SavedModel, the bundled model);
- :mod:`ig_tutorial.labels` — ImageNet class names, 1000 or 1001 classes;
- :mod:`ig_tutorial.baselines` — baseline images;
- :mod:`ig_tutorial.integration_rules` — quadrature rules as data;
- :mod:`ig_tutorial.gradients` — the one place a model is differentiated;
- :mod:`ig_tutorial.batching` — choosing the batch size by measuring;
- :mod:`ig_tutorial.attribution` — interpolation and :func:`integrated_gradients`;
- :mod:`ig_tutorial.plotting` — the tutorial's figures;
- :mod:`ig_tutorial.cli` — the ``ig-tutorial`` command.
"""

from ig_tutorial.attribution import (
    DEFAULT_BATCH_SIZE,
    IntegratedGradientsResult,
    integral_approximation,
    integrated_gradients,
    interpolate_images,
    resolve_target,
)
from ig_tutorial.baselines import BASELINES, make_baseline
from ig_tutorial.batching import BatchSizeChoice, choose_batch_size
from ig_tutorial.gradients import TARGET_OUTPUTS, compute_gradients
from ig_tutorial.images import BUNDLED_IMAGES, TUTORIAL_IMAGES, bundled_image_path, read_image
from ig_tutorial.integration_rules import INTEGRATION_RULES, IntegrationRule, integration_rule
from ig_tutorial.labels import ImageNetLabels
from ig_tutorial.models import BUNDLED_MODEL, TUTORIAL_MODEL, Classifier, load_model
from ig_tutorial.plotting import (
    attribution_mask,
    plot_images,
    plot_img_attributions,
    plot_interpolation_strip,
    plot_saturation,
    plot_toy_saturation,
)

__version__ = "0.1.0"

__all__ = [
    "BASELINES",
    "BUNDLED_IMAGES",
    "BUNDLED_MODEL",
    "DEFAULT_BATCH_SIZE",
    "INTEGRATION_RULES",
    "TARGET_OUTPUTS",
    "TUTORIAL_IMAGES",
    "TUTORIAL_MODEL",
    "BatchSizeChoice",
    "Classifier",
    "ImageNetLabels",
    "IntegratedGradientsResult",
    "IntegrationRule",
    "attribution_mask",
    "bundled_image_path",
    "choose_batch_size",
    "compute_gradients",
    "integral_approximation",
    "integrated_gradients",
    "integration_rule",
    "interpolate_images",
    "load_model",
    "make_baseline",
    "plot_images",
    "plot_img_attributions",
    "plot_interpolation_strip",
    "plot_saturation",
    "plot_toy_saturation",
    "read_image",
    "resolve_target",
]
