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
- :mod:`ig_tutorial.attribution` — interpolation and :func:`integrated_gradients` (fixed or
  automatic steps, one image or many);
- :mod:`ig_tutorial.convergence` — rules and step counts against a high-step reference;
- :mod:`ig_tutorial.ensembles` — IG averaged over baselines, and SmoothGrad over IG;
- :mod:`ig_tutorial.blur_ig` — Blur IG and IG along any path of images;
- :mod:`ig_tutorial.plotting` — the tutorial's figures, visualization modes, convergence plots;
- :mod:`ig_tutorial.notebook` — what every notebook does first (seeds, determinism, figures);
- :mod:`ig_tutorial.runner` — executing the notebooks with papermill (``ig-tutorial run``);
- :mod:`ig_tutorial.cli` — the ``ig-tutorial`` command.
"""

from ig_tutorial.attribution import (
    AUTO_INITIAL_STEPS,
    DEFAULT_BATCH_SIZE,
    ConvergenceStep,
    IntegratedGradientsResult,
    integral_approximation,
    integrated_gradients,
    integrated_gradients_many,
    interpolate_images,
    relative_completeness_error,
    relative_l2_error,
    resolve_target,
)
from ig_tutorial.baselines import BASELINES, make_baseline
from ig_tutorial.batching import BatchSizeChoice, choose_batch_size
from ig_tutorial.blur_ig import (
    BLUR_SPACINGS,
    PathIntegratedGradientsResult,
    blur_integrated_gradients,
    blur_path,
    integrate_gradients_along_path,
)
from ig_tutorial.convergence import ConvergenceStudy, convergence_study
from ig_tutorial.ensembles import (
    AveragedAttributions,
    integrated_gradients_over_baselines,
    smoothgrad_integrated_gradients,
)
from ig_tutorial.gradients import TARGET_OUTPUTS, compute_gradients, gradients_and_scores
from ig_tutorial.images import BUNDLED_IMAGES, TUTORIAL_IMAGES, bundled_image_path, read_image
from ig_tutorial.integration_rules import INTEGRATION_RULES, IntegrationRule, integration_rule
from ig_tutorial.labels import ImageNetLabels
from ig_tutorial.models import BUNDLED_MODEL, TUTORIAL_MODEL, Classifier, load_model
from ig_tutorial.plotting import (
    DEFAULT_COLORMAPS,
    VISUALIZATION_MODES,
    AttributionMap,
    attribution_map,
    attribution_mask,
    plot_attribution_grid,
    plot_averaged_attributions,
    plot_completeness_vs_steps,
    plot_convergence,
    plot_images,
    plot_img_attributions,
    plot_interpolation_strip,
    plot_saturation,
    plot_toy_saturation,
    visualize_attributions,
)

__version__ = "0.1.0"

__all__ = [
    "AUTO_INITIAL_STEPS",
    "BASELINES",
    "BLUR_SPACINGS",
    "BUNDLED_IMAGES",
    "BUNDLED_MODEL",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_COLORMAPS",
    "INTEGRATION_RULES",
    "TARGET_OUTPUTS",
    "TUTORIAL_IMAGES",
    "TUTORIAL_MODEL",
    "VISUALIZATION_MODES",
    "AttributionMap",
    "AveragedAttributions",
    "BatchSizeChoice",
    "Classifier",
    "ConvergenceStep",
    "ConvergenceStudy",
    "ImageNetLabels",
    "IntegratedGradientsResult",
    "IntegrationRule",
    "PathIntegratedGradientsResult",
    "attribution_map",
    "attribution_mask",
    "blur_integrated_gradients",
    "blur_path",
    "bundled_image_path",
    "choose_batch_size",
    "compute_gradients",
    "convergence_study",
    "gradients_and_scores",
    "integral_approximation",
    "integrate_gradients_along_path",
    "integrated_gradients",
    "integrated_gradients_many",
    "integrated_gradients_over_baselines",
    "integration_rule",
    "interpolate_images",
    "load_model",
    "make_baseline",
    "plot_attribution_grid",
    "plot_completeness_vs_steps",
    "plot_averaged_attributions",
    "plot_convergence",
    "plot_images",
    "plot_img_attributions",
    "plot_interpolation_strip",
    "plot_saturation",
    "plot_toy_saturation",
    "read_image",
    "relative_completeness_error",
    "relative_l2_error",
    "resolve_target",
    "smoothgrad_integrated_gradients",
    "visualize_attributions",
]
