# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Integration rules and the number of steps
#
# [![Open In Colab][badge]][colab]
#
# [Notebook 5](05_integration.ipynb) approximated the IG integral with the trapezoid rule. How
# many steps are enough, and does another rule need fewer? The paper suggests adding steps until
# the completeness error is within 5% (Sundararajan et al., 2017, section 5), the tutorial
# "20 to 300". Two measures of the error:
#
# * the **completeness error** `|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|` needs no reference,
#   but errors of opposite sign cancel in the sum, so it can be small by luck;
# * the **L2 error** `||IG - IG_ref|| / ||IG_ref||` against a high-step reference sees every pixel.
#
# This notebook measures both for five rules, then lets `m_steps="auto"` choose the steps.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/08_integration_rules_and_steps.ipynb

# %% [markdown]
# On Colab, the next cell installs the `ig_tutorial` package (TensorFlow, `tf_keras` and
# `tensorflow-hub` are preinstalled and kept). Elsewhere it does nothing.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:
    package = "git+https://github.com/ig-tutorial/ig-tutorial@v0.1.0"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)

# %% [markdown]
# ## Parameters
#
# Named as in every notebook (explained in [notebook 1](01_setup_and_classification.ipynb));
# each notebook declares only the ones it uses. The defaults are the tutorial's and need the
# internet. Offline: `ig-tutorial run --offline`, or `papermill -f notebooks/offline.yaml`.
#
# `M_STEPS` is the largest fixed step count compared (the reference uses twice as many);
# `TOLERANCE` is the target of the automatic step selection.

# %% tags=["parameters"]
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
M_STEPS = 240
BATCH_SIZE = None
OUTPUT_DIR = "outputs"
TOLERANCE = 0.01

# %% tags=["nbval-ignore-output"]
from ig_tutorial import (
    INTEGRATION_RULES,
    convergence_study,
    integrated_gradients,
    integration_rule,
    load_model,
    plot_convergence,
    read_image,
    relative_l2_error,
    resolve_target,
    save_figure,
    setup_notebook,
)

output_dir = setup_notebook(OUTPUT_DIR)

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %%
images = {title: read_image(source, size=model.input_size) for title, source in IMAGES.items()}
targets = {title: resolve_target(model, image, TARGETS[title]) for title, image in images.items()}
for title, target in targets.items():
    print(f"{title}: class {target} ({model.labels[target]})")

# %% [markdown]
# ## Five rules
#
# Each rule is a set of points `alphas` on `[0, 1]` and one weight per point. Riemann sums put
# equal weights at the left ends, the right ends or the middles of `m` sub-intervals; the
# trapezoid rule (the tutorial's) uses the `m + 1` ends and halves the outer two; Gauss-Legendre
# puts `m` unevenly spaced points where a polynomial of degree `2m - 1` is integrated exactly.

# %%
for name in INTEGRATION_RULES:
    rule = integration_rule(name, m_steps=4)
    print(f"{name:>17}: alphas {rule.alphas.round(3)}")
    print(f"{'':>17}  weights {rule.weights.round(3)}")

# %% [markdown]
# ## Error against steps
#
# For the first image, every rule at `M_STEPS / 8`, `/ 4`, `/ 2` and `M_STEPS` steps, against a
# Gauss-Legendre reference with `2 * M_STEPS` nodes:

# %%
title = next(iter(images))
study = convergence_study(
    model,
    images[title],
    targets[title],
    methods=INTEGRATION_RULES,
    steps=[M_STEPS // 8, M_STEPS // 4, M_STEPS // 2, M_STEPS],
    reference_steps=2 * M_STEPS,
    batch_size=BATCH_SIZE,
)
print(study.table())

# %%
save_figure(plot_convergence(study, tolerance=TOLERANCE), output_dir, "08_convergence")

# %% [markdown]
# On a smooth integrand Gauss-Legendre would win by far. Here it does not: the network's
# activations are ReLU-like, so the model is piecewise linear, its gradient jumps along the path,
# and every rule converges slowly, roughly as `1 / m`. The completeness error is not monotonic
# and can be tiny at a step count where the L2 error is still large: completeness alone is not
# a safe stopping rule.
#
# ## Automatic steps
#
# `integrated_gradients(..., m_steps="auto", tolerance=TOLERANCE)` starts with 16 trapezoid
# steps and doubles them. Doubling the trapezoid rule only adds the midpoints of the current
# sub-intervals, so every gradient already computed is reused and none is evaluated twice. It
# stops when **both** the completeness error and the change between two successive refinements,
# `||IG_2m - IG_m|| / ||IG_2m||`, are within the tolerance.

# %%
automatic = {
    title: integrated_gradients(
        model, image, targets[title], m_steps="auto", tolerance=TOLERANCE, batch_size=BATCH_SIZE
    )
    for title, image in images.items()
}
for title, result in automatic.items():
    print(
        f"{title}: {result.m_steps} steps, {result.num_evaluations} evaluations, "
        f"completeness error {result.relative_completeness_error:.2%}, "
        f"last change {result.refinement_change:.2%}"
    )

# %% [markdown]
# The refinements of the first image, each one reusing all the points before it:

# %%
for step in automatic[title].convergence_history:
    change = "-" if step.refinement_change is None else f"{step.refinement_change:.2%}"
    print(
        f"m_steps {step.m_steps:5d}: {step.num_evaluations:5d} evaluations, completeness "
        f"{step.relative_completeness_error:7.2%}, change {change:>7}"
    )

# %%
save_figure(
    plot_convergence(study, auto=automatic[title], tolerance=TOLERANCE),
    output_dir,
    "08_convergence_auto",
)

# %% [markdown]
# ## Against a fixed step count
#
# The tutorial's approach is a fixed count, `M_STEPS`. Does it meet the same tolerance? The L2
# error is measured against the automatic result, the best estimate at hand:

# %%
for title, image in images.items():
    fixed = integrated_gradients(
        model, image, targets[title], m_steps=M_STEPS, batch_size=BATCH_SIZE
    )
    l2 = relative_l2_error(fixed.attributions, automatic[title].attributions)
    print(
        f"{title}: fixed {fixed.num_evaluations} evaluations, completeness "
        f"{fixed.relative_completeness_error:.2%}, L2 vs auto {l2:.2%}; auto "
        f"{automatic[title].num_evaluations} evaluations"
    )

# %% [markdown]
# With a strict tolerance, "auto" may spend *more* than a fixed count: it refuses to stop until
# the estimate has converged, where a fixed count only hopes so. With the paper's looser 5%,
# it stops as soon as that is met, often well before a fixed count of a few hundred steps:

# %%
for title, image in images.items():
    loose = integrated_gradients(
        model, image, targets[title], m_steps="auto", tolerance=0.05, batch_size=BATCH_SIZE
    )
    print(
        f"{title}: tolerance 5%: {loose.num_evaluations} evaluations, completeness "
        f"{loose.relative_completeness_error:.2%}, last change {loose.refinement_change:.2%}"
    )

# %% [markdown]
# Next: [9. The attribution toolkit](09_toolkit.ipynb): targets, many images, SmoothGrad, Blur IG
# and ways to draw attributions.
