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
# # 4. Gradients and saturation
#
# [![Open In Colab][badge]][colab]
#
# The gradient of the target class probability with respect to the pixels says which pixels
# would change the prediction most, *at one point*. It is a poor explanation on its own: once
# the model is confident, the probability stops changing, the gradient shrinks towards zero,
# and important pixels look unimportant. This is **saturation** (Sundararajan et al., 2017,
# section 2). Integrated Gradients avoids it by collecting gradients all along the path from
# the baseline, including where the probability still rises.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/04_gradients_and_saturation.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 15 minutes.*
#
# After this notebook you can:
#
# - compute gradients of a class probability with `tf.GradientTape` and `compute_gradients`;
# - explain saturation: why the gradient at the image misses what made the prediction;
# - integrate a gradient along the path of a one-dimensional toy function and check the
#   result with completeness.

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
# `IMAGES`: only the first photo is used here.

# %% tags=["parameters"]
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"  # @param ["https://tfhub.dev/google/imagenet/inception_v1/classification/4", "efficientnet-lite0"] {allow-input: true}
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
BASELINE = "black"  # @param ["black", "white", "uniform", "gaussian", "blur", "maximum_distance"]
OUTPUT_DIR = "outputs"

# %% tags=["nbval-ignore-output"]
import numpy as np
import tensorflow as tf

from ig_tutorial import (
    check_toy_integrated_gradients,
    compute_gradients,
    integration_rule,
    interpolate_images,
    load_model,
    make_baseline,
    plot_saturation,
    plot_toy_saturation,
    read_image,
    resolve_target,
    save_figure,
    setup_notebook,
)

output_dir = setup_notebook(OUTPUT_DIR)

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %% [markdown]
# The path of [notebook 3](03_interpolation.ipynb): 51 images from the baseline to the first
# image.

# %%
title, source = next(iter(IMAGES.items()))
image = read_image(source, size=model.input_size)
baseline = make_baseline(BASELINE, image, seed=0)
target = resolve_target(model, image, TARGETS[title])
alphas = tf.linspace(start=0.0, stop=1.0, num=51)
interpolated = interpolate_images(baseline, image, alphas)
print(f"{title}, class {target} ({model.labels[target]}): path {interpolated.shape}")

# %% [markdown]
# ## Gradients along the path
#
# The teaching version: record the model on a `tf.GradientTape`, pick the target's softmax
# probability, and ask the tape for its gradient with respect to each image. Here for every
# tenth point of the path:

# %%
every_tenth = interpolated[::10]
with tf.GradientTape() as tape:
    tape.watch(every_tenth)
    probabilities = tf.nn.softmax(model(every_tenth), axis=-1)[:, target]
tape_gradients = tape.gradient(probabilities, every_tenth)
print(tape_gradients.shape)

# %% [markdown]
# One gradient per image, each of the image's shape. `compute_gradients` is the packaged
# version, and the one `integrated_gradients` runs on every batch of path points (type
# `compute_gradients??` to read it). It gives the gradients at all 51 points of the path, and
# the probability that the tape recorded at each.

# %%
path_gradients, probabilities = compute_gradients(model, interpolated, target)
print(path_gradients.shape, probabilities.shape)
print("same as the tape:", np.allclose(path_gradients[::10], tape_gradients, atol=1e-6))

# %% [markdown]
# ## Saturation
#
# Left: the target probability along the path. It rises steeply for small alphas and then
# flattens long before `alpha = 1`. Right: the average absolute pixel gradient, scaled to
# `[0, 1]`. It is large where the probability rises and collapses where it flattens. The
# gradient at the image itself (`alpha = 1`) therefore misses what made the prediction.

# %%
figure = plot_saturation(alphas, probabilities, path_gradients)
save_figure(figure, output_dir, "04_saturation")

# %%
mean_gradient = tf.reduce_mean(tf.abs(path_gradients), axis=[1, 2, 3])
for alpha in (0.0, 0.2, 0.5, 1.0):
    k = int(round(alpha * 50))
    print(
        f"alpha {alpha:.1f}: probability {float(probabilities[k]):.4f}, "
        f"mean |gradient| {float(mean_gradient[k]):.2e}"
    )

# %% [markdown]
# ## A toy function that saturates
#
# The tutorial's toy model `f(x) = min(x, 0.8)` shows the problem in one dimension. At `x = 1`
# the gradient is 0, so a gradient says `x` does not matter, although `f` grew by 0.8 from
# `x = 0`.

# %%
figure = plot_toy_saturation(threshold=0.8)
save_figure(figure, output_dir, "04_toy_saturation")

# %% [markdown]
# Integrated Gradients integrates the gradient along the path from the baseline `0` to `x = 1`,
# so it also sees the region where `f` still grows, and credits `x` with exactly
# `f(1) - f(0) = 0.8`. Here the integral is the midpoint rule of `integration_rule`
# (notebook 5):


# %%
def toy_gradient(points):
    points = tf.constant(points, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(points)
        f = tf.minimum(points, 0.8)
    return tape.gradient(f, points).numpy()


x = 1.0
print(f"gradient at x = 1: {toy_gradient([x])[0]:.1f}")
rule = integration_rule("riemann_middle", m_steps=100)
path = rule.alphas * x  # the midpoints 0.005, 0.015, ..., 0.995: x = 1 itself is not among them
integrated = x * np.sum(rule.weights * toy_gradient(path))
print(f"integrated gradient: {integrated:.4f}")

# %% [markdown]
# ### Exercise 4.1: past the threshold
#
# At `x = 1.5` the toy is even more saturated: `f` stopped growing at `0.8`, and the gradient
# at `x` is 0. Compute the integrated gradient of the toy from the baseline 0 to `x = 1.5` with
# the trapezoid rule (`integration_rule("riemann_trapezoid", m_steps=100)`), in `toy_ig`.
# Completeness says what it must be: `f(1.5) - f(0)`.

# %% nbgrader={"grade": false, "grade_id": "ex4_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: as above, x times the weighted sum of toy_gradient at the points rule.alphas * x.
toy_ig = None
### BEGIN SOLUTION
trapezoid = integration_rule("riemann_trapezoid", m_steps=100)
toy_ig = 1.5 * np.sum(trapezoid.weights * toy_gradient(trapezoid.alphas * 1.5))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex4_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_toy_integrated_gradients(toy_ig, x=1.5)

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - took the gradients along the path, by hand and with `compute_gradients`;
# - saw the probability saturate and the gradients collapse along the path;
# - integrated the gradient of the toy `min(x, 0.8)` and recovered `f(x) - f(0)`, also past
#   the threshold.

# %% [markdown]
# Next: [5. Integration](05_integration.ipynb), turning the path gradients into attributions.
