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
- :mod:`ig_tutorial.course` — the exercises' self-checks and the student and instructor sets;
- :mod:`ig_tutorial.running` — notebook set-up, the papermill runner and the ``ig-tutorial``
  command.

This namespace exports what the notebooks and the README use; everything else is importable from
its module. ``docs/architecture.md`` draws the map.
"""

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> the module that defines it. Importing ``ig_tutorial`` loads none of them (and so
#: not TensorFlow): each is imported on first use, so ``ig-tutorial --help`` answers at once.
_EXPORTS: dict[str, str] = {
    # Inputs: photos and models.
    "Classifier": "ig_tutorial.models.classifier",
    "ImageNetLabels": "ig_tutorial.models.labels",
    "cascading_randomization": "ig_tutorial.models.randomization",
    "load_model": "ig_tutorial.models.loading",
    "read_image": "ig_tutorial.images",
    "resolve_image_source": "ig_tutorial.images",
    "make_sentiment_corpus": "ig_tutorial.text",
    "token_valences": "ig_tutorial.text",
    # The method, in the order the notebooks teach it.
    "BASELINES": "ig_tutorial.ig.baselines",
    "INTEGRATION_RULES": "ig_tutorial.ig.integration_rules",
    "blur_integrated_gradients": "ig_tutorial.ig.path_methods",
    "compute_gradients": "ig_tutorial.ig.gradients",
    "convergence_study": "ig_tutorial.ig.convergence",
    "gradient_attributions": "ig_tutorial.ig.sanity_checks",
    "image_edges": "ig_tutorial.ig.sanity_checks",
    "integral_approximation": "ig_tutorial.ig.integrated_gradients",
    "integrated_gradients": "ig_tutorial.ig.integrated_gradients",
    "integrated_gradients_many": "ig_tutorial.ig.integrated_gradients",
    "integrated_gradients_method": "ig_tutorial.ig.sanity_checks",
    "integrated_gradients_over_baselines": "ig_tutorial.ig.ensembles",
    "integration_rule": "ig_tutorial.ig.integration_rules",
    "interpolate_images": "ig_tutorial.ig.paths",
    "layer_integrated_gradients": "ig_tutorial.ig.layer_attribution",
    "make_baseline": "ig_tutorial.ig.baselines",
    "model_randomization_check": "ig_tutorial.ig.sanity_checks",
    "rank_correlation": "ig_tutorial.ig.sanity_checks",
    "relative_l2_error": "ig_tutorial.ig.results",
    "resolve_target": "ig_tutorial.ig.targets",
    "smoothgrad_integrated_gradients": "ig_tutorial.ig.ensembles",
    "target_scores": "ig_tutorial.ig.gradients",
    "token_attributions": "ig_tutorial.ig.token_attribution",
    "valence_rank_correlation": "ig_tutorial.ig.token_attribution",
    # Figures.
    "VISUALIZATION_MODES": "ig_tutorial.plotting.attribution_maps",
    "attribution_mask": "ig_tutorial.plotting.tutorial_figures",
    "plot_attribution_grid": "ig_tutorial.plotting.attribution_maps",
    "plot_averaged_attributions": "ig_tutorial.plotting.attribution_maps",
    "plot_completeness_vs_steps": "ig_tutorial.plotting.convergence_plots",
    "plot_convergence": "ig_tutorial.plotting.convergence_plots",
    "plot_feature_attributions": "ig_tutorial.plotting.feature_attributions",
    "plot_images": "ig_tutorial.plotting.tutorial_figures",
    "plot_img_attributions": "ig_tutorial.plotting.tutorial_figures",
    "plot_interpolation_strip": "ig_tutorial.plotting.tutorial_figures",
    "plot_randomization_maps": "ig_tutorial.plotting.sanity_plots",
    "plot_rank_correlations": "ig_tutorial.plotting.sanity_plots",
    "plot_refinement": "ig_tutorial.plotting.convergence_plots",
    "plot_saturation": "ig_tutorial.plotting.tutorial_figures",
    "plot_token_attributions": "ig_tutorial.plotting.token_figures",
    "plot_toy_saturation": "ig_tutorial.plotting.tutorial_figures",
    "token_attributions_html": "ig_tutorial.plotting.token_figures",
    "visualize_attributions": "ig_tutorial.plotting.attribution_maps",
    # Exercises: the self-checks the notebooks' exercise cells call.
    "check_clip_value": "ig_tutorial.course.self_checks",
    "check_completeness_error": "ig_tutorial.course.self_checks",
    "check_enough_steps": "ig_tutorial.course.self_checks",
    "check_explanation": "ig_tutorial.course.self_checks",
    "check_hides_dark": "ig_tutorial.course.self_checks",
    "check_interpolation": "ig_tutorial.course.self_checks",
    "check_left_riemann": "ig_tutorial.course.self_checks",
    "check_most_hidden": "ig_tutorial.course.self_checks",
    "check_polynomial_rules": "ig_tutorial.course.self_checks",
    "check_strongest_token": "ig_tutorial.course.self_checks",
    "check_top1_probability": "ig_tutorial.course.self_checks",
    "check_token_sums": "ig_tutorial.course.self_checks",
    "check_toy_integrated_gradients": "ig_tutorial.course.self_checks",
    # Notebook set-up.
    "save_figure": "ig_tutorial.running.notebook_setup",
    "setup_notebook": "ig_tutorial.running.notebook_setup",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ig_tutorial' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
