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
# ## Learning objectives
#
# *Estimated time: 25 minutes.*
#
# After this notebook you can:
#
# - describe an integration rule as points and weights, and apply it to a function;
# - measure the error of five rules against a reference, by completeness and by L2 error;
# - let `m_steps="auto"` choose the steps, and read where it put them and what it cost.

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
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"  # @param ["https://tfhub.dev/google/imagenet/inception_v1/classification/4", "efficientnet-lite0"] {allow-input: true}
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
M_STEPS = 240  # @param {type:"slider", min:16, max:512, step:16}
BATCH_SIZE = None
OUTPUT_DIR = "outputs"
TOLERANCE = 0.01  # @param {type:"slider", min:0.005, max:0.1, step:0.005}

# %% tags=["nbval-ignore-output"]
from ig_tutorial import (
    INTEGRATION_RULES,
    check_polynomial_rules,
    convergence_study,
    integrated_gradients,
    integration_rule,
    load_model,
    plot_convergence,
    plot_refinement,
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
# ### Exercise 8.1: two rules on a polynomial
#
# First a case whose integral we know: `f(alpha) = 4 alpha^3` integrates to 1 over `[0, 1]`.
# Apply the trapezoid rule and Gauss-Legendre, each with `m_steps=2`, to `f`: the weighted sum of
# `f` at the rule's alphas. Predict first: which one is exact? Put the two estimates in
# `trapezoid_estimate` and `gauss_estimate`.

# %% nbgrader={"grade": false, "grade_id": "ex8_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: with rule = integration_rule(name, m_steps=2): (rule.weights * 4 * rule.alphas**3).sum().
trapezoid_estimate = gauss_estimate = None
### BEGIN SOLUTION
trapezoid = integration_rule("riemann_trapezoid", m_steps=2)
gauss = integration_rule("gausslegendre", m_steps=2)
trapezoid_estimate = float((trapezoid.weights * 4 * trapezoid.alphas**3).sum())
gauss_estimate = float((gauss.weights * 4 * gauss.alphas**3).sum())
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex8_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_polynomial_rules(trapezoid_estimate, gauss_estimate)

# %% [markdown]
# ## Error against steps
#
# For the first image, every rule at `M_STEPS / 8`, `/ 4`, `/ 2` and `M_STEPS` steps, against a
# Gauss-Legendre reference with `2 * M_STEPS` nodes:

# %%
first = next(iter(images))
study = convergence_study(
    model,
    images[first],
    targets[first],
    methods=INTEGRATION_RULES,
    steps=[M_STEPS // 8, M_STEPS // 4, M_STEPS // 2, M_STEPS],
    reference_steps=2 * M_STEPS,
    batch_size=BATCH_SIZE,
)
print(study.table())
one_by_one = study.reference.num_evaluations + sum(
    result.num_evaluations for results in study.results.values() for result in results
)
print(f"The study evaluated {study.evaluations} gradients; its rules alone need {one_by_one}.")

# %% [markdown]
# The rules share their nodes, and the study evaluates each gradient once: the left, right and
# trapezoid sums at `m` steps all use the points `k / m`, a grid of `m` steps holds those of
# `m / 2`, and the midpoints at `m` steps are points of the trapezoid at `2 m`. Only
# Gauss-Legendre's nodes are its own at every step count, which is one more cost of the rule.

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
# The integrand is not hard everywhere. Along most of the path the target probability is
# saturated (near 0 close to the black baseline, near its final value close to the image), and
# the gradient changes little there; the error of any rule sits where the score rises.
# `integrated_gradients(..., m_steps="auto", tolerance=TOLERANCE)` spends its evaluations there.
# It starts with the trapezoid rule on 16 evenly spaced nodes and then, round after round,
# **bisects the sub-intervals whose error is largest**, one batch of new midpoints per round.
# Bisecting only adds a midpoint, so every gradient already computed is reused and none is
# evaluated twice.
#
# How does it know where the error is? Each gradient evaluation also returns `F` at its node, so
# every sub-interval `[a, b]` has an exact **local completeness residual**
#
# `r = (F(b) - F(a)) - (b - a) / 2 * (g(a) + g(b)) . (x - x')`,
#
# the error of its trapezoid projected on `x - x'` (they add up to the completeness delta). Errors
# of opposite sign cancel in that sum, so each sub-interval also gets an **error indicator**: how
# far the gradient at the midpoint that created it departed from the straight line between its
# neighbours (the *surplus*), a measured estimate of the L2 error the sub-interval still holds.
# It stops when the completeness error is at most `TOLERANCE` (computed exactly) **and** the
# estimated L2 error is at most `1.5 * TOLERANCE`, so that the error against a high-accuracy
# reference stays within `2 * TOLERANCE` (measured in `docs/benchmarks.md`).

# %%
automatic = {
    title: integrated_gradients(
        model, image, targets[title], m_steps="auto", tolerance=TOLERANCE, batch_size=BATCH_SIZE
    )
    for title, image in images.items()
}
for title, result in automatic.items():
    print(
        f"{title}: {result.num_evaluations} evaluations in {len(result.convergence_history)} "
        f"rounds, completeness error {result.relative_completeness_error:.2%}, "
        f"estimated L2 error {result.estimated_error:.2%}"
    )

# %% [markdown]
# Where the nodes of the first image went, against the tutorial's fixed `M_STEPS`. Left: the
# saturation curve `F(alpha)` of [notebook 4](04_gradients_and_saturation.ipynb), drawn through
# the nodes, each coloured by the round that added it. Middle: every final sub-interval's residual
# and error indicator; refinement evened them out. Right: what each approach cost.

# %%
fixed = {
    title: integrated_gradients(
        model, image, targets[title], m_steps=M_STEPS, batch_size=BATCH_SIZE
    )
    for title, image in images.items()
}
save_figure(
    plot_refinement(automatic[first], fixed[first], title=first), output_dir, "08_refinement"
)

# %% [markdown]
# The rounds of the first image, each one reusing all the nodes before it:

# %%
print(f"{first}:")
for step in automatic[first].convergence_history:
    print(
        f"  {step.num_evaluations:4d} evaluations: completeness "
        f"{step.relative_completeness_error:7.2%}, estimated L2 error {step.estimated_error:7.2%}"
    )

# %% [markdown]
# Its estimate against the truth: the first image's study has a reference, so the L2 error of
# "auto" can be measured, next to the error it estimated for itself and to the rules of fixed
# step counts. The reference has `2 * M_STEPS` Gauss-Legendre nodes; with few of them it has an
# error of its own, which adds to what is measured here.

# %%
auto_l2 = relative_l2_error(automatic[first].attributions, study.reference.attributions)
print(
    f"{first}: auto L2 error against the reference {auto_l2:.2%} "
    f"(estimated {automatic[first].estimated_error:.2%})"
)

# %%
save_figure(
    plot_convergence(study, auto=automatic[first], tolerance=TOLERANCE),
    output_dir,
    "08_convergence_auto",
)

# %% [markdown]
# ## Against a fixed step count
#
# The tutorial's approach is a fixed count, `M_STEPS`: the same for every image, with no word on
# its accuracy. "auto" spends what each image needs and says what it reached:

# %%
for title in images:
    print(
        f"{title}: fixed {fixed[title].num_evaluations} evaluations, completeness "
        f"{fixed[title].relative_completeness_error:.2%}; auto "
        f"{automatic[title].num_evaluations} evaluations, completeness "
        f"{automatic[title].relative_completeness_error:.2%}"
    )

# %% [markdown]
# With the paper's looser 5% it stops sooner:

# %%
for title, image in images.items():
    loose = integrated_gradients(
        model, image, targets[title], m_steps="auto", tolerance=0.05, batch_size=BATCH_SIZE
    )
    print(
        f"{title}: tolerance 5%: {loose.num_evaluations} evaluations, completeness "
        f"{loose.relative_completeness_error:.2%}, estimated L2 error {loose.estimated_error:.2%}"
    )

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - applied two rules to a polynomial whose integral you know, and saw which is exact;
# - compared five rules at four step counts against a Gauss-Legendre reference;
# - ran `m_steps="auto"`, looked at its rounds and checked its error estimate against the
#   reference;
# - compared its cost with a fixed step count.

# %% [markdown]
# Next: [9. The attribution toolkit](09_toolkit.ipynb): targets, many images, SmoothGrad, Blur IG
# and ways to draw attributions.
