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
# # 12. Text: explaining a sentiment classifier
#
# [![Open In Colab][badge]][colab]
#
# Integrated Gradients (Sundararajan et al., 2017) applies to "any differentiable model", and
# the paper's own examples include text. Text brings one new step: a sentence is a list of
# integer token ids, and there is no straight line between two integers that a model can be
# differentiated along. The line runs between two **embeddings** instead, the vectors the
# model's first layer looks the ids up in, and each token's attribution is the sum over its
# embedding's dimensions. This notebook trains a small Keras sentiment classifier offline,
# explains its predictions word by word, and holds the explanations against words whose
# sentiment people have rated.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/12_text.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 25 minutes.*
#
# After this notebook you can:
#
# - Explain why Integrated Gradients on text attributes to a layer (the embedding), not to the
#   token ids, and attribute any named layer of a Keras model with `layer_integrated_gradients`.
# - Turn embedding attributions into one number per token, and check their completeness.
# - Choose between the padding-token and the all-zero embedding baselines, and say why padding
#   gets no attribution with either.
# - Draw a sentence coloured by its attributions, and measure how well they agree with words'
#   known sentiment (a rank correlation).
# - Say what IG on text cannot tell: how words interact, as in "not good".

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
# [notebook 10](10_your_own_model.ipynb): training passes, and the seed of the sentences, the
# weights and the training order. The data ship with a Python package, so the defaults work
# offline.

# %% tags=["parameters"]
M_STEPS = 240  # @param {type:"slider", min:16, max:512, step:16}
OUTPUT_DIR = "outputs"
EPOCHS = 10
SEED = 0

# %% tags=["nbval-ignore-output"]
import keras
import numpy as np
from IPython.display import HTML, display

from ig_tutorial import (
    check_strongest_token,
    check_token_sums,
    layer_integrated_gradients,
    make_sentiment_corpus,
    plot_attribution_grid,
    plot_token_attributions,
    save_figure,
    setup_notebook,
    token_attributions,
    token_attributions_html,
    token_attributions_many,
    token_valences,
    valence_rank_correlation,
)

output_dir = setup_notebook(OUTPUT_DIR, seed=SEED)

# %% [markdown]
# ## Sentences whose words have known sentiment
#
# The VADER lexicon (Hutto & Gilbert, 2014) rates about 7,500 English words from -4 (most
# negative) to +4 (most positive), each the mean of ten people's ratings; it ships inside the
# `vaderSentiment` package, so nothing is downloaded. `make_sentiment_corpus` puts a list of
# its adjectives ("amazing", "dull") into short templates of film reviews, some with two
# sentiment words, some with "not", and labels each sentence by the sign of its words' valence
# (negation flips it). Made-up sentences are less varied than real reviews, but every word's
# sentiment is known: a ground truth to hold the explanations against.

# %%
corpus = make_sentiment_corpus(seed=SEED)
train, test = corpus.split(test_fraction=0.25)
print(f"{len(train.sentences)} training and {len(test.sentences)} test sentences")
print(f"{len(corpus.word_valences)} sentiment words, e.g.", end=" ")
print(", ".join(f"{w} {corpus.word_valences[w]:+.1f}" for w in ("superb", "good", "dull")))
for sentence, label in zip(test.sentences[:4], test.labels[:4], strict=True):
    print(f"  {['negative', 'positive'][label]:8s} {sentence}")

# %% [markdown]
# Keras's `TextVectorization` turns a sentence into token ids, padded with id 0 to a fixed
# length; its vocabulary is learnt from the training sentences (id 1 stands for unknown words).

# %%
vectorize = keras.layers.TextVectorization(output_sequence_length=12)
vectorize.adapt(train.sentences)
vocabulary = vectorize.get_vocabulary()
x_train, x_test = vectorize(train.sentences).numpy(), vectorize(test.sentences).numpy()
print(f"{len(vocabulary)} tokens; ids of the first test sentence: {x_test[0].tolist()}")

# %% [markdown]
# ## A small sentiment classifier
#
# An `Embedding` layer maps each id to a vector of 16 numbers; the classifier averages the
# vectors of the sentence and scores the average with a small dense network. Its last layer has
# no activation: two logits, negative and positive, as the package expects. Training takes a
# few seconds.

# %%
keras.utils.set_random_seed(SEED)
network = keras.Sequential(
    [
        keras.Input(shape=(x_train.shape[1],), dtype="int64"),
        keras.layers.Embedding(len(vocabulary), 16, name="embedding"),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(2),  # logits: no softmax
    ],
    name="sentiment",
)
network.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = network.fit(x_train, train.labels, epochs=EPOCHS, batch_size=32, verbose=0)
predicted = network.predict(x_test, verbose=0).argmax(axis=1)
correct = predicted == test.labels
print(f"test accuracy after {EPOCHS} epochs: {correct.mean():.1%}")
print(f"  with 'not': {correct[test.negated].mean():.1%}")
print(f"  without: {correct[~test.negated].mean():.1%}")

# %% [markdown]
# Compare the two accuracies. Averaging the words' vectors loses their order, so this
# classifier cannot tell "not good" from "good ... not": a sentence with "not" is beyond it,
# whatever it learnt about each word. Keep that in mind; the explanations will show it.

# %% [markdown]
# ## Integrated Gradients at the embedding layer
#
# The ids are integers, so IG walks between two points of the embedding's space: from a
# baseline sentence's vectors `h(x')` to the sentence's `h(x)`. The model from the embedding
# on, `G`, scores every point of that line, and the attribution of embedding value `j` is
#
# $$\mathrm{IG}_j = (h_j(x) - h_j(x')) \int_0^1 \frac{\partial G(h(x') + \alpha (h(x) -
# h(x')))}{\partial h_j}\, d\alpha .$$
#
# `layer_integrated_gradients` does this for any named layer of a Keras model: it cuts the model
# at the layer and runs the same `integrated_gradients` as for photos on the rest, so fixed
# steps, `m_steps="auto"`, batches and the completeness check are unchanged. The baseline here
# is an input: all padding (id 0), the empty sentence. The target is the positive class, and
# the points are small, so 128 go into one model call.

# %%
positive = 1
sentence_ids = x_test[0]
result = layer_integrated_gradients(
    network, sentence_ids, positive, layer="embedding", m_steps=M_STEPS, batch_size=128
)
print(f"'{test.sentences[0]}': attributions of shape {result.attributions.shape}")
print(result.completeness_report())

# %% [markdown]
# One attribution per position and embedding dimension (12 positions, 16 dimensions), and
# they add up to the change of the positive probability from the empty sentence to this one.

# %% [markdown]
# ### Exercise 12.1: one number per token
#
# Sum `result.attributions` over the embedding axis, so that each of the 12 positions gets one
# number; store it in `token_sums`.

# %% nbgrader={"grade": false, "grade_id": "ex12_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: the embedding axis is the last one: result.attributions.sum(axis=...).
token_sums = None
### BEGIN SOLUTION
token_sums = result.attributions.sum(axis=-1)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex12_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_token_sums(token_sums, result)

# %% [markdown]
# `token_attributions` does exactly that sum for a sentence of ids. The positions after the
# sentence are padding: equal to the baseline, they get exactly zero.

# %%
attributed = token_attributions(network, sentence_ids, positive, m_steps=M_STEPS, batch_size=128)
for token, value in zip(attributed.tokens(vocabulary), attributed.token_values, strict=True):
    print(f"{token:>12s} {value:+.4f}")
print(f"padding positions: {attributed.values[~attributed.is_token].tolist()}")

# %% [markdown]
# ## Explaining several sentences
#
# A sentence the classifier gets right, the first one it gets wrong, and two with "not". For
# each, the completeness check and the words coloured by their attribution to "positive":
# green raised its probability, red lowered it, on one symmetric scale for all rows.

# %%
wrong = int(np.flatnonzero(~correct)[0])
chosen = {
    "correct": test.sentences[1],
    "wrong": test.sentences[wrong],
    "negation": "the movie was not good",
    "double negative": "the movie was not bad",
}
explained = {}
for kind, sentence in chosen.items():
    ids = vectorize([sentence]).numpy()[0]
    probability = float(keras.ops.softmax(network(ids[None]))[0, positive])
    explained[f"{kind}: P(positive) = {probability:.0%}"] = token_attributions(
        network, ids, positive, m_steps=M_STEPS, batch_size=128
    )
for title, attributed in explained.items():
    print(f"{title} | {attributed.completeness_report()}")

# %%
rows = {
    title: (attributed.tokens(vocabulary), attributed.token_values)
    for title, attributed in explained.items()
}
figure = plot_token_attributions(rows)
save_figure(figure, output_dir, "12_sentences")

# %% [markdown]
# The same, as HTML in the notebook (hover over a word for its value):

# %%
display(HTML(token_attributions_html(rows)))

# %% [markdown]
# The words that carry the sentiment stand out; the template's words ("the", "movie") get
# little. And "not"?

# %%
negations = {title: a for title, a in explained.items() if "not" in a.tokens(vocabulary)}
for title, attributed in negations.items():
    value = attributed.token_values[attributed.tokens(vocabulary).index("not")]
    print(f"{title}: 'not' {value:+.4f}")
wrong_attributed = list(explained.values())[1]

# %% [markdown]
# "not" has a negative attribution wherever it appears, whatever word it negates: to this
# classifier it is one more negative word. So "not bad" is explained, and scored, as a
# negative sentence. IG reports the model faithfully; it is the model that is wrong.

# %% [markdown]
# ### Exercise 12.2: the strongest word
#
# In the "wrong" sentence, which token pushed the probability of "positive" **down** the most?
# Store the token (a string) in `strongest_negative`.

# %% nbgrader={"grade": false, "grade_id": "ex12_2", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: .token_values and .tokens(vocabulary) line up, one value per word: which is lowest?
strongest_negative = None
### BEGIN SOLUTION
tokens = wrong_attributed.tokens(vocabulary)
strongest_negative = tokens[int(np.argmin(wrong_attributed.token_values))]
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex12_2_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_strongest_token(strongest_negative, wrong_attributed, vocabulary)

# %% [markdown]
# ## Two baselines: the padding token and the zero embedding
#
# The baseline is "a sentence without words". Two choices:
#
# - **padding** (the default): the padding token's vector at every position, the embedding of
#   the empty sentence. The model has seen it at the end of every short sentence, so `F(x')` is
#   the model's opinion of "nothing".
# - **zero**: the all-zero vector at the sentence's tokens, the choice of the IG paper's text
#   experiments. The model has never seen it; its score is whatever the network makes of it.
#
# At padding positions both keep the sentence's own padding vector, so padding carries no
# attribution with either. The attributions differ by how far each baseline is from the words:

# %%
baselines = {}
for name in ("padding", "zero"):
    baselines[name] = token_attributions(
        network, x_test[1], positive, baseline=name, m_steps=M_STEPS, batch_size=128
    )
    print(f"{name:>8s}: {baselines[name].completeness_report()}")

# %%
figure = plot_token_attributions(
    {
        f"{name} baseline: F(x') = {attributed.result.score_at_baseline:.2f}": (
            attributed.tokens(vocabulary),
            attributed.token_values,
        )
        for name, attributed in baselines.items()
    }
)
save_figure(figure, output_dir, "12_baselines")

# %% [markdown]
# ## Do the attributions agree with people's ratings?
#
# Every word of the test sentences has a known valence: its lexicon rating, or 0 for the
# template's words. If the explanations are right, ranking all tokens by attribution should
# rank them as the ratings do. The Spearman rank correlation measures that (1: the same order,
# 0: no relation), here over the first 100 test sentences without "not" (their valence is the
# words'), for both baselines.

# %%
sample = np.flatnonzero(~test.negated)[:100]
agreement = {}
for name in ("padding", "zero"):
    # All 100 sentences in one vectorised call: their path points share the model calls.
    explained_sample = token_attributions_many(
        network, x_test[sample], positive, baseline=name, m_steps=M_STEPS, batch_size=4096
    )
    attributions = [attributed.token_values for attributed in explained_sample]
    valences = [
        token_valences(attributed.tokens(vocabulary), corpus.word_valences)
        for attributed in explained_sample
    ]
    agreement[name] = valence_rank_correlation(attributions, valences)
    print(f"{name:>8s} baseline: rank correlation with valence {agreement[name]:.3f}")

# %% [markdown]
# A correlation of 1 would mean the tokens are ranked exactly as people rate them: positive
# words first, neutral words in the middle, negative words last. Two things keep it below 1
# even for a good classifier. The template's words are all rated 0, a tie, but take small
# attributions of either sign. And the labels only say positive or negative: that "superb"
# is rated higher than "good" (printed above) reaches the classifier only through the
# sentences with two sentiment words. The measured numbers are also in `docs/benchmarks.md`.

# %% [markdown]
# ## Beyond the embedding: a hidden layer of an image model
#
# `layer_integrated_gradients` attributes any layer. The digits CNN of
# [notebook 10](10_your_own_model.ipynb), trained the same way here (on all digits but the
# first 100), ends its convolutions with a pooling layer whose output is a coarse `4 x 4` map
# of 32 channels. Attributing that layer says through which *regions of features* the decision
# went; completeness holds there as for the pixels. The figure sums each cell's 32 channels.

# %%
from sklearn.datasets import load_digits

digits = load_digits()
digit = (digits.images[0] / 16.0).astype("float32")[..., np.newaxis]
keras.utils.set_random_seed(SEED)
digits_cnn = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(name="pool"),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
    ],
    name="digits_cnn",
)
digits_cnn.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
)
images = (digits.images / 16.0).astype("float32")[..., np.newaxis]
history = digits_cnn.fit(images[100:], digits.target[100:], epochs=EPOCHS, verbose=0)
pooled = layer_integrated_gradients(
    digits_cnn, digit, int(digits.target[0]), layer="pool", m_steps=M_STEPS, batch_size=128
)
print(f"layer 'pool': attributions of shape {pooled.attributions.shape}")
print(pooled.completeness_report())

# %%
figure = plot_attribution_grid({"pooling layer, 4 x 4": pooled}, digit, mode="signed")
save_figure(figure, output_dir, "12_digit_layer")

# %% [markdown]
# ## What IG on text can and cannot tell
#
# - **It can tell** which tokens moved this model's score from the baseline's, by how much,
#   and that the numbers add up (completeness); with a ground truth, how well they rank words.
# - **It cannot tell how words interact.** IG gives each token one additive share. "not good"
#   is negative because of the *pair*; IG must split the pair's effect between "not" and
#   "good", and the split depends on the path, not on a fact about language. Here the model
#   itself has no pairs (it averages), and IG faithfully reports that "not" is, to it, just a
#   negative word: an explanation of the model, not of English.
# - **It depends on the baseline**: padding and zero embeddings give different `F(x')` and
#   different shares, as for photos (notebook 7).
# - **Tokens, not words**: with a subword tokenizer a word's attribution is the sum of its
#   pieces'.

# %% [markdown]
# ## Recap
#
# In this notebook you:
#
# - trained a small Keras sentiment classifier offline on sentences made from a rated lexicon;
# - attributed it at its embedding layer with `layer_integrated_gradients`, and summed the
#   embedding axis to get one number per token, checking completeness;
# - compared the padding-token and the zero-embedding baselines, and saw padding get nothing;
# - drew sentences coloured by attribution and measured their rank correlation with the
#   words' valence;
# - attributed a hidden layer of an image model, and saw why "not good" is beyond IG's
#   additive shares.

# %% [markdown]
# Next: [13. Evaluating attributions: is a map faithful?](13_evaluating_attributions.ipynb),
# or [11. Sanity checks for attributions](11_sanity_checks.ipynb) if you skipped it.
