"""ig-tutorial: Integrated Gradients for TensorFlow image classifiers.

Integrated Gradients (Sundararajan, Taly & Yan, 2017, "Axiomatic Attribution for Deep Networks",
arXiv:1703.01365) explains a classifier's prediction by integrating gradients along the straight
path from a baseline image to the input. The folders follow that data flow:

- :mod:`ig_tutorial.images` and :mod:`ig_tutorial.models` — the inputs: a photo, and a
  classifier loaded into one contract (images in ``[0, 1]`` to logits);
- :mod:`ig_tutorial.ig` — the method: baselines, paths, the one model seam
  (:mod:`ig_tutorial.ig.gradients`), integration rules, fixed and adaptive steps, path methods,
  ensembles, convergence;
- :mod:`ig_tutorial.plotting` — the figures;
- :mod:`ig_tutorial.running` — notebook set-up, the papermill runner and the ``ig-tutorial``
  command.

This namespace exports what the notebooks and the README use; everything else is importable from
its module. ``docs/architecture.md`` draws the map.
"""

from ig_tutorial.ig.baselines import BASELINES, make_baseline
from ig_tutorial.ig.convergence import convergence_study
from ig_tutorial.ig.ensembles import (
    integrated_gradients_over_baselines,
    smoothgrad_integrated_gradients,
)
from ig_tutorial.ig.gradients import compute_gradients, target_scores
from ig_tutorial.ig.integrated_gradients import (
    integral_approximation,
    integrated_gradients,
    integrated_gradients_many,
)
from ig_tutorial.ig.integration_rules import INTEGRATION_RULES, integration_rule
from ig_tutorial.ig.path_methods import blur_integrated_gradients
from ig_tutorial.ig.paths import interpolate_images
from ig_tutorial.ig.results import relative_l2_error
from ig_tutorial.ig.targets import resolve_target
from ig_tutorial.images import read_image, resolve_image_source
from ig_tutorial.models.classifier import Classifier
from ig_tutorial.models.labels import ImageNetLabels
from ig_tutorial.models.loading import load_model
from ig_tutorial.plotting.attribution_maps import (
    VISUALIZATION_MODES,
    plot_attribution_grid,
    plot_averaged_attributions,
    visualize_attributions,
)
from ig_tutorial.plotting.convergence_plots import plot_completeness_vs_steps, plot_convergence
from ig_tutorial.plotting.tutorial_figures import (
    attribution_mask,
    plot_images,
    plot_img_attributions,
    plot_interpolation_strip,
    plot_saturation,
    plot_toy_saturation,
)
from ig_tutorial.running.notebook_setup import save_figure, setup_notebook

__version__ = "0.1.0"

__all__ = [
    # Inputs: photos and models.
    "Classifier",
    "ImageNetLabels",
    "load_model",
    "read_image",
    "resolve_image_source",
    # The method, in the order the notebooks teach it.
    "BASELINES",
    "INTEGRATION_RULES",
    "blur_integrated_gradients",
    "compute_gradients",
    "convergence_study",
    "integral_approximation",
    "integrated_gradients",
    "integrated_gradients_many",
    "integrated_gradients_over_baselines",
    "integration_rule",
    "interpolate_images",
    "make_baseline",
    "relative_l2_error",
    "resolve_target",
    "smoothgrad_integrated_gradients",
    "target_scores",
    # Figures.
    "VISUALIZATION_MODES",
    "attribution_mask",
    "plot_attribution_grid",
    "plot_averaged_attributions",
    "plot_completeness_vs_steps",
    "plot_convergence",
    "plot_images",
    "plot_img_attributions",
    "plot_interpolation_strip",
    "plot_saturation",
    "plot_toy_saturation",
    "visualize_attributions",
    # Notebook set-up.
    "save_figure",
    "setup_notebook",
]
