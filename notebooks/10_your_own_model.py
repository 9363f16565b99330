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
# # 10. Your own Keras model
#
# [![Open In Colab][badge]][colab]
#
# Everything so far explained ImageNet photo classifiers that someone else trained. Integrated
# Gradients (Sundararajan et al., 2017) needs only gradients, so it applies to *any*
# differentiable model: images, text, structured data. This notebook trains two small Keras 3
# models in well under a minute, offline, on data sets that ship with scikit-learn, and explains
# their predictions with the same functions as before: a convolutional network on 8 x 8
# handwritten digits, and a dense network on a table of tumour measurements.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/10_your_own_model.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 20 minutes.*
#
# After this notebook you can:
#
# - State the package's model contract (inputs in `[0, 1]` to **logits**) and put a model's
#   preprocessing where it belongs: inside the model.
# - Train a small Keras model and load it with `load_model`, which reads its input shape and
#   its final softmax, and refuses any other model that already outputs probabilities.
# - Attribute a grayscale digit classifier's predictions, and explain what the black baseline
#   can and cannot credit.
# - Attribute a tabular model's prediction feature by feature, against a baseline of feature
#   means, and read the bar chart.
# - Attribute a whole test set in one vectorised call.

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
# `M_STEPS` and `OUTPUT_DIR` as in every notebook. The data ship with scikit-learn, so the
# defaults work offline. `EPOCHS` is the number of passes over the training data for each
# model, and `SEED` seeds the weights, the data split and the training order: the same seed
# trains the same models and prints the same numbers.

# %% tags=["parameters"]
M_STEPS = 240  # @param {type:"slider", min:16, max:512, step:16}
OUTPUT_DIR = "outputs"
EPOCHS = 10
SEED = 0

# %% tags=["nbval-ignore-output"]
import time

import keras
import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.model_selection import train_test_split

from ig_tutorial import (
    integrated_gradients,
    integrated_gradients_many,
    load_model,
    plot_attribution_grid,
    plot_feature_attributions,
    plot_images,
    plot_img_attributions,
    save_figure,
    setup_notebook,
)

output_dir = setup_notebook(OUTPUT_DIR, seed=SEED)

# %% [markdown]
# ## The model contract
#
# Every function of the package calls a model the same way: a `float32` batch of inputs in, one
# **logit** per class out. Images are `(n, height, width, channels)` with values in `[0, 1]`;
# a tabular model takes rows of features, `(n, n_features)`. Two consequences for your model:
#
# - **Preprocessing goes inside the model.** If the network wants pixels in `[-1, 1]`, or
#   standardised features, make that its first layer. Integrated Gradients then walks from the
#   baseline to the input in the space a person understands (a black image is all zeros, not
#   "zeros after normalisation"), and the gradients flow through the preprocessing too.
# - **Logits at the end.** The package applies the softmax itself when it attributes the
#   probability (`output="probability"`, the default) and skips it for `output="logit"`. A Keras
#   model may end in its own softmax instead: the package reads it (below).
#
# `load_model` wraps any callable with this contract into a `Classifier`. For a Keras model it
# reads the input shape and the last activation from the model; for any other model it checks
# on two probe inputs that the outputs are logits.

# %% [markdown]
# ## Handwritten digits
#
# scikit-learn's `load_digits` holds 1797 grayscale digits of 8 x 8 pixels, each pixel an ink
# level from 0 (paper) to 16 (ink). Dividing by 16 puts them in `[0, 1]`, the contract's range,
# as `read_image` does for photos; the channel axis makes each digit an `(8, 8, 1)` image. A
# quarter is held out to measure accuracy.

# %%
digits = load_digits()
images = (digits.images / 16.0).astype("float32")[..., np.newaxis]
x_train, x_test, y_train, y_test = train_test_split(
    images, digits.target, test_size=0.25, random_state=SEED, stratify=digits.target
)
print(f"{len(x_train)} training and {len(x_test)} test digits of shape {x_train.shape[1:]}")

# %%
figure = plot_images({f"label {y_test[i]}": x_test[i] for i in range(6)})
save_figure(figure, output_dir, "10_digits")

# %% [markdown]
# A small convolutional network. Its first layer is the preprocessing, `[0, 1]` to `[-1, 1]`;
# its last layer is a `Dense` layer *without* activation: ten logits.

# %%
keras.utils.set_random_seed(SEED)
network = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Rescaling(2.0, offset=-1.0),  # preprocessing, inside the model
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10),  # logits: no softmax
    ],
    name="digits_cnn",
)
network.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = network.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, verbose=0)
_, accuracy = network.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy after {EPOCHS} epochs: {accuracy:.1%}")

# %% [markdown]
# `load_model` takes the trained network as it is: it reads the input shape `(8, 8, 1)` from the
# model, so grayscale 8 x 8 digits need no `input_size`, and the summary states the contract.

# %% tags=["nbval-ignore-output"]
model = load_model(network)

# %%
print(model.summary())

# %% [markdown]
# **A model that outputs probabilities.** Keras applications end in a softmax unless built
# with `classifier_activation=None`, and many hand-written models do too. Attributing their
# probabilities as if they were logits would apply a second softmax, flattening every score.
# A Keras model says which activation its last layer applies, so `load_model` reads it: for a
# final softmax it recovers the logits from the probabilities `p` (`log p`, whose softmax is
# `p` again) and attributes those. The digit network with a softmax at the end loads as it is,
# and predicts what the network without it does:

# %%
with_softmax = keras.Sequential(
    [network, keras.layers.Activation("softmax")], name="digits_softmax"
)

# %% tags=["nbval-ignore-output"]
softmax_model = load_model(with_softmax)

# %%
for title, loaded in {"logits": model, "softmax at the end": softmax_model}.items():
    index, name, probability = loaded.predict_top_k(x_test[0], k=1)[0]
    print(f"{title}: predicted {name} ({probability:.1%})")

# %% [markdown]
# **Trap: any other model that outputs probabilities** (a SavedModel folder, a TF-Hub handle, a
# plain function) cannot say so. `load_model` sees that its outputs on the probe inputs are
# non-negative and sum to 1, refuses it, and says what to do: remove the softmax, or, when you
# cannot, declare it with `load_model(model, model_outputs="probabilities")`, which wraps the
# model to return log-probabilities as above. Other heads, a sigmoid unit for a binary
# classifier or a regression's value, are the subject of [notebook 14](14_any_model.ipynb).
#
# The other trap, the input's shape and range, meets you with an ImageNet model of another size;
# for example:
#
# ```python
# mobilenet = keras.applications.MobileNetV3Small(
#     input_shape=(160, 160, 3), classifier_activation=None  # logits, at 160 x 160
# )
# # Keras applications rescale 0-255 pixels themselves: put the [0, 1] -> [0, 255] step inside.
# model = load_model(keras.Sequential([keras.layers.Rescaling(255.0), mobilenet]))
# ```
#
# Back to the digits. The model's most probable class for the first four test digits:

# %%
examples = {f"example {i + 1}": x_test[i] for i in range(4)}
for (title, digit), label in zip(examples.items(), y_test[:4], strict=True):
    index, name, probability = model.predict_top_k(digit, k=1)[0]
    print(f"{title}: label {label}, predicted {name} ({probability:.1%})")

# %% [markdown]
# ## Attributing the digits
#
# The same `integrated_gradients` as for the photos; the target is the true label, and the
# baseline the default black image, all zeros. The completeness check works as before.

# %%
targets = [int(label) for label in y_test[:4]]
results = integrated_gradients_many(model, list(examples.values()), targets, m_steps=M_STEPS)
for title, result in zip(examples, results, strict=True):
    print(f"{title}: {result.completeness_report()}")

# %% [markdown]
# The tutorial's figure for the first digit: baseline, digit, attribution mask, and the mask over
# the digit (one channel is drawn in grey).

# %%
digit, result = x_test[0], results[0]
figure = plot_img_attributions(
    digit, np.zeros_like(digit), result.attributions, title=f"label {y_test[0]}"
)
save_figure(figure, output_dir, "10_digit_attributions")

# %% [markdown]
# Signed attributions of all four side by side (red: the pixel raised the target's probability,
# blue: lowered it):

# %%
panels = {
    f"{title} (class {target})": r
    for title, r, target in zip(examples, results, targets, strict=True)
}
figure = plot_attribution_grid(panels, mode="signed", show_image=False)
save_figure(figure, output_dir, "10_signed_attributions")

# %% [markdown]
# ### The black baseline on digits
#
# For photos, black was an arbitrary choice (notebook 7). Here it means something: an empty
# page, no ink at all. The attributions then answer "which strokes of ink made this a 3?". But
# IG multiplies by `x - x'`, so a pixel equal to the baseline gets nothing: the black baseline
# cannot credit **missing** ink, although a gap is what tells a 3 from an 8.

# %%
blank = digit[..., 0] == 0
print(f"{blank.mean():.0%} of the pixels have no ink;")
print(f"their attribution with the black baseline: {result.attributions[blank].sum():.4f}")

# %% [markdown]
# A baseline with some ink everywhere, the average training digit, lets every pixel take part:
# now the attributions explain the difference from a typical digit, and blank pixels can count.

# %%
mean_digit = x_train.mean(axis=0)
from_mean = integrated_gradients(model, digit, targets[0], baseline=mean_digit, m_steps=M_STEPS)
print(from_mean.completeness_report())
print(f"their attribution from the mean digit: {from_mean.attributions[blank].sum():.4f}")

# %%
figure = plot_attribution_grid(
    {"black baseline": result, "mean-digit baseline": from_mean}, digit, mode="signed"
)
save_figure(figure, output_dir, "10_digit_baselines")

# %% [markdown]
# ## A table: breast cancer measurements
#
# Integrated Gradients has nothing image-specific: an input is any vector of numbers. scikit-
# learn's `load_breast_cancer` has 569 tumours, each described by 30 measurements (radius,
# texture, concavity, ...) and labelled malignant (class 0) or benign (class 1).

# %%
cancer = load_breast_cancer()
features = cancer.data.astype("float32")
f_train, f_test, c_train, c_test = train_test_split(
    features, cancer.target, test_size=0.25, random_state=SEED, stratify=cancer.target
)
print(f"{len(f_train)} training and {len(f_test)} test rows of {features.shape[1]} features")
print("classes:", ", ".join(cancer.target_names))

# %% [markdown]
# The features range from 0 to over 4000, so the network standardises them first; that
# step is a `Normalization` layer inside the model, adapted to the training rows. The model
# takes raw measurements, and attributions are in the units of the table.

# %%
keras.utils.set_random_seed(SEED)
standardise = keras.layers.Normalization()
standardise.adapt(f_train)  # the feature means and variances of the training rows
tabular_network = keras.Sequential(
    [
        keras.Input(shape=(features.shape[1],)),
        standardise,  # preprocessing, inside the model
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(2),  # logits
    ],
    name="breast_cancer_mlp",
)
tabular_network.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = tabular_network.fit(f_train, c_train, epochs=3 * EPOCHS, batch_size=32, verbose=0)
_, accuracy = tabular_network.evaluate(f_test, c_test, verbose=0)
print(f"test accuracy after {3 * EPOCHS} epochs: {accuracy:.1%}")

# %% tags=["nbval-ignore-output"]
tabular_model = load_model(tabular_network)

# %%
print(tabular_model.summary())

# %% [markdown]
# **The baseline of a table.** All zeros is no longer "nothing": a tumour of radius 0 lies far
# outside the data. A common choice is the **feature means** of the training rows, an average
# tumour; the attributions then explain how this tumour's measurements moved the score away
# from the average one's. (The means are also what the `Normalization` layer subtracts, so the
# baseline is zero once standardised.)

# %%
feature_means = f_train.mean(axis=0)
malignant = 0
rows = {"first test row": f_test[0], "second test row": f_test[1]}
tabular_results = {
    title: integrated_gradients(
        tabular_model, row, malignant, baseline=feature_means, m_steps=M_STEPS
    )
    for title, row in rows.items()
}
for (title, result), label in zip(tabular_results.items(), c_test[:2], strict=True):
    print(f"{title} ({cancer.target_names[label]}): P(malignant) {result.score_at_input:.1%}")
    print(f"    {result.completeness_report()}")

# %% [markdown]
# One bar per feature, the ten largest: to the right, measurements that made "malignant" more
# probable than for the average tumour; to the left, less. The bars of each row add up to its
# `P(malignant)` minus the average tumour's.

# %%
panels = {
    f"{title}: P(malignant) {r.score_at_input:.0%}": r for title, r in tabular_results.items()
}
figure = plot_feature_attributions(panels, cancer.feature_names, top_k=10)
save_figure(figure, output_dir, "10_feature_attributions")

# %% [markdown]
# With the all-zero baseline the malignant row gets other attributions, because they answer
# another question ("why this score rather than that of a tumour of size zero?"); the three
# largest:

# %%
from_zero = integrated_gradients(tabular_model, f_test[1], malignant, m_steps=M_STEPS)
largest = np.argsort(-np.abs(from_zero.attributions))[:3]
print(from_zero.completeness_report())
for i in largest:
    print(f"  {cancer.feature_names[i]}: {from_zero.attributions[i]:+.3f}")

# %% [markdown]
# Both sets of attributions are complete and both are right: they answer different questions.
# Choose the baseline that asks yours ("compared with what?"), and say which one you used.

# %% [markdown]
# ## The whole test set in one call
#
# `integrated_gradients_many` attributes many inputs of one shape together: the path points of
# several rows share each model call, `batch_size` points a call whatever `M_STEPS` is. By
# default a call holds about 131,072 input values: 4096 points for a row of 30 features, 8 for
# a photo (`batch_size="auto"` measures the fastest instead). Each result is the one
# `integrated_gradients` gives that row alone, to float rounding. The two calls below take about
# as long: the model's compiled functions are made once per model and input rank, here already
# by the calls above (`batch_size="auto"` would measure in the first call).

# %% tags=["nbval-ignore-output"]
for call in ("first", "second"):
    start = time.perf_counter()
    test_set = integrated_gradients_many(
        tabular_model, f_test, malignant, baseline=feature_means, m_steps=M_STEPS
    )
    print(f"{call} call: {len(test_set)} test rows in {time.perf_counter() - start:.3f} s")
print(f"{M_STEPS} steps, {test_set[0].batch_size} path points a model call at most")

# %% [markdown]
# The answer indexes like a list of results, one per row (`test_set[0]` is the first row's),
# and also holds every row at once as arrays: `test_set.attributions` has one row per
# tumour, and `test_set.relative_completeness_errors` one error per row.

# %%
worst = test_set.relative_completeness_errors.max()
print(f"{test_set.attributions.shape[0]} rows of {test_set.attributions.shape[1]} attributions")
print(f"largest completeness error over the test set: {worst:.2%}")

# %% [markdown]
# Averaged over the test set, the size of each feature's attribution says which measurements
# move `P(malignant)` most across tumours, not only for one of them:

# %%
importance = np.abs(test_set.attributions).mean(axis=0)
for i in np.argsort(-importance)[:5]:
    print(f"  {cancer.feature_names[i]}: mean |IG| {importance[i]:.3f}")

# %% [markdown]
# ## Recap
#
# In this notebook you
#
# - trained a digit classifier and a tabular classifier with Keras 3 in seconds, seeded so that
#   they train the same every time;
# - met the package's model contract: inputs in `[0, 1]` (or raw features) to logits, with the
#   preprocessing inside the model and logits at the end (or a final Keras softmax, which
#   `load_model` reads);
# - loaded them with `load_model`, which reads the input shape and the last activation from the
#   model and refuses other models' probabilities posing as logits (`classifier_activation=None`,
#   or `model_outputs="probabilities"`);
# - attributed digits with the black baseline, an empty page that cannot credit missing ink,
#   and with the mean digit, which can;
# - attributed a table row feature by feature against the feature means, read the bar chart, and
#   checked completeness as for photos;
# - attributed the whole test set in one vectorised call (`integrated_gradients_many`) and read
#   which features matter most across it.

# %% [markdown]
# Next: [11. Sanity checks for attributions](11_sanity_checks.ipynb).
