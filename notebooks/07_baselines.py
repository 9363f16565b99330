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
# # 7. Choosing a baseline
#
# [![Open In Colab][badge]][colab]
#
# [Notebook 2](02_baseline.ipynb) introduced the baseline `x'`, the input that stands for "no
# signal". Integrated Gradients explains the difference `F(x) - F(x')`, and every attribution
# carries the factor `x_i - x'_i` (Sundararajan et al., 2017, eq. 1): **a pixel equal to the
# baseline gets no attribution, however much it matters.** Each baseline therefore has a blind
# spot. This notebook computes the attributions of the same image with six baselines, measures
# what each one hides, and averages over random baselines, in the spirit of *expected
# gradients* (Erion et al., 2021) and of Sturmfels, Lundberg & Lee, "Visualizing the Impact of
# Feature Attribution Baselines" (Distill, 2020).
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/07_baselines.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 20 minutes.*
#
# After this notebook you can:
#
# - compute and compare attributions of one image with six baselines;
# - measure what each baseline hides, and predict it from `x_i - x'_i`;
# - average attributions over random baselines and read their spread.

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
# `IMAGES`: only the first photo is used here. `TOLERANCE` is the completeness error each
# attribution must meet (1%).

# %% tags=["parameters"]
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
BATCH_SIZE = None
CMAP = "inferno"
OUTPUT_DIR = "outputs"
TOLERANCE = 0.01

# %% tags=["nbval-ignore-output"]
import numpy as np

from ig_tutorial import (
    BASELINES,
    check_hides_dark,
    integrated_gradients,
    integrated_gradients_over_baselines,
    load_model,
    make_baseline,
    plot_attribution_grid,
    plot_averaged_attributions,
    plot_images,
    read_image,
    resolve_target,
    save_figure,
    setup_notebook,
)

output_dir = setup_notebook(OUTPUT_DIR)

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %%
title, source = next(iter(IMAGES.items()))
image = read_image(source, size=model.input_size)
target = resolve_target(model, image, TARGETS[title])
print(f"{title}: class {target} ({model.labels[target]})")

# %% [markdown]
# ## Six baselines
#
# `make_baseline` builds each one from the image: constant black and white, uniform noise,
# the image plus Gaussian noise, the image blurred, and the *maximum-distance* image (each value
# moved to the far end of `[0, 1]`). The random ones are seeded, so they repeat.

# %%
baselines = {name: make_baseline(name, image, seed=0) for name in BASELINES}
save_figure(plot_images(baselines, ncols=3), output_dir, "07_baselines")

# %% [markdown]
# ## Attributions side by side
#
# The same image and class, one baseline at a time, each with as many trapezoid steps as it
# needs to meet `TOLERANCE` (`m_steps="auto"`; the count is in each report). A good baseline
# is uninformative to the model: its score `F(x')` should be near zero, so that the
# attributions explain almost the whole score `F(x)`. The completeness report shows both.

# %%
results = {
    name: integrated_gradients(
        model,
        image,
        target,
        baseline=baseline,
        m_steps="auto",
        tolerance=TOLERANCE,
        batch_size=BATCH_SIZE,
    )
    for name, baseline in baselines.items()
}
for name, result in results.items():
    print(f"{name:>16}: {result.completeness_report()}")

# %% [markdown]
# The panels share one visualization (absolute attributions, summed over colours, the top 1% of
# values clipped so that a few pixels do not wash out the rest):

# %%
figure = plot_attribution_grid(
    {name: result.attributions for name, result in results.items()}, image, cmap=CMAP, ncols=4
)
save_figure(figure, output_dir, "07_attributions_by_baseline")

# %% [markdown]
# ## What each baseline hides
#
# Pixels equal to the baseline get exactly zero attribution. The photo is letter-boxed with
# black bars, so the black baseline cannot credit the bars, nor any black pixel of the photo;
# the white baseline is blind to white pixels instead. The share of attribution that falls on
# dark pixels (all channels below 0.1) shows the blind spot:

# %%
dark = np.all(image.numpy() < 0.1, axis=-1)
print(f"dark pixels: {dark.mean():.1%} of the image")

# %% [markdown]
# ### Exercise 7.1: which baseline hides dark pixels?
#
# Predict first, from the factor `x_i - x'_i`: which of the six baselines gives dark pixels the
# smallest share of the attributions? Then compute, for each result in `results`, the share of
# `|IG|` (summed over the colour channels) that falls on the `dark` pixels, and set `hides_dark`
# to the name of the baseline with the smallest share.

# %% nbgrader={"grade": false, "grade_id": "ex7_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: per result, np.abs(attributions).sum(axis=-1); its sum over [dark] divided by its total.
hides_dark = None
### BEGIN SOLUTION
shares_on_dark = {}
for name, result in results.items():
    magnitude = np.abs(result.attributions).sum(axis=-1)
    shares_on_dark[name] = magnitude[dark].sum() / magnitude.sum()
hides_dark = min(shares_on_dark, key=shares_on_dark.get)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex7_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_hides_dark(hides_dark, results, dark)

# %% [markdown]
# All the baselines, with the share of pixels each one hides completely:

# %%
for name, result in results.items():
    blind = np.all(result.attributions == 0, axis=-1).mean()
    print(f"{name:>16}: {blind:6.1%} of pixels get exactly 0")

# %% [markdown]
# No single baseline is right. The constant ones are blind to one colour; the noisy and blurred
# ones are close to the image, so `F(x')` is not small and the attributions explain only part
# of the score; the maximum-distance baseline has no blind pixel but encodes the image's own
# edges.
#
# ## Averaging over random baselines
#
# Averaging the attributions over several random baselines removes the single blind spot and
# shows how much the picture depends on the choice: the per-pixel standard deviation across
# baselines. A looser tolerance per baseline suffices, the paper's rule of thumb of 5%, since
# the average also smooths the integral.

# %%
averaged = integrated_gradients_over_baselines(
    model,
    image,
    target,
    ["uniform"] * 4,
    seed=0,
    m_steps="auto",
    tolerance=0.05,
    batch_size=BATCH_SIZE,
)
print(averaged.completeness_report())

# %%
save_figure(plot_averaged_attributions(averaged, image), output_dir, "07_averaged_baselines")

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - computed attributions with six baselines and compared their scores `F(x')`;
# - measured which baseline hides dark pixels, after predicting it;
# - averaged attributions over random baselines and drew their spread.

# %% [markdown]
# Next: [8. Integration rules and steps](08_integration_rules_and_steps.ipynb), how many steps
# are enough.
