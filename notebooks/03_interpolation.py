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
# # 3. Interpolation
#
# [![Open In Colab][badge]][colab]
#
# Integrated Gradients walks along the straight line from the baseline `x'` to the image `x`,
#
# $$x' + \alpha\,(x - x'), \qquad 0 \le \alpha \le 1,$$
#
# and looks at the model's gradient at each point (Sundararajan et al., 2017, eq. 1). This
# notebook builds the points of that path: the interpolation constants `alpha` and the
# interpolated images.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/03_interpolation.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 10 minutes.*
#
# After this notebook you can:
#
# - write the straight path `x' + alpha (x - x')` from a baseline to an image;
# - build all interpolated images at once by broadcasting, and with `interpolate_images`;
# - say where along the path the photo becomes recognisable.

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
BASELINE = "black"  # @param ["black", "white", "uniform", "gaussian", "blur", "maximum_distance"]
OUTPUT_DIR = "outputs"

# %% tags=["nbval-ignore-output"]
import tensorflow as tf

from ig_tutorial import (
    check_interpolation,
    interpolate_images,
    load_model,
    make_baseline,
    plot_interpolation_strip,
    read_image,
    save_figure,
    setup_notebook,
)

output_dir = setup_notebook(OUTPUT_DIR)

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %%
title, source = next(iter(IMAGES.items()))
image = read_image(source, size=model.input_size)
baseline = make_baseline(BASELINE, image, seed=0)
print(f"{title}: image {image.shape}, {BASELINE} baseline {baseline.shape}")

# %% [markdown]
# ## The interpolation constants
#
# `m_steps` splits `[0, 1]` into equal sub-intervals; with their end points there are
# `m_steps + 1` alphas. As in the tutorial, the walk-through uses 50 steps; the full IG function
# (notebook 5) uses `M_STEPS`.

# %%
m_steps = 50
alphas = tf.linspace(start=0.0, stop=1.0, num=m_steps + 1)
print(alphas.shape, [round(float(a), 2) for a in alphas[:4]], "...", float(alphas[-1]))

# %% [markdown]
# ## The interpolated images
#
# The teaching version broadcasts: `alphas` gets three trailing axes and the images one leading
# axis, so one expression builds all `m_steps + 1` images at once.

# %%
alphas_x = alphas[:, tf.newaxis, tf.newaxis, tf.newaxis]
baseline_x = tf.expand_dims(baseline, axis=0)
input_x = tf.expand_dims(image, axis=0)
delta = input_x - baseline_x
interpolated = baseline_x + alphas_x * delta
print(interpolated.shape)

# %% [markdown]
# `interpolate_images` is the packaged version; it gives the same tensor.

# %%
packaged = interpolate_images(baseline, image, alphas)
print(packaged.shape, "largest difference:", float(tf.reduce_max(tf.abs(packaged - interpolated))))

# %% [markdown]
# Every tenth image of the path, from the baseline (`alpha = 0`) to the image (`alpha = 1`).
# Watch where the object becomes recognisable: notebook 4 shows that the model decides early.

# %%
figure = plot_interpolation_strip(packaged[::10], alphas[::10])
save_figure(figure, output_dir, "03_interpolation")

# %% [markdown]
# ### Exercise 3.1: a path from white
#
# The path need not start from black. Build the path from the **white** baseline `white` to
# the image at the five alphas `exercise_alphas`, one image per alpha, by broadcasting as the
# teaching version does (without `interpolate_images`), in `white_path`.

# %%
white = make_baseline("white", image)
exercise_alphas = tf.constant([0.0, 0.25, 0.5, 0.75, 1.0])

# %% nbgrader={"grade": false, "grade_id": "ex3_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: x' + alpha * (x - x'), with alpha given three trailing axes so that it broadcasts.
white_path = None
### BEGIN SOLUTION
white_path = white + exercise_alphas[:, tf.newaxis, tf.newaxis, tf.newaxis] * (image - white)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex3_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_interpolation(white_path, white, image, exercise_alphas)

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - made the interpolation constants `alphas` for `m_steps` steps;
# - built the interpolated images by broadcasting, and checked them against
#   `interpolate_images`;
# - built a path from a white baseline yourself.

# %% [markdown]
# Next: [4. Gradients and saturation](04_gradients_and_saturation.ipynb), the gradient at each
# point of this path.
