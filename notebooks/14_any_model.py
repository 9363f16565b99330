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
# # 14. Any model: output heads, sequences and several inputs
#
# [![Open In Colab][badge]][colab]
#
# Integrated Gradients (Sundararajan et al., 2017) needs the gradient of one number, the score
# `F` of a target. So far that number was a class probability, the softmax of a model's logits.
# Models come in other shapes: a binary classifier ends in one sigmoid unit, a regression
# returns a value that is no probability at all, a sequence model reads a signal step by step,
# and a model may take an image and a table at once. This notebook trains four small Keras
# models offline, in seconds, explains each with the same `integrated_gradients`, and holds
# every explanation against what the data says should matter.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/14_any_model.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 25 minutes.*
#
# After this notebook you can:
#
# - Name a model's output head (softmax, sigmoid or linear) and say what `output="probability"`
#   and `output="logit"` attribute for each.
# - Attribute a binary classifier's probability of either class, and say why one class's
#   attributions are minus the other's.
# - Attribute a regression's prediction in the units of its target, and say why it has no
#   probability to attribute.
# - Attribute a sequence model over its time steps and channels, and find when the score was made.
# - Attribute a model of several named inputs, hold one of them fixed, and check completeness
#   over all of them together.
# - Recognise a saturated probability, and attribute the logit instead.

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
# `M_STEPS` and `OUTPUT_DIR` as in every notebook. `EPOCHS` and `SEED` as in
# [notebook 10](10_your_own_model.ipynb): training passes, and the seed of the data splits, the
# generated data, the weights and the training order. The data ship with scikit-learn or are
# generated here, so the defaults work offline.

# %% tags=["parameters"]
M_STEPS = 240  # @param {type:"slider", min:16, max:512, step:16}
OUTPUT_DIR = "outputs"
EPOCHS = 10
SEED = 0

# %% tags=["nbval-ignore-output"]
import warnings

import keras
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import lars_path
from sklearn.model_selection import train_test_split

from ig_tutorial import (
    check_held_fixed,
    check_window_share,
    integrated_gradients,
    integrated_gradients_many,
    load_model,
    plot_attribution_grid,
    plot_feature_attributions,
    plot_sequence_attributions,
    save_figure,
    setup_notebook,
)

output_dir = setup_notebook(OUTPUT_DIR, seed=SEED)

# %% [markdown]
# ## Output heads: what the attributed score is
#
# A model's last layer, its *head*, says what its outputs `z` mean, and so what
# `integrated_gradients` can attribute:
#
# | head | last layer | `output="probability"` attributes | `output="logit"` attributes |
# |---|---|---|---|
# | softmax | `Dense(k)` (logits) or `Dense(k, activation="softmax")` | the target's softmax probability | the target's logit `z[t]` |
# | sigmoid | `Dense(1, activation="sigmoid")`: a binary classifier | class 1: `sigmoid(z)`; class 0: `1 - sigmoid(z)` | class 1: `z`; class 0: `-z` (the log-odds) |
# | sigmoid | `Dense(k, activation="sigmoid")`: labels that may be present together | `sigmoid(z[t])` | `z[t]` |
# | linear | `Dense(1)`: a regression | refused: there is no probability | the predicted value |
#
# A Keras model's last activation tells the package its head, so such a model is attributed as
# it is. A model that ends in its own softmax or sigmoid returns probabilities `p`; the package
# attributes them through the logits it recovers from them (`log p`), so no softmax is applied
# twice. A model that cannot say (a function, a SavedModel, a binary classifier that returns
# its one logit) is declared with `load_model(model, head="sigmoid")`, and a model of several
# outputs is attributed through one of them, `load_model(model, model_output="name")`.

# %% [markdown]
# ## 1. A binary classifier: one sigmoid unit
#
# The breast cancer table of notebook 10: 569 tumours, 30 measurements of their cell nuclei
# each, labelled malignant (class 0) or benign (class 1).

# %%
cancer = load_breast_cancer()
features = cancer.data.astype("float32")
f_train, f_test, c_train, c_test = train_test_split(
    features, cancer.target, test_size=0.25, random_state=SEED, stratify=cancer.target
)
print(f"{len(f_train)} training and {len(f_test)} test tumours of {features.shape[1]} features")
print("classes:", ", ".join(f"{i} {name}" for i, name in enumerate(cancer.target_names)))

# %% [markdown]
# A binary classifier needs one output, not two: `P(benign)`, from a sigmoid; `P(malignant)` is
# what is left, `1 - P(benign)`. Standardising the measurements is the first layer, as in
# notebook 10, so the model takes raw measurements.

# %%
keras.utils.set_random_seed(SEED)
standardise = keras.layers.Normalization()
standardise.adapt(f_train)  # the feature means and variances of the training rows
binary_network = keras.Sequential(
    [
        keras.Input(shape=(features.shape[1],)),
        standardise,  # preprocessing, inside the model
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),  # P(benign): one unit, a sigmoid
    ],
    name="breast_cancer_sigmoid",
)
binary_network.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
binary_network.fit(f_train, c_train, epochs=3 * EPOCHS, batch_size=32, verbose=0)
_, accuracy = binary_network.evaluate(f_test, c_test, verbose=0)
print(f"test accuracy after {3 * EPOCHS} epochs: {accuracy:.1%}")

# %% [markdown]
# `load_model` takes the model as it is: it reads the sigmoid at the end, and counts two
# classes for the one unit.

# %% tags=["nbval-ignore-output"]
binary_model = load_model(binary_network)

# %%
print(binary_model.summary())

# %% [markdown]
# The probability of either class of the first test tumour, against the average tumour (the
# training means) as in notebook 10:

# %%
feature_means = f_train.mean(axis=0)
tumour = f_test[0]
by_class = {
    name: integrated_gradients(binary_model, tumour, index, baseline=feature_means, m_steps=M_STEPS)
    for index, name in enumerate(cancer.target_names)
}
for name, result in by_class.items():
    print(f"P({name}): {result.completeness_report()}")
opposite = np.allclose(by_class["malignant"].attributions, -by_class["benign"].attributions)
print(f"malignant's attributions are minus benign's: {opposite}")

# %% [markdown]
# The two probabilities add up to 1 at every point of the path, so whatever raises one lowers
# the other by as much: the two charts are mirror images. With `output="logit"` the two classes
# get `z` and `-z`, the log-odds, and again opposite attributions.

# %%
panels = {f"P({name}) {r.score_at_input:.0%}": r for name, r in by_class.items()}
figure = plot_feature_attributions(panels, cancer.feature_names, top_k=10)
save_figure(figure, output_dir, "14_binary")

# %% [markdown]
# **Does the model lean on the measurements as the data does?** In the training rows, each
# measurement correlates with the label: large, irregular nuclei go with malignant tumours, a
# negative correlation with benign. So for a tumour above the average in such a measurement,
# its attribution to `P(benign)` should be negative, and below the average positive: its sign
# should be the sign of `(x - mean) * correlation`. Attribute every test tumour in one call and
# count, for the five measurements the model leans on most.

# %%
test_set = integrated_gradients_many(
    binary_model, f_test, 1, baseline=feature_means, m_steps=M_STEPS
)
correlation = np.array([np.corrcoef(column, c_train)[0, 1] for column in f_train.T])
as_the_data_says = np.sign(test_set.attributions) == np.sign((f_test - feature_means) * correlation)
importance = np.abs(test_set.attributions).mean(axis=0)
for i in np.argsort(-importance)[:5]:
    print(
        f"{cancer.feature_names[i]:>17s}: mean |IG| {importance[i]:.3f}, correlation with benign "
        f"{correlation[i]:+.2f}, sign as the data says for {as_the_data_says[:, i].mean():.0%}"
    )

# %% [markdown]
# Each of them pushes `P(benign)` the way the data does, for all or nearly all test tumours.
# They are not the five measurements most correlated with the label one at a time, though:
# radius, perimeter and area are nearly copies of one another (the size of a nucleus), and
# which of such twins a network leans on is its own choice. IG reports the model's choice, not
# the data's.

# %% [markdown]
# ## 2. A regression: a value, not a probability
#
# scikit-learn's diabetes data: ten measurements of 442 patients (age, sex, body mass index,
# blood pressure and six blood serum values, `s1` to `s6`) and a measure of how far their
# disease progressed a year later. `scaled=False` gives the measurements in their own units.

# %%
diabetes = load_diabetes(scaled=False)
measurements = diabetes.data.astype("float32")
progression = diabetes.target.astype("float32")
d_train, d_test, p_train, p_test = train_test_split(
    measurements, progression, test_size=0.25, random_state=SEED
)
print(
    f"{len(d_train)} training and {len(d_test)} test patients:", ", ".join(diabetes.feature_names)
)
print(f"progression from {p_train.min():.0f} to {p_train.max():.0f}, mean {p_train.mean():.1f}")

# %% [markdown]
# The network ends in one `Dense` unit without activation: a value. It learns in standard
# units, and its last layer turns them into the target's units, so its prediction, and the
# attributions, are in units of disease progression. Weight decay (`L2`) keeps the small
# network from fitting noise in 331 patients.

# %%
keras.utils.set_random_seed(SEED)
standardise = keras.layers.Normalization()
standardise.adapt(d_train)
decay = keras.regularizers.L2(1e-3)
value_network = keras.Sequential(
    [
        keras.Input(shape=(measurements.shape[1],)),
        standardise,
        keras.layers.Dense(32, activation="relu", kernel_regularizer=decay),
        keras.layers.Dense(1, kernel_regularizer=decay),  # one value: no activation
        keras.layers.Rescaling(float(p_train.std()), offset=float(p_train.mean())),  # to units
    ],
    name="diabetes_regression",
)
value_network.compile(optimizer="adam", loss="mse", metrics=["mae"])
value_network.fit(d_train, p_train, epochs=3 * EPOCHS, batch_size=32, verbose=0)
_, error = value_network.evaluate(d_test, p_test, verbose=0)
print(f"mean absolute error {error:.1f}, against a spread of {p_test.std():.1f} among the patients")

# %% tags=["nbval-ignore-output"]
value_model = load_model(value_network)

# %%
print(value_model.summary())

# %% [markdown]
# One output without activation: a linear head (the summary calls the raw output a logit, the
# package's name for `z`). The default, `output="probability"`, would take a softmax over one
# output, which is 1 whatever the patient: every attribution would be exactly zero. So it is
# refused, and the message says what to do:

# %%
patient, average_patient = d_test[0], d_train.mean(axis=0)
try:
    integrated_gradients(value_model, patient, 0, baseline=average_patient)
except ValueError as refusal:
    print(refusal)

# %% [markdown]
# `output="logit"` attributes the predicted value itself. Against the average patient, the
# attributions add up to how far this patient's prediction is from the average patient's, in
# the target's units.

# %%
value_result = integrated_gradients(
    value_model, patient, 0, baseline=average_patient, output="logit", m_steps=M_STEPS
)
print(f"predicted progression {value_result.score_at_input:.1f}, ", end="")
print(f"the average patient's {value_result.score_at_baseline:.1f}")
print(value_result.completeness_report())

# %%
title = f"predicted {value_result.score_at_input:.0f}, average {value_result.score_at_baseline:.0f}"
figure = plot_feature_attributions({title: value_result}, diabetes.feature_names)
save_figure(figure, output_dir, "14_regression")

# %% [markdown]
# **Against the data.** Body mass index (`bmi`) and `s5` (the log of the triglycerides) are the
# two measurements most correlated with progression. Least angle regression (Efron et al.,
# 2004, the paper this data set comes from) builds a linear model by adding the measurements one
# at a time, each time the one most correlated with what is still unexplained; its order is a
# second yardstick, for measurements that matter only together with others. Over all test
# patients, the model should lean most on the measurements both put first:

# %%
test_values = integrated_gradients_many(
    value_model, d_test, 0, baseline=average_patient, output="logit", m_steps=M_STEPS
)
importance = np.abs(test_values.attributions).mean(axis=0)
correlation = np.array([np.corrcoef(column, p_train)[0, 1] for column in d_train.T])
standard_units = (d_train - d_train.mean(axis=0)) / d_train.std(axis=0)
_, lars_order, _ = lars_path(standard_units, p_train, method="lar")
for i in np.argsort(-importance)[:4]:
    print(
        f"{diabetes.feature_names[i]:>3s}: mean |IG| {importance[i]:4.1f} units, correlation "
        f"{correlation[i]:+.2f}, added {list(lars_order).index(i) + 1} of 10 by least angle regression"
    )

# %% [markdown]
# `s5`, `bmi` and `bp` lead by both yardsticks. `sex` hardly correlates with progression on its
# own, yet least angle regression adds it halfway: it matters once the other measurements are
# known, and the network uses it so too.

# %% [markdown]
# ## 3. A sequence: attributions over time
#
# An input may have any shape the model takes: a sequence is `(time steps, channels)`. Here
# the truth is known because the data are made up: 600 series of 40 steps in 2 channels, all
# noise, except that half of them, class 1, have a bump in channel 0 during steps 15 to 20.

# %%
rng = np.random.default_rng(SEED)
signals = rng.normal(0.0, 0.3, size=(600, 40, 2)).astype("float32")
kinds = rng.integers(0, 2, size=600)  # class 1: a bump ...
window = slice(15, 21)  # ... in steps 15 to 20 ...
signals[kinds == 1, window, 0] += 1.0  # ... of channel 0
s_train, s_test, k_train, k_test = train_test_split(
    signals, kinds, test_size=0.25, random_state=SEED, stratify=kinds
)
print(f"{len(s_train)} training and {len(s_test)} test series of shape {s_train.shape[1:]}")

# %% [markdown]
# A one-dimensional convolutional network: eight detectors slide along the time axis, each
# keeps its strongest response wherever it is, and a `Dense` layer turns them into two logits.
# `integrated_gradients` takes the Keras model as it is; `load_model` would add the summary.

# %%
keras.utils.set_random_seed(SEED)
sequence_network = keras.Sequential(
    [
        keras.Input(shape=signals.shape[1:]),
        keras.layers.Conv1D(8, 5, padding="same", activation="relu"),  # 8 detectors, 5 steps wide
        keras.layers.GlobalMaxPooling1D(),  # each detector's strongest response
        keras.layers.Dense(2),  # logits: no bump, bump
    ],
    name="bump_detector",
)
sequence_network.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
sequence_network.fit(s_train, k_train, epochs=2 * EPOCHS, batch_size=32, verbose=0)
_, accuracy = sequence_network.evaluate(s_test, k_test, verbose=0)
print(f"test accuracy after {2 * EPOCHS} epochs: {accuracy:.1%}")

# %% [markdown]
# The first test series with a bump, against a flat signal (zeros, the noise's mean), with
# `m_steps="auto"` choosing the steps (notebook 8). The attributions have the series' shape:
# one number per step and channel.

# %%
series = s_test[np.flatnonzero(k_test == 1)[0]]
sequence_result = integrated_gradients(sequence_network, series, 1, m_steps="auto")
print(f"attributions of shape {sequence_result.attributions.shape}")
print(sequence_result.completeness_report())

# %%
title = f"a series with a bump: P(bump) {sequence_result.score_at_input:.1%}"
figure = plot_sequence_attributions(series, sequence_result, window=window, title=title)
save_figure(figure, output_dir, "14_sequence")

# %% [markdown]
# The shaded window is where the bump is. The attributions of channel 0 stand out there; the
# rest is smaller, scattered over the noise of both channels.

# %% [markdown]
# ### Exercise 14.1: when was the score made?
#
# What share of the series' total `|IG|` lies in the window, steps 15 to 20 of channel 0?
# Store it in `window_share`, a number between 0 and 1.

# %% nbgrader={"grade": false, "grade_id": "ex14_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: np.abs(sequence_result.attributions), index [window, 0], divide by the sum over all.
window_share = None
### BEGIN SOLUTION
absolute = np.abs(sequence_result.attributions)
window_share = absolute[window, 0].sum() / absolute.sum()
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex14_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_window_share(window_share, sequence_result, window)

# %% [markdown]
# **Against the truth, over every test series with a bump.** `integrated_gradients_many` takes
# a batch of sequences `(n, time, channels)` like a batch of images, `m_steps="auto"` included.

# %%
bumps = s_test[k_test == 1]
bump_results = integrated_gradients_many(sequence_network, bumps, 1, m_steps="auto")
magnitudes = np.abs(bump_results.attributions)
shares = magnitudes[:, window, 0].sum(axis=1) / magnitudes.sum(axis=(1, 2))
print(
    f"{len(bumps)} series: the window, 6 of 80 values, holds {shares.mean():.0%} of |IG| on ",
    end="",
)
print(f"average, more than half in {np.mean(shares > 0.5):.0%} of the series")
print(f"largest completeness error: {bump_results.relative_completeness_errors.max():.2%}")

# %% [markdown]
# ## 4. Several inputs: an image, a table and a category
#
# A model may take several inputs: here the 8 x 8 digits of notebook 10, each with three
# settings of the scanner that read it (made-up numbers, noise) and the scanner's number, one
# of four (an integer). By construction, only the image says which digit it is.

# %%
digits = load_digits()
rng = np.random.default_rng(SEED)
inputs = {
    "image": (digits.images / 16.0).astype("float32")[..., np.newaxis],  # (8, 8, 1) in [0, 1]
    "scan": rng.normal(size=(len(digits.target), 3)).astype("float32"),  # three settings
    "scanner": rng.integers(0, 4, size=(len(digits.target), 1)).astype("int32"),  # an id
}
train_rows, test_rows = train_test_split(
    np.arange(len(digits.target)), test_size=0.25, random_state=SEED, stratify=digits.target
)
train = {name: values[train_rows] for name, values in inputs.items()}
test = {name: values[test_rows] for name, values in inputs.items()}
labels = digits.target[test_rows]
print({name: values.shape[1:] for name, values in test.items()})

# %% [markdown]
# Keras's functional API joins the three: a convolution reads the image, an `Embedding` turns
# the scanner's number into two learnt numbers, and dense layers read them all together.

# %%
keras.utils.set_random_seed(SEED)
image = keras.Input(shape=(8, 8, 1), name="image")
scan = keras.Input(shape=(3,), name="scan")
scanner = keras.Input(shape=(1,), dtype="int32", name="scanner")
seen = keras.layers.Flatten()(keras.layers.Conv2D(16, 3, padding="same", activation="relu")(image))
scanner_vector = keras.layers.Flatten()(keras.layers.Embedding(4, 2)(scanner))
joined = keras.layers.Concatenate()([seen, scan, scanner_vector])
hidden = keras.layers.Dense(32, activation="relu")(joined)
several_network = keras.Model(
    {"image": image, "scan": scan, "scanner": scanner}, keras.layers.Dense(10)(hidden)
)
several_network.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
several_network.fit(train, digits.target[train_rows], epochs=EPOCHS, batch_size=32, verbose=0)
_, accuracy = several_network.evaluate(test, labels, verbose=0)
print(f"test accuracy after {EPOCHS} epochs: {accuracy:.1%}")

# %% [markdown]
# `integrated_gradients` takes the inputs of one example as the model does, here a dict, and
# gives the attributions back in the same structure. One straight line runs from the baselines
# of all inputs to the inputs, so completeness holds over all of them together. The default
# baseline is zeros for each: a black image, and the settings' mean. The scanner's number is an
# integer: there is no path between scanner 1 and scanner 3, so it is held at its value and
# gets no attribution.

# %%
example = {name: values[0] for name, values in test.items()}
label = int(labels[0])
several_result = integrated_gradients(several_network, example, label, m_steps=M_STEPS)
for name, values in several_result.attributions.items():
    print(f"{name:>7s}: attributions of shape {values.shape}, |IG| {np.abs(values).sum():.4f}")
print(several_result.completeness_report())

# %% [markdown]
# The image's attributions, drawn as in notebook 10: red pixels raised the probability of the
# digit's class from the black page's, blue ones lowered it.

# %%
panels = {f"image attributions, class {label}": several_result.attributions["image"]}
figure = plot_attribution_grid(panels, example["image"], mode="signed")
save_figure(figure, output_dir, "14_several_inputs")

# %% [markdown]
# A tuple or list works as a dict does, `integrated_gradients(model, [image, table], target)`,
# and so does a baseline per input, `baseline=(grey_image, None)` (`None`: zeros).

# %% [markdown]
# ### Exercise 14.2: hold an input fixed
#
# Attribute `example` again with the scanner settings held fixed: an input whose baseline is
# the input itself has `x - x' = 0` on the whole path. Pass a dict baseline, one entry per
# input: `example["scan"]` for `"scan"`, `None` for the others. Store the result in
# `held_fixed`.

# %% nbgrader={"grade": false, "grade_id": "ex14_2", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: baseline={"image": None, "scan": ..., "scanner": None}, the same target and m_steps.
held_fixed = None
### BEGIN SOLUTION
held_fixed = integrated_gradients(
    several_network,
    example,
    label,
    baseline={"image": None, "scan": example["scan"], "scanner": None},
    m_steps=M_STEPS,
)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex14_2_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_held_fixed(held_fixed, example, "scan")

# %% [markdown]
# Held fixed, the settings take no credit, and the question changes: "given these settings,
# what did the image do?" The image's attributions then add up alone to the change of the
# score.
#
# **Against the truth, over all test digits.** The share of `|IG|` each input gets, with
# `m_steps="auto"` holding every digit's completeness error within 1%:

# %%
test_results = integrated_gradients_many(several_network, test, labels.tolist(), m_steps="auto")
magnitude = {name: np.abs(values).sum() for name, values in test_results.attributions.items()}
for name, value in magnitude.items():
    print(f"{name:>7s}: {value / sum(magnitude.values()):.1%} of |IG|")
print(f"largest completeness error: {test_results.relative_completeness_errors.max():.2%}")

# %% [markdown]
# The image, the only input that says which digit it is, gets nearly all of it.

# %% [markdown]
# ## 5. A saturated probability
#
# Compare the test tumour the binary classifier finds most malignant with the training tumour
# it finds most malignant. Both have `P(malignant)` so close to 1 that float32 cannot tell them
# apart: the difference, and so every attribution, is lost in rounding. The package says so:

# %%
most_malignant_test = f_test[np.argmin(binary_network(f_test)[:, 0])]  # lowest P(benign)
most_malignant_train = f_train[np.argmin(binary_network(f_train)[:, 0])]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    saturated = integrated_gradients(
        binary_model, most_malignant_test, 0, baseline=most_malignant_train, m_steps=M_STEPS
    )
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
print(saturated.completeness_report())

# %% [markdown]
# The report's relative error is large because it is relative to almost nothing, a difference
# below a millionth. The logit has no ceiling: it still tells the two tumours apart, and its
# attributions add up to the difference of their log-odds.

# %%
in_logits = integrated_gradients(
    binary_model,
    most_malignant_test,
    0,
    baseline=most_malignant_train,
    output="logit",
    m_steps=M_STEPS,
)
print(in_logits.completeness_report())

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - met the three output heads, softmax, sigmoid and linear, and what `output="probability"`
#   and `output="logit"` attribute for each; a Keras model's last activation names its head;
# - attributed a sigmoid classifier's probability of either class, mirror images of each
#   other, and checked that its attributions push the way the data's correlations do;
# - saw a regression's probability refused, and attributed its prediction in the target's
#   units, leaning most on `bmi` and `s5`;
# - attributed a sequence model step by step and channel by channel, and found most of `|IG|`
#   where the signal was;
# - attributed a model of an image, a table and an integer category: attributions per input,
#   completeness over all together, an integer held fixed, and a float input held fixed by its
#   baseline;
# - met a saturated probability, which warns, and attributed its logit instead.

# %% [markdown]
# This is the last notebook. Back to [10. Your own Keras model](10_your_own_model.ipynb) for the
# model contract, or to [12. Text](12_text.ipynb) for inputs of token ids, attributed at their
# embedding; the package's API reference (`docs/api.md`) has the rest.
