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
# # 1. Setup and classification
#
# [![Open In Colab][badge]][colab]
#
# This series teaches **Integrated Gradients** (IG; Sundararajan, Taly & Yan, 2017,
# [*Axiomatic Attribution for Deep Networks*](https://arxiv.org/abs/1703.01365)) step by step,
# following TensorFlow's Integrated Gradients tutorial on today's TensorFlow. IG explains a
# prediction of an image classifier by crediting each pixel with its share of the change in the
# class score between a *baseline* image (black) and the input.
#
# 1. **Setup and classification** (this notebook): the model, its input/output contract, the
#    images and their top-3 classes.
# 2. Baseline: where the path starts.
# 3. Interpolation: the straight path from the baseline to the image.
# 4. Gradients and saturation: why plain gradients are not enough.
# 5. Integration: the integral, the batched IG function and the completeness check.
# 6. Visualization: attribution masks and overlays, uses and limitations.
#
# Then beyond the tutorial: 7. choosing a baseline, 8. integration rules and the number of steps
# (chosen automatically), 9. the attribution toolkit (SmoothGrad, Blur IG, ways to draw).
#
# Each notebook runs on its own. It shows the small teaching version of a step, then uses the
# helper from the `ig_tutorial` package for the rest.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/01_setup_and_classification.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 15 minutes.*
#
# After this notebook you can:
#
# - load a TensorFlow image classifier with `load_model` and state its contract (images in
#   `[0, 1]`, 224 x 224 RGB, logits out);
# - read a photo into the model's input with `read_image`, and say what letter-boxing does;
# - turn logits into probabilities with a softmax and list the top-3 classes;
# - name the class to explain by its label, so that it means the same for any model.

# %% [markdown]
# On Colab, the next cell installs the `ig_tutorial` package. TensorFlow, `tf_keras` and
# `tensorflow-hub` come preinstalled there and are kept. Anywhere else the cell does nothing:
# install the package with `pip install -e ".[dev]"` from a checkout.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:
    package = "git+https://github.com/ig-tutorial/ig-tutorial@v0.1.0"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)

# %% [markdown]
# ## Parameters
#
# The defaults reproduce the tutorial: Inception V1 from TF-Hub, the fireboat and the giant
# panda, 240 integration steps. They need the internet. To run offline, with the bundled
# EfficientNet-Lite0 and bundled photos, use the offline profile:
# `papermill -f notebooks/offline.yaml ...` or `ig-tutorial run --offline`.
#
# The notebooks share these names; each declares only the ones it uses (`ig-tutorial run` passes
# each notebook its own):
#
# - `MODEL`: a TF-Hub handle, a SavedModel folder, or `"efficientnet-lite0"` (offline).
# - `IMAGES`: a title -> a bundled photo name, a file path or a URL.
# - `TARGETS`: the same titles -> the class to explain, by **name** (`"fireboat"`) or
#   `"top-1"`. A name means the same class whatever the model: Inception V1 counts a
#   "background" class first (fireboat is its output 555), EfficientNet-Lite0 does not (its 554).
#   A class index works too, but only for the model it was read from.
# - `M_STEPS`: integration steps; 240 as in the tutorial's figures (notebooks 5-9).
# - `BATCH_SIZE`: gradient evaluations per model call; `None` takes the package's default, which
#   follows the input's size: 8 for a photo, the fastest measured on a small CPU (the tutorial
#   used 32; `"auto"` measures your machine).
#   Results do not depend on it.
# - `BASELINE`, `CMAP`: the baseline image (notebook 2) and the colormap of the figures.
# - `OUTPUT_DIR`: where the figures are written.

# %% tags=["parameters"]
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"  # @param ["https://tfhub.dev/google/imagenet/inception_v1/classification/4", "efficientnet-lite0"] {allow-input: true}
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
OUTPUT_DIR = "outputs"

# %% [markdown]
# `setup_notebook` seeds the random generators and turns on TensorFlow's op determinism, so
# running this notebook again prints the same numbers. Figures are saved to `OUTPUT_DIR`.

# %% tags=["nbval-ignore-output"]
import tensorflow as tf

from ig_tutorial import (
    check_top1_probability,
    load_model,
    plot_images,
    read_image,
    resolve_image_source,
    resolve_target,
    save_figure,
    setup_notebook,
)

output_dir = setup_notebook(OUTPUT_DIR)
print("TensorFlow", tf.__version__)

# %% [markdown]
# ## Load the model
#
# The tutorial wraps the TF-Hub model in `tf.keras.Sequential([hub.KerasLayer(...)])`. Since
# TensorFlow 2.16, `tf.keras` is Keras 3, which rejects `hub.KerasLayer` (a Keras 2 layer).
# `load_model` loads the same SavedModel with `hub.load` and wraps it as a `Classifier`: a
# function from a batch of images to logits. When TF-Hub cannot be reached it fails within
# seconds and names the offline model; it never switches model on its own.

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %% [markdown]
# The input/output contract (the tutorial's `model.summary()`): images are `float32` in
# `[0, 1]`, 224 x 224 pixels, RGB; the output is one logit per class. Inception V1 has 1001
# outputs, the first being "background"; EfficientNet-Lite0 has the 1000 ImageNet classes.

# %%
print(model.summary())

# %% [markdown]
# ## Load the images
#
# The teaching version of `read_image`: decode the file, convert it to `float32` in `[0, 1]` and
# letter-box it to the model's square input with `tf.image.resize_with_pad` (black bars keep
# the aspect ratio).

# %%
first_title, first_source = next(iter(IMAGES.items()))
image_file = resolve_image_source(first_source)  # a bundled photo, a path, or a cached download
raw = tf.io.decode_image(
    tf.io.read_file(str(image_file)), channels=3, dtype=tf.float32, expand_animations=False
)
resized = tf.image.resize_with_pad(raw, 224, 224)
print(f"{first_title}: decoded {raw.shape} -> model input {resized.shape} {resized.dtype.name}")

# %% [markdown]
# The packaged `read_image` does the same for paths, URLs and bundled photo names. From here on
# the notebooks use it.

# %%
images = {title: read_image(source, size=model.input_size) for title, source in IMAGES.items()}
difference = tf.reduce_max(tf.abs(images[first_title] - resized))
print(f"largest difference to the teaching version: {float(difference):.4f}")

# %%
figure = plot_images(images)
save_figure(figure, output_dir, "01_images")

# %% [markdown]
# ## Classify
#
# The model returns logits; a softmax turns them into probabilities. The teaching version of the
# top-3 for the first image:

# %%
logits = model(tf.expand_dims(images[first_title], axis=0))
probabilities = tf.nn.softmax(logits, axis=-1)[0]
top = tf.math.top_k(probabilities, k=3)
for index, probability in zip(top.indices.numpy(), top.values.numpy(), strict=True):
    print(f"{model.labels[int(index)]}: {probability:.1%}")

# %% [markdown]
# ### Exercise 1.1: the top-1 probability by hand
#
# Start again from `logits`, the model's raw output for the first image, and compute the
# probability of its top-1 class as a Python `float` in `top1_probability`. Then run the
# self-check below it.

# %% nbgrader={"grade": false, "grade_id": "ex1_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: tf.nn.softmax turns logits into probabilities; the top-1 is their maximum.
top1_probability = None
### BEGIN SOLUTION
top1_probability = float(tf.reduce_max(tf.nn.softmax(logits, axis=-1)))
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex1_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_top1_probability(top1_probability, logits)

# %% [markdown]
# `Classifier.predict_top_k` does the same for every image:

# %%
for title, image in images.items():
    print(title)
    for index, label, probability in model.predict_top_k(image, k=3):
        print(f"  {index:4d} {label:<24} {probability:6.1%}")

# %% [markdown]
# The classes the next notebooks explain are `TARGETS`. Usually that is the top-1 class, as in
# the tutorial; check that it is:

# %%
for title, image in images.items():
    top_index = model.predict_top_k(image, k=1)[0][0]
    target = resolve_target(model, image, TARGETS[title])
    print(
        f"{title}: top-1 {top_index} ({model.labels[top_index]}), "
        f"target {target} ({model.labels[target]})"
    )

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - loaded the classifier and printed its input/output contract;
# - decoded and letter-boxed a photo by hand, then with `read_image`;
# - computed the top-3 classes from the logits with a softmax, and the top-1 probability
#   yourself;
# - checked that the classes to explain (`TARGETS`) are the model's top-1.

# %% [markdown]
# Next: [2. Baseline](02_baseline.ipynb), where the path of Integrated Gradients starts.
