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
# # 2. Baseline
#
# [![Open In Colab][badge]][colab]
#
# Integrated Gradients does not explain a score on its own: it explains the *difference* between
# the score of the input `x` and the score of a **baseline** `x'`, an input that stands for "no
# signal" (Sundararajan et al., 2017, section 3). Attributions say how much each pixel moved the
# prediction from the baseline to the input, so the baseline should be an input the model finds
# uninformative, whose score for the target class is close to zero.
#
# For images the paper and the tutorial use a **black image**. This notebook builds it, shows
# other common choices, and what each one cannot see.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/02_baseline.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 10 minutes.*
#
# After this notebook you can:
#
# - explain why Integrated Gradients needs a baseline and what `F(x) - F(x')` measures;
# - build black, white and random baselines with `make_baseline` and check their scores;
# - predict which pixels a baseline cannot credit.

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
import tensorflow as tf

from ig_tutorial import (
    check_most_hidden,
    load_model,
    make_baseline,
    plot_images,
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
title, image = next(iter(images.items()))
target = resolve_target(model, image, TARGETS[title])
print(f"{title}: explaining class {target} ({model.labels[target]})")

# %% [markdown]
# ## The black baseline
#
# The teaching version is a tensor of zeros with the image's shape: every pixel black.

# %%
black = tf.zeros(shape=image.shape)
print(black.shape, black.dtype.name, float(tf.reduce_max(black)))

# %% [markdown]
# A good baseline gives the target class a probability near zero. Then the attributions, which
# add up to `F(x) - F(x')`, share out almost the whole prediction `F(x)`. Here `F` is the
# softmax probability of the target class, picked from the logits by `target_scores`.

# %%
scores = target_scores(model(tf.stack([image, black])), target, "probability")
print(f"F(x)  = {float(scores[0]):.4f}  (the image)")
print(f"F(x') = {float(scores[1]):.4f}  (the black baseline)")

# %% [markdown]
# ## Other choices
#
# Any baseline has a blind spot. The attribution of pixel `i` is proportional to `x_i - x'_i`,
# so a pixel that equals the baseline gets nothing, however much it matters: the black baseline
# cannot credit black pixels (the tutorial's example is a black dog on a black background).
# A **white** baseline is blind to white pixels instead, and a **random** (uniform noise)
# baseline to no colour in particular, at the price of results that depend on the noise (its
# seed is fixed here). `make_baseline` builds them by name.

# %%
baselines = {name: make_baseline(name, image, seed=0) for name in ("black", "white", "uniform")}
scores = target_scores(model(tf.stack(list(baselines.values()))), target, "probability")
for name, score in zip(baselines, scores.numpy(), strict=True):
    print(f"{name:>8}: F(x') = {score:.4f}")

# %%
figure = plot_images({f"{name} baseline": baseline for name, baseline in baselines.items()})
save_figure(figure, output_dir, "02_baselines")

# %% [markdown]
# ### Exercise 2.1: which baseline hides the most pixels?
#
# A pixel equal to the baseline gets no attribution. Predict first: which of `baselines`
# (black, white, uniform) equals the most pixels of this photo? Then compute, for each
# baseline, the share of pixels whose three channels all equal the baseline's, and set
# `hides_most` to the name of the baseline with the largest share.

# %% nbgrader={"grade": false, "grade_id": "ex2_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: tf.reduce_all(image == baseline, axis=-1) marks the pixels equal in all three channels.
hides_most = None
### BEGIN SOLUTION
shares = {
    name: float(tf.reduce_mean(tf.cast(tf.reduce_all(image == baseline, axis=-1), tf.float32)))
    for name, baseline in baselines.items()
}
hides_most = max(shares, key=shares.get)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex2_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_most_hidden(hides_most, image, baselines)

# %% [markdown]
# The letter-box bars that `read_image` adds are black too. With the black baseline they get
# exactly zero attribution, which is what we want for padding:

# %%
share_black = float(tf.reduce_mean(tf.cast(tf.reduce_all(image == 0.0, axis=-1), tf.float32)))
print(f"{share_black:.1%} of the pixels of {title} equal the black baseline")

# %% [markdown]
# The rest of the series uses the `BASELINE` parameter (the tutorial's black image by default).
# Notebook 7 compares baselines on attributions.

# %%
baseline = make_baseline(BASELINE, image, seed=0)
score = target_scores(model(baseline[tf.newaxis]), target, "probability")[0]
print(f"BASELINE = {BASELINE!r}: F(x') = {float(score):.4f}")

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - built the tutorial's black baseline and checked that its score is near zero;
# - compared black, white and uniform-noise baselines;
# - measured which baseline equals the most pixels of the photo, and so hides them.

# %% [markdown]
# Next: [3. Interpolation](03_interpolation.ipynb), the straight path from the baseline to the
# image.
