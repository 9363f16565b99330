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

import ast
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public names, each imported from the module that defines it. Type checkers and editors read
# these imports (go-to-definition works); at run time they are not executed: importing
# ``ig_tutorial`` loads none of the modules (and so not TensorFlow), each name is imported on first
# use (PEP 562), so ``ig-tutorial --help`` answers at once.
if TYPE_CHECKING:
    from ig_tutorial.course.self_checks import (
        check_clip_value,
        check_completeness_error,
        check_curve_area,
        check_deleted_pixels,
        check_enough_steps,
        check_explanation,
        check_held_fixed,
        check_hides_dark,
        check_interpolation,
        check_left_riemann,
        check_most_hidden,
        check_polynomial_rules,
        check_strongest_token,
        check_token_sums,
        check_top1_probability,
        check_toy_integrated_gradients,
        check_window_share,
    )
    from ig_tutorial.ig.baselines import BASELINES, make_baseline
    from ig_tutorial.ig.convergence import convergence_study
    from ig_tutorial.ig.ensembles import (
        integrated_gradients_over_baselines,
        smoothgrad_integrated_gradients,
    )
    from ig_tutorial.ig.faithfulness import (
        deletion_and_insertion,
        deletion_curve,
        random_map,
    )
    from ig_tutorial.ig.gradients import compute_gradients, target_scores
    from ig_tutorial.ig.guided_ig import guided_integrated_gradients
    from ig_tutorial.ig.idgi import idgi
    from ig_tutorial.ig.integrated_gradients import integrated_gradients, integrated_gradients_many
    from ig_tutorial.ig.integration_rules import (
        INTEGRATION_RULES,
        integral_approximation,
        integration_rule,
    )
    from ig_tutorial.ig.layer_attribution import layer_integrated_gradients
    from ig_tutorial.ig.map_metrics import rank_correlation
    from ig_tutorial.ig.method_comparison import compared_methods, score_methods, scores_table
    from ig_tutorial.ig.path_methods import blur_integrated_gradients
    from ig_tutorial.ig.paths import interpolate_images
    from ig_tutorial.ig.results import relative_l2_error
    from ig_tutorial.ig.sanity_checks import (
        gradient_attributions,
        image_edges,
        integrated_gradients_method,
        model_randomization_check,
    )
    from ig_tutorial.ig.targets import resolve_target
    from ig_tutorial.ig.token_attribution import (
        token_attributions,
        token_attributions_many,
        valence_rank_correlation,
    )
    from ig_tutorial.images import read_image, resolve_image_source
    from ig_tutorial.models.classifier import Classifier
    from ig_tutorial.models.labels import ImageNetLabels
    from ig_tutorial.models.loading import load_model
    from ig_tutorial.models.randomization import cascading_randomization
    from ig_tutorial.plotting.attribution_maps import (
        VISUALIZATION_MODES,
        plot_attribution_grid,
        plot_averaged_attributions,
        visualize_attributions,
    )
    from ig_tutorial.plotting.convergence_plots import (
        plot_completeness_vs_steps,
        plot_convergence,
        plot_refinement,
    )
    from ig_tutorial.plotting.faithfulness_plots import (
        plot_perturbation_curves,
        plot_scores_against_steps,
    )
    from ig_tutorial.plotting.feature_attributions import (
        plot_feature_attributions,
        plot_sequence_attributions,
    )
    from ig_tutorial.plotting.sanity_plots import plot_randomization_maps, plot_rank_correlations
    from ig_tutorial.plotting.token_figures import plot_token_attributions, token_attributions_html
    from ig_tutorial.plotting.tutorial_figures import (
        attribution_mask,
        plot_images,
        plot_img_attributions,
        plot_interpolation_strip,
        plot_saturation,
        plot_toy_saturation,
    )
    from ig_tutorial.running.notebook_setup import save_figure, setup_notebook
    from ig_tutorial.text import make_sentiment_corpus, token_valences


def _exports() -> dict[str, str]:
    """Public name -> its module, read from the ``TYPE_CHECKING`` imports: one list, not two."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    imports = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    return {alias.name: node.module for node in imports.body for alias in node.names}


_EXPORTS: dict[str, str] = _exports()

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
