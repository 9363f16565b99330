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
# # 9. The attribution toolkit
#
# [![Open In Colab][badge]][colab]
#
# The tutorial attributes one class of one image along one straight path and draws one kind of
# picture. This notebook shows the rest of the toolkit: targets by index, by name or as the
# top-1 class; several images in one call; **SmoothGrad over IG** (Smilkov et al., 2017,
# arXiv:1706.03825), which averages IG over noisy copies of the image; **Blur IG** (Xu et al.,
# 2020, "Attribution in Scale and Space", arXiv:2004.03383), which follows a path of ever less
# blurred images instead of a straight line from black; and the ways to draw attributions.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/09_toolkit.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 20 minutes.*
#
# After this notebook you can:
#
# - give a target as a class name, `"top-1"` or an index, and attribute several images at once;
# - draw attributions in four modes, with clipping and as an overlay, and say what each shows;
# - use SmoothGrad over IG and Blur IG, and compare them with plain IG;
# - explain a photo of your choice, with an integral good enough to trust.

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
# `TOLERANCE` is the completeness error the attributions must meet (1%; `m_steps="auto"`).

# %% tags=["parameters"]
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"  # @param ["https://tfhub.dev/google/imagenet/inception_v1/classification/4", "efficientnet-lite0"] {allow-input: true}
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
BATCH_SIZE = None
CMAP = "inferno"  # @param ["inferno", "magma", "viridis", "gray", "hot"]
OUTPUT_DIR = "outputs"
TOLERANCE = 0.01  # @param {type:"slider", min:0.005, max:0.1, step:0.005}

# %% tags=["nbval-ignore-output"]
import matplotlib.pyplot as plt
import numpy as np

from ig_tutorial import (
    VISUALIZATION_MODES,
    blur_integrated_gradients,
    check_clip_value,
    check_explanation,
    integrated_gradients,
    integrated_gradients_many,
    load_model,
    plot_attribution_grid,
    plot_averaged_attributions,
    read_image,
    resolve_target,
    save_figure,
    setup_notebook,
    smoothgrad_integrated_gradients,
    visualize_attributions,
)

output_dir = setup_notebook(OUTPUT_DIR)

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %%
images = {title: read_image(source, size=model.input_size) for title, source in IMAGES.items()}

# %% [markdown]
# ## Targets
#
# A target is a class name, `"top-1"` (the class the model predicts), or a class index of this
# model. All three name the same class here:

# %%
title, image = next(iter(images.items()))
top1 = resolve_target(model, image, "top-1")
by_name = resolve_target(model, image, TARGETS[title])
print(
    f"{title}: 'top-1' -> {top1}, {TARGETS[title]!r} -> {by_name}, {top1} -> {model.labels[top1]!r}"
)

# %% [markdown]
# ## Several images in one call
#
# `integrated_gradients_many` takes a list of images and one target per image (or one for all)
# and returns one result per image, with a progress bar over the images:

# %%
results = integrated_gradients_many(
    model,
    list(images.values()),
    [TARGETS[title] for title in images],
    m_steps="auto",
    tolerance=TOLERANCE,
    batch_size=BATCH_SIZE,
)
for title, result in zip(images, results, strict=True):
    print(f"{title}: {result.completeness_report()}")

# %% [markdown]
# ## Ways to draw attributions
#
# The tutorial sums the absolute attributions over the colour channels. The sign carries
# information too: positive attributions raised the class score, negative ones lowered it.
# `visualize_attributions` draws each `mode` in `VISUALIZATION_MODES`; `"signed"` uses a
# diverging colormap centred on zero. A few extreme pixels can wash out the rest, so values
# beyond the 99th percentile of magnitude are clipped (`clip_percentile`).

# %%
attributions = results[0].attributions
figure, axes = plt.subplots(1, len(VISUALIZATION_MODES), figsize=(4 * len(VISUALIZATION_MODES), 4))
for ax, mode in zip(axes, VISUALIZATION_MODES, strict=True):
    visualize_attributions(attributions, image, mode=mode, ax=ax, title=mode)
save_figure(figure, output_dir, "09_modes")

# %% [markdown]
# Without clipping (`clip_percentile=100`) the brightest pixels set the scale; with it, the
# structure shows. As an overlay the map lies on the photo:

# %%
figure, axes = plt.subplots(1, 3, figsize=(12, 4))
visualize_attributions(
    attributions, clip_percentile=100, cmap=CMAP, ax=axes[0], title="no clipping"
)
visualize_attributions(
    attributions, clip_percentile=99, cmap=CMAP, ax=axes[1], title="99th percentile"
)
visualize_attributions(attributions, image, overlay=True, cmap=CMAP, ax=axes[2], title="overlay")
save_figure(figure, output_dir, "09_clipping_and_overlay")

# %% [markdown]
# ### Exercise 9.1: where the map is clipped
#
# `visualize_attributions(..., clip_percentile=99)` sums `|IG|` over the colour channels, one
# value per pixel, and clips the map at the 99th percentile of those values. Compute that value
# for `attributions` in `clip_value`.

# %% nbgrader={"grade": false, "grade_id": "ex9_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: np.percentile of np.abs(attributions).sum(axis=-1), at 99.
clip_value = None
### BEGIN SOLUTION
clip_value = float(np.percentile(np.abs(attributions).sum(axis=-1), 99))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex9_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_clip_value(clip_value, attributions, clip_percentile=99)

# %% [markdown]
# ## SmoothGrad over Integrated Gradients
#
# Gradients of image classifiers are noisy from pixel to pixel. SmoothGrad averages the
# attributions of several copies of the image with Gaussian noise added (seeded, so they
# repeat); the spread across copies shows which details are robust. As with averaged baselines
# (notebook 7), 5% per copy is enough: the average smooths the rest.

# %%
target = results[0].target
smooth = smoothgrad_integrated_gradients(
    model, image, target, num_samples=4, noise_level=0.15, seed=0, m_steps="auto", tolerance=0.05
)
print(smooth.completeness_report())

# %%
save_figure(plot_averaged_attributions(smooth, image), output_dir, "09_smoothgrad")

# %% [markdown]
# ## Blur IG
#
# A black baseline brings in information that was never in the photo: black. Blur IG instead
# walks from a heavily blurred copy of the image (no detail left) to the image itself, through
# Gaussian blurs of decreasing width, and integrates the gradients along that path. It is
# complete too: the attributions add up to `F(x)` minus the score of the most blurred image.
# Its path is not a straight line, so `m_steps="auto"` does not apply: it takes a fixed `steps`
# (default 128, the accuracy measured in the docs' benchmarks).

# %%
blur = blur_integrated_gradients(model, image, target, batch_size=BATCH_SIZE)
print(blur.completeness_report())

# %% [markdown]
# The three methods side by side:

# %%
figure = plot_attribution_grid(
    {"IG, black baseline": results[0], "SmoothGrad IG": smooth, "Blur IG": blur},
    image,
    cmap=CMAP,
)
save_figure(figure, output_dir, "09_methods")

# %% [markdown]
# ### Exercise 9.2: explain a photo of your choice
#
# Pick a photo: a bundled one not used yet (`"chelsea"`, `"astronaut"`, `"rocket"` or
# `"motorcycle"`) or a file of your own. Read it into `my_image` at the model's input size,
# explain its top-1 class with `integrated_gradients` in `my_result`, and draw the attributions
# over the photo with `visualize_attributions` (save the figure with `save_figure`). With
# `m_steps="auto"` and `tolerance=0.05` the integral is as good as the self-check asks. What did
# the model look at?

# %% nbgrader={"grade": false, "grade_id": "ex9_2", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: read_image(name, size=model.input_size); integrated_gradients(..., m_steps="auto", tolerance=0.05).
my_image = my_result = None
### BEGIN SOLUTION
my_image = read_image("chelsea", size=model.input_size)
my_result = integrated_gradients(
    model, my_image, "top-1", m_steps="auto", tolerance=0.05, batch_size=BATCH_SIZE
)
figure, ax = plt.subplots(figsize=(4, 4))
my_title = model.labels[my_result.target]
visualize_attributions(
    my_result.attributions, my_image, overlay=True, cmap=CMAP, ax=ax, title=my_title
)
save_figure(figure, output_dir, "09_my_photo")
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex9_2_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_explanation(my_result, my_image, model)

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - named targets three ways and attributed all images in one call;
# - drew signed, positive, negative and absolute maps, and computed where the map is clipped;
# - averaged IG over noisy copies (SmoothGrad) and followed a blur path (Blur IG);
# - explained a photo of your choice and checked its completeness.

# %% [markdown]
# The helpers used here are documented in the API reference, each with the notebook that teaches
# it.
#
# Next: [10. Your own Keras model](10_your_own_model.ipynb), where you train a model of your own,
# on digits and on a table, and attribute its predictions.
