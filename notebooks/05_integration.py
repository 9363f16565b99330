# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Integration and the full Integrated Gradients function
#
# [![Open In Colab][badge]][colab]
#
# Integrated Gradients (Sundararajan et al., 2017, eq. 1) attributes to pixel `i`
#
# $$\mathrm{IG}_i(x) = (x_i - x'_i) \int_0^1
#   \frac{\partial F(x' + \alpha (x - x'))}{\partial x_i}\, d\alpha ,$$
#
# the pixel's change from the baseline times its average gradient along the path. The integral
# has no closed form for a neural network, so it is approximated by a weighted sum of the path
# gradients of [notebook 4](04_gradients_and_saturation.ipynb): a Riemann sum, or, as in the
# tutorial, the trapezoid rule. This notebook computes IG by hand, then with the batched
# `integrated_gradients`, and checks the result with the **completeness** axiom.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/05_integration.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 25 minutes.*
#
# After this notebook you can:
#
# - approximate the IG integral with a Riemann sum and the trapezoid rule, as weighted sums;
# - compute attributions by hand and with the batched `integrated_gradients`;
# - check attributions with the completeness axiom, and choose a number of steps from it.

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
# `M_STEPS` is the number of integration steps and `BATCH_SIZE` how many of them go into one
# model call (see "Steps and batches" below).

# %% tags=["parameters"]
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"  # @param ["https://tfhub.dev/google/imagenet/inception_v1/classification/4", "efficientnet-lite0"] {allow-input: true}
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
M_STEPS = 240  # @param {type:"slider", min:16, max:512, step:16}
BATCH_SIZE = None
BASELINE = "black"  # @param ["black", "white", "uniform", "gaussian", "blur", "maximum_distance"]
OUTPUT_DIR = "outputs"

# %% tags=["nbval-ignore-output"]
import numpy as np
import tensorflow as tf

from ig_tutorial import (
    check_enough_steps,
    check_left_riemann,
    compute_gradients,
    integral_approximation,
    integrated_gradients,
    integration_rule,
    interpolate_images,
    load_model,
    make_baseline,
    plot_completeness_vs_steps,
    read_image,
    resolve_target,
    save_figure,
    setup_notebook,
    target_scores,
)

output_dir = setup_notebook(OUTPUT_DIR)

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %%
images = {title: read_image(source, size=model.input_size) for title, source in IMAGES.items()}
baselines = {title: make_baseline(BASELINE, image, seed=0) for title, image in images.items()}
targets = {title: resolve_target(model, image, TARGETS[title]) for title, image in images.items()}
title = next(iter(images))  # the walk-through uses the first image
image, baseline, target = images[title], baselines[title], targets[title]
print(f"{title}: class {target} ({model.labels[target]}), {BASELINE} baseline")

# %% [markdown]
# ## The integral by hand
#
# The path gradients of the walk-through, 50 steps:

# %%
alphas = tf.linspace(start=0.0, stop=1.0, num=51)
path_gradients, _ = compute_gradients(model, interpolate_images(baseline, image, alphas), target)
print(path_gradients.shape)

# %% [markdown]
# The tutorial's trapezoid rule: average each pair of neighbouring gradients (the area of a
# trapezoid of width `1/50`), then average over the 50 sub-intervals.

# %%
trapezoids = (path_gradients[:-1] + path_gradients[1:]) / 2.0
average_gradient = tf.math.reduce_mean(trapezoids, axis=0)
print(average_gradient.shape)

# %% [markdown]
# The package keeps each rule as data, its `alphas` and one `weight` per alpha, so a rule is
# applied as a weighted sum (`integral_approximation`). The left Riemann sum weighs the 4 left
# end points equally; the trapezoid rule evaluates the 5 end points and halves the outer two.

# %%
for rule_name in ("riemann_left", "riemann_trapezoid"):
    rule = integration_rule(rule_name, m_steps=4)
    print(f"{rule_name:>17}: alphas {rule.alphas.round(3)}, weights {rule.weights.round(3)}")

# %%
rule = integration_rule("riemann_trapezoid", m_steps=50)
packaged = integral_approximation(path_gradients, rule.weights)
print("same as by hand:", np.allclose(packaged, average_gradient, atol=1e-7))

# %% [markdown]
# ### Exercise 5.1: the left Riemann rule
#
# The gradients in `path_gradients` were taken at the 51 alphas `0, 1/50, ..., 1`. Implement the
# left Riemann rule from them by hand: the average of the gradients at the 50 *left* end points
# of the sub-intervals, in `left_average_gradient` (the image's shape). The self-check compares
# it with the package's `integration_rule("riemann_left", m_steps=50)`.

# %% nbgrader={"grade": false, "grade_id": "ex5_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: sub-interval k runs from alphas[k] to alphas[k + 1]; average the gradients at the left ends.
left_average_gradient = None
### BEGIN SOLUTION
left_average_gradient = tf.reduce_mean(path_gradients[:-1], axis=0)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex5_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_left_riemann(left_average_gradient, path_gradients)

# %% [markdown]
# Scaling the average gradient by the pixel's change from the baseline gives the
# attributions, one per pixel and colour channel:

# %%
attributions = (image - baseline) * average_gradient
print(attributions.shape)

# %% [markdown]
# ## Completeness
#
# The attributions add up to the change of the score from the baseline to the image:
# `sum_i IG_i(x) = F(x) - F(x')` (Sundararajan et al., 2017, proposition 1). The gap measures the
# error of the numerical integral; the paper suggests adding steps until it is within 5%.

# %%
score_at_baseline, score_at_input = target_scores(
    model(tf.stack([baseline, image])), target, "probability"
).numpy()
print(f"sum of attributions: {float(tf.reduce_sum(attributions)):.4f}")
print(f"F(x) - F(x')       : {score_at_input - score_at_baseline:.4f}")

# %% [markdown]
# Close, but with 50 steps not exact.
#
# ## The batched Integrated Gradients function
#
# `integrated_gradients` does all of the above for `M_STEPS` steps. It evaluates the gradients
# `BATCH_SIZE` alphas at a time, as the tutorial's batched version does, but keeps only their
# weighted running sum instead of every batch, so memory does not grow with the number of
# steps. It returns the attributions with the completeness check.
#
# **Steps and batches.** `integrated_gradients` takes 50 steps unless told otherwise, the default
# of the tutorial's function. This notebook and notebook 8 take `M_STEPS`, 240 as in the
# tutorial's figures, because they teach fixed step counts; notebooks 6, 7 and 9 let
# `m_steps="auto"` take as many steps as each image needs to meet `TOLERANCE` (1%).
#
# How many steps are *enough* depends on the model and the image: check the completeness error,
# as below, or let `m_steps="auto"` choose ([notebook 8](08_integration_rules_and_steps.ipynb)).
# The batch size changes only speed and memory, never the result: `BATCH_SIZE = None` takes the
# package's default, which follows the input's size (8 points a call for a photo, the fastest
# measured on a small CPU; thousands for a table row); the tutorial used 32; a GPU wants more
# (`batch_size="auto"` measures it).
#
# Type `integrated_gradients??` to read it: it is this notebook's recipe. Each batch of points
# goes through one compiled call of the pieces above, `interpolate_images`, `compute_gradients`
# and `integral_approximation`, and only the weighted running sum comes back.

# %%
results = {
    name: integrated_gradients(
        model,
        images[name],
        targets[name],
        baseline=baselines[name],
        m_steps=M_STEPS,
        batch_size=BATCH_SIZE,
    )
    for name in images
}
for name, result in results.items():
    print(f"{name}: attributions {result.attributions.shape}")
    print(f"  {result.completeness_report()}")

# %% [markdown]
# ## The effect of `m_steps`
#
# More steps, a better integral, and more gradient evaluations (the cost). The error need not
# fall steadily: networks with ReLU-type activations are piecewise linear, so their gradients
# jump along the path and a coarse grid can be lucky or unlucky. Check the completeness delta
# rather than trusting a fixed number of steps.

# %%
coarser = [
    integrated_gradients(
        model, image, target, baseline=baseline, m_steps=m_steps, batch_size=BATCH_SIZE
    )
    for m_steps in (M_STEPS // 8, M_STEPS // 4, M_STEPS // 2)
]
print(title)
for result in [*coarser, results[title]]:
    print(
        f"  m_steps {result.m_steps:4d}: {result.num_evaluations:4d} gradient evaluations, "
        f"completeness error {result.relative_completeness_error:7.2%}"
    )

# %% [markdown]
# ### Exercise 5.2: how many steps are enough?
#
# The paper suggests adding steps until the completeness error is within 5%. Of the step counts
# tried above (`coarser` and `results[title]`), which is the fewest whose
# `relative_completeness_error` is under 5%? Set `enough_steps` to its `m_steps` (or to
# `"none"` if none is).

# %% nbgrader={"grade": false, "grade_id": "ex5_2", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: keep the m_steps of the results whose relative_completeness_error is below 0.05.
enough_steps = None
### BEGIN SOLUTION
tried = [*coarser, results[title]]
under = [r.m_steps for r in tried if r.relative_completeness_error < 0.05]
enough_steps = min(under) if under else "none"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex5_2_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_enough_steps(enough_steps, [*coarser, results[title]], tolerance=0.05)

# %% [markdown]
# The same on log axes, the dotted line at the paper's 5%:

# %%
figure = plot_completeness_vs_steps({title: [*coarser, results[title]]})
save_figure(figure, output_dir, "05_completeness_vs_steps")

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - averaged the path gradients with the trapezoid rule and implemented the left Riemann rule;
# - turned the average gradient into attributions and checked completeness by hand;
# - ran the batched `integrated_gradients` on every image;
# - found the fewest steps whose completeness error is under the paper's 5%.

# %% [markdown]
# Next: [6. Visualization](06_visualization.ipynb), what the attributions look like.
