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
# # 6. Visualization
#
# [![Open In Colab][badge]][colab]
#
# Attributions have the image's shape: one number per pixel and colour channel. To see them,
# the tutorial sums their absolute values over the channels into an **attribution mask** and
# lays it over the image. Bright regions are the pixels that moved the target probability most
# between the baseline and the image (Sundararajan et al., 2017).
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/06_visualization.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 15 minutes.*
#
# After this notebook you can:
#
# - reduce attributions to an attribution mask and draw it over the image;
# - read an attribution figure, and say what it does and does not tell;
# - compute the completeness error of a result from its fields.

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
# `TOLERANCE` is the completeness error the attributions must meet (1%).

# %% tags=["parameters"]
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"  # @param ["https://tfhub.dev/google/imagenet/inception_v1/classification/4", "efficientnet-lite0"] {allow-input: true}
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
BATCH_SIZE = None
BASELINE = "black"  # @param ["black", "white", "uniform", "gaussian", "blur", "maximum_distance"]
CMAP = "inferno"  # @param ["inferno", "magma", "viridis", "gray", "hot"]
OUTPUT_DIR = "outputs"
TOLERANCE = 0.01  # @param {type:"slider", min:0.005, max:0.1, step:0.005}

# %% tags=["nbval-ignore-output"]
import numpy as np
import tensorflow as tf

from ig_tutorial import (
    attribution_mask,
    check_completeness_error,
    integrated_gradients,
    load_model,
    make_baseline,
    plot_img_attributions,
    read_image,
    resolve_target,
    save_figure,
    setup_notebook,
)

output_dir = setup_notebook(OUTPUT_DIR)

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %% [markdown]
# The attributions of every image, as in [notebook 5](05_integration.ipynb), with their
# completeness check. The tutorial fixes 240 steps for every image; here `m_steps="auto"`
# adds steps only where the path needs them, until the completeness error is within
# `TOLERANCE` (and its estimate of the attributions' own error within 1.5 times that), usually
# with far fewer gradient evaluations. [Notebook 8](08_integration_rules_and_steps.ipynb) shows
# how it chooses.

# %%
images = {title: read_image(source, size=model.input_size) for title, source in IMAGES.items()}
baselines = {title: make_baseline(BASELINE, image, seed=0) for title, image in images.items()}
results = {}
for title, image in images.items():
    target = resolve_target(model, image, TARGETS[title])
    results[title] = integrated_gradients(
        model,
        image,
        target,
        baseline=baselines[title],
        m_steps="auto",
        tolerance=TOLERANCE,
        batch_size=BATCH_SIZE,
    )
    print(f"{title}, class {target} ({model.labels[target]}):")
    print(f"  {results[title].completeness_report()}")

# %% [markdown]
# ## The attribution mask
#
# The teaching version: absolute values, summed over the colour channels, give one non-negative
# number per pixel. `attribution_mask` is the packaged version.

# %%
title = next(iter(images))
attributions = results[title].attributions
mask = tf.reduce_sum(tf.math.abs(attributions), axis=-1)
print(mask.shape, "same as attribution_mask:", np.allclose(mask, attribution_mask(attributions)))

# %% [markdown]
# ### Exercise 6.1: the completeness error by hand
#
# Every figure below rests on attributions whose integral is approximate. From the fields of
# `results[title]` (`attributions`, `score_at_input`, `score_at_baseline`), compute the relative
# completeness error `|sum(IG) - (F(x) - F(x'))| / |F(x) - F(x')|` as a `float` in `my_error`.

# %% nbgrader={"grade": false, "grade_id": "ex6_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: np.sum the attributions, subtract F(x) - F(x'), take abs(), divide by |F(x) - F(x')|.
my_error = None
### BEGIN SOLUTION
result = results[title]
difference = result.score_at_input - result.score_at_baseline
my_error = abs(float(np.sum(result.attributions)) - difference) / abs(difference)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex6_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_completeness_error(my_error, results[title])

# %% [markdown]
# ## The figures
#
# For each image, the tutorial's 2 x 2 grid: the baseline, the image, the attribution mask, and
# the mask over the image (colormap `CMAP`).

# %%
for title, image in images.items():
    result = results[title]
    figure = plot_img_attributions(
        image,
        baselines[title],
        result.attributions,
        cmap=CMAP,
        overlay_alpha=0.4,
        title=f"{title}: {model.labels[result.target]}",
    )
    save_figure(figure, output_dir, f"06_attributions_{title}")

# %% [markdown]
# ## Uses and limitations
#
# **Uses.** Integrated Gradients needs no change to the model and nothing but gradients, so it
# works for any differentiable model. Its attributions are *complete* (they add up to the
# change in score) and satisfy the paper's axioms, e.g. *sensitivity* (a feature that changes
# the prediction gets credit) and *implementation invariance* (two networks computing the same
# function get the same attributions). That makes it useful to check what a model looks at,
# to debug it (for the tutorial's fireboat, the water cannons and their jets light up as much as
# the hull), and to explain single predictions to people.
#
# **Limitations.** The attributions explain *one* prediction for *one* image; they say nothing
# about the model as a whole. They show how much each pixel mattered, not how pixels interact
# or which higher-level concept the model used. They depend on the baseline: pixels equal to
# it get no credit (the black baseline is blind to black pixels). And the integral is only
# approximate: check the completeness delta and add steps when it is large.

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - summed absolute attributions over the channels into a mask, by hand and with
#   `attribution_mask`;
# - drew the tutorial's 2 x 2 figure for every image;
# - computed the relative completeness error yourself;
# - weighed the uses and limitations of Integrated Gradients.

# %% [markdown]
# Next: [7. Choosing a baseline](07_baselines.ipynb), where the series goes beyond the
# tutorial: baselines, integration rules and steps, and the rest of the toolkit.
