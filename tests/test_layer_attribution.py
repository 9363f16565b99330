"""Integrated Gradients at a layer, token attributions, the sentiment corpus and the token figure.

The maths is tested on models whose layer attributions are known exactly: a linear model after
an embedding gives ``IG = w . (e(x) - e(x'))`` for any integration rule with its end points. The
rest (completeness at a layer, batching counted in model calls, ``"auto"``, the seam) on small
untrained Keras models, which build in milliseconds.
"""

from __future__ import annotations

import sys

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial import load_model
from ig_tutorial.ig.layer_attribution import layer_integrated_gradients
from ig_tutorial.ig.token_attribution import token_attributions, valence_rank_correlation
from ig_tutorial.models.model_split import split_keras_model
from ig_tutorial.plotting.token_figures import plot_token_attributions, token_attributions_html
from ig_tutorial.text import (
    NEGATED_TEMPLATES,
    REVIEW_WORDS,
    SENTIMENT_CLASSES,
    load_valence_lexicon,
    make_sentiment_corpus,
    token_valences,
)

matplotlib.use("Agg")

SEQ_LEN, VOCABULARY, DIM, CLASSES = 6, 10, 4, 3
SEAM = "ig_tutorial.ig.gradients"


def linear_text_model(seed: int = 0) -> keras.Model:
    """Token ids -> Embedding -> Flatten -> Dense: linear in the embedding."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((SEQ_LEN,), dtype="int32"),
            keras.layers.Embedding(VOCABULARY, DIM, name="embedding"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(CLASSES, name="logits"),
        ],
        name="linear_text",
    )


def pooled_text_model(seed: int = 0, extra: list | None = None) -> keras.Model:
    """Token ids -> Embedding -> (extra layers) -> mean over tokens -> ReLU layer -> logits."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((SEQ_LEN,), dtype="int32"),
            keras.layers.Embedding(VOCABULARY, DIM, name="embedding"),
            *(extra or []),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(CLASSES, name="logits"),
        ],
        name="pooled_text",
    )


def exact_linear_ig(model: keras.Model, ids, baseline_ids, target: int) -> np.ndarray:
    embeddings = model.get_layer("embedding").embeddings.numpy()
    weights = model.get_layer("logits").kernel.numpy()[:, target].reshape(SEQ_LEN, DIM)
    return weights * (embeddings[ids] - embeddings[baseline_ids])


IDS = np.array([3, 7, 2, 5, 0, 0])  # four words, two padding positions


# --- Layer attributions that are known exactly ---------------------------------------------------


@pytest.mark.parametrize("method", ["riemann_trapezoid", "gauss_legendre"])
def test_linear_model_after_an_embedding_gets_w_times_the_embedding_difference(method):
    model = linear_text_model()
    baseline = np.array([1, 1, 4, 4, 0, 0])
    result = layer_integrated_gradients(
        model, IDS, 2, layer="embedding", baseline=baseline, m_steps=4, method=method,
        output="logit",
    )  # fmt: skip
    assert result.attributions.shape == (SEQ_LEN, DIM)
    np.testing.assert_allclose(
        result.attributions, exact_linear_ig(model, IDS, baseline, 2), rtol=1e-5, atol=1e-6
    )
    assert result.layer == "embedding"
    embeddings = model.get_layer("embedding").embeddings.numpy()
    np.testing.assert_allclose(result.activations, embeddings[IDS])
    np.testing.assert_allclose(result.baseline_activations, embeddings[baseline])


def test_layer_baseline_in_the_layer_space_starts_the_path_there():
    model = linear_text_model()
    start = np.zeros((SEQ_LEN, DIM), np.float32)
    result = layer_integrated_gradients(
        model, IDS, 0, layer="embedding", layer_baseline=start, m_steps=2, output="logit"
    )
    embeddings = model.get_layer("embedding").embeddings.numpy()
    weights = model.get_layer("logits").kernel.numpy()[:, 0].reshape(SEQ_LEN, DIM)
    np.testing.assert_allclose(result.attributions, weights * embeddings[IDS], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("baseline", ["padding", "zero"])
def test_token_attributions_sum_the_embedding_axis_and_leave_padding_at_zero(baseline):
    model = linear_text_model()
    attributed = token_attributions(model, IDS, 1, baseline=baseline, m_steps=2, output="logit")
    embeddings = model.get_layer("embedding").embeddings.numpy()
    weights = model.get_layer("logits").kernel.numpy()[:, 1].reshape(SEQ_LEN, DIM)
    start = embeddings[np.zeros_like(IDS)] if baseline == "padding" else 0.0 * embeddings[IDS]
    start[IDS == 0] = embeddings[0]  # padding positions start where they are
    expected = (weights * (embeddings[IDS] - start)).sum(axis=-1)
    np.testing.assert_allclose(attributed.values, expected, rtol=1e-5, atol=1e-6)
    assert np.all(attributed.values[IDS == 0] == 0.0)
    assert attributed.result.relative_completeness_error < 1e-4
    vocabulary = [f"w{i}" for i in range(VOCABULARY)]
    assert attributed.tokens(vocabulary) == ["w3", "w7", "w2", "w5"]
    np.testing.assert_array_equal(attributed.token_values, attributed.values[:4])


# --- Completeness, batching, "auto" at a layer ---------------------------------------------------


def test_completeness_at_a_layer_matches_the_whole_models_scores():
    model = pooled_text_model()
    result = layer_integrated_gradients(model, IDS, 1, layer="embedding", m_steps=128)
    probabilities = tf.nn.softmax(model(np.stack([np.zeros_like(IDS), IDS]))).numpy()[:, 1]
    # The path starts at the activations of the baseline input: G(h(x')) = F(x').
    np.testing.assert_allclose(
        [result.score_at_baseline, result.score_at_input], probabilities, rtol=1e-5
    )
    assert result.relative_completeness_error < 0.01
    assert "F(h')" in result.completeness_report()


def test_a_conv_block_of_an_image_model_gets_a_coarse_map():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
            keras.layers.MaxPooling2D(name="pool"),
            keras.layers.Flatten(),
            keras.layers.Dense(CLASSES),
        ]
    )
    image = np.random.default_rng(0).uniform(size=(8, 8, 1)).astype(np.float32)
    result = layer_integrated_gradients(model, image, "top-1", layer="pool", m_steps=64)
    assert result.attributions.shape == (4, 4, 4)
    assert result.target == int(np.argmax(model(image[None])[0]))
    assert result.relative_completeness_error < 0.01
    # load_model's Classifier of the same network is cut at the same layer.
    wrapped = layer_integrated_gradients(
        load_model(model), image, "top-1", layer="pool", m_steps=64
    )
    np.testing.assert_allclose(wrapped.attributions, result.attributions, rtol=1e-5, atol=1e-7)


class CountingIdentity(keras.layers.Layer):
    """Passes its input on and counts the model calls it took part in (also when compiled)."""

    def build(self, input_shape):
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, inputs):
        self.calls.assign_add(1.0)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


@pytest.mark.parametrize(("batch_size", "head_calls"), [(4, 4 + 1), (16, 1 + 1), (5, 4 + 1)])
def test_batching_at_a_layer_is_counted_in_calls_of_the_head(batch_size, head_calls):
    counter = CountingIdentity(name="counter")
    model = pooled_text_model(extra=[counter])
    split_keras_model(model, "embedding")  # cut first: building the head does not count
    counter.calls.assign(0.0)
    result = layer_integrated_gradients(
        model, IDS, 1, layer="embedding", m_steps=15, batch_size=batch_size
    )
    # 16 points in batches, and one call for F at both ends; the encoder is not the head.
    assert result.num_evaluations == 16
    assert int(counter.calls.numpy()) == head_calls
    reference = layer_integrated_gradients(model, IDS, 1, layer="embedding", m_steps=15)
    np.testing.assert_allclose(result.attributions, reference.attributions, rtol=1e-5, atol=1e-7)


def test_auto_steps_at_a_layer_meet_the_tolerance():
    model = pooled_text_model(seed=3)
    result = layer_integrated_gradients(
        model, IDS, 2, layer="embedding", m_steps="auto", tolerance=0.002
    )
    assert result.relative_completeness_error <= 0.002
    assert result.convergence_history and result.refinement is not None
    assert result.attributions.shape == (SEQ_LEN, DIM)


class CallerRecordingLayer(keras.layers.Layer):
    """Records which ig_tutorial module a (non-symbolic) call of the model came from."""

    callers: set[str] = set()

    def call(self, inputs):
        frame = sys._getframe(1)
        while frame is not None and not frame.f_globals.get("__name__", "").startswith(
            "ig_tutorial"
        ):
            frame = frame.f_back
        self.callers.add(frame.f_globals["__name__"] if frame else "<outside ig_tutorial>")
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def test_layer_attribution_calls_the_model_only_through_the_seam():
    before, after = CallerRecordingLayer(name="before"), CallerRecordingLayer(name="after")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((SEQ_LEN,), dtype="int32"),
            keras.layers.Embedding(VOCABULARY, DIM, name="embedding"),
            before,
            keras.layers.Dense(DIM, name="hidden"),
            after,
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(CLASSES),
        ]
    )
    CallerRecordingLayer.callers = set()
    layer_integrated_gradients(model, IDS, "top-1", layer="hidden", m_steps=4)
    layer_integrated_gradients(model, IDS, 0, layer="hidden", m_steps="auto", tolerance=0.5)
    token_attributions(model, IDS, 1, baseline="zero", m_steps=2)
    assert CallerRecordingLayer.callers == {SEAM}


# --- Clear refusals ------------------------------------------------------------------------------


def test_a_model_that_is_not_keras_is_refused_naming_what_it_is():
    with pytest.raises(ValueError, match=r"must be a Keras model .* got function"):
        layer_integrated_gradients(lambda x: x, IDS, 0, layer="embedding")
    with pytest.raises(ValueError, match=r"must be a Keras model .* got CountingIdentity"):
        layer_integrated_gradients(CountingIdentity(), IDS, 0, layer="embedding")


def test_an_unknown_layer_is_refused_listing_the_layers():
    with pytest.raises(ValueError, match=r"got 'embeding'; .* are: embedding, flatten, logits\."):
        layer_integrated_gradients(linear_text_model(), IDS, 0, layer="embeding")


def test_bad_baselines_are_refused():
    model = linear_text_model()
    with pytest.raises(ValueError, match="not both"):
        layer_integrated_gradients(
            model, IDS, 0, layer="embedding", baseline=IDS, layer_baseline=np.zeros((6, 4))
        )
    with pytest.raises(ValueError, match=r"baseline shape \(5,\) does not match"):
        layer_integrated_gradients(model, IDS, 0, layer="embedding", baseline=IDS[:5])
    with pytest.raises(ValueError, match=r"layer_baseline shape \(6, 3\) .* \(6, 4\)"):
        layer_integrated_gradients(
            model, IDS, 0, layer="embedding", layer_baseline=np.zeros((6, 3))
        )
    with pytest.raises(ValueError, match=r"baseline must be one of \('padding', 'zero'\)"):
        token_attributions(model, IDS, 0, baseline="mask")
    with pytest.raises(ValueError, match="one sentence of integer ids"):
        token_attributions(model, np.stack([IDS, IDS]), 0)


def test_a_layer_without_a_fixed_shape_is_refused():
    model = keras.Sequential(
        [
            keras.Input((None,), dtype="int32"),
            keras.layers.Embedding(VOCABULARY, DIM, name="embedding"),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2),
        ]
    )
    with pytest.raises(ValueError, match=r"needs a fixed shape per input"):
        layer_integrated_gradients(model, IDS, 0, layer="embedding")


# --- The token figure ----------------------------------------------------------------------------


def drawn_tokens(figure) -> list[tuple[str, tuple[float, ...]]]:
    """The (token, background colour) of every coloured token, in drawing order."""
    axes = figure.axes[0]
    return [
        (text.get_text(), tuple(np.round(text.get_bbox_patch().get_facecolor(), 3)))
        for text in axes.texts
        if text.get_bbox_patch() is not None
    ]


def test_token_figure_draws_the_sentence_tokens_in_order_on_their_colours():
    tokens, values = ["the", "movie", "was", "not", "good"], [0.1, 0.0, -0.1, -2.0, 1.0]
    figure = plot_token_attributions({"a": (tokens, values), "b": (["dull"], [-0.5])})
    drawn = drawn_tokens(figure)
    assert [token for token, _ in drawn] == [*tokens, "dull"]
    colours = {token: colour for token, colour in drawn}
    assert min(colours["movie"]) > 0.99  # zero is white
    red, green = colours["not"], colours["good"]  # the scale is symmetric: -2 is the red end
    assert red[0] > red[1] and green[1] > green[0]
    assert figure.axes[1].get_xlim() == (-2.0, 2.0)  # the colour bar, the legend of the scale


def test_token_figure_refuses_tokens_and_values_that_do_not_pair():
    with pytest.raises(ValueError, match="has 2 tokens but 3 attributions"):
        plot_token_attributions({"s": (["a", "b"], [1.0, 2.0, 3.0])})
    with pytest.raises(ValueError, match="sentences is empty"):
        token_attributions_html({})


def test_token_html_colours_each_escaped_token_with_its_value():
    page = token_attributions_html({"<s>": (["good", "<b>"], [1.0, -1.0])})
    assert page.index(">good</span>") < page.index(">&lt;b&gt;</span>")
    assert 'title="+1.0000"' in page and 'title="-1.0000"' in page
    assert "&lt;s&gt;" in page and "red -1.000" in page and "green +1.000" in page


# --- The corpus and the rank correlation with valence --------------------------------------------


def test_the_review_words_are_rated_in_the_lexicon_both_ways():
    lexicon = load_valence_lexicon()
    assert len(lexicon) > 7000
    valences = [lexicon[word] for word in REVIEW_WORDS]
    assert sum(v > 0 for v in valences) >= 35 and sum(v < 0 for v in valences) >= 35


def test_the_corpus_is_seeded_and_labelled_by_its_words_valence():
    corpus = make_sentiment_corpus(600, seed=1)
    again = make_sentiment_corpus(600, seed=1)
    assert corpus.sentences == again.sentences and len(corpus.sentences) == 600
    assert make_sentiment_corpus(600, seed=2).sentences != corpus.sentences
    assert 0.3 < corpus.labels.mean() < 0.7 and 0.05 < corpus.negated.mean() < 0.3
    negated = {template.split("{")[0] for template in NEGATED_TEMPLATES}
    for sentence, label, flipped in zip(
        corpus.sentences, corpus.labels, corpus.negated, strict=True
    ):
        valence = token_valences(sentence.split(), corpus.word_valences).sum()
        assert flipped == any(sentence.startswith(start) for start in negated)
        assert label == int((valence > 0) != flipped), sentence
    train, test = corpus.split(0.25)
    assert len(train.sentences) == 450 and test.sentences == corpus.sentences[450:]
    assert SENTIMENT_CLASSES[1] == "positive"


def test_rank_correlation_with_valence_pools_every_token():
    valences = [np.array([0.0, 0.0, 2.5]), np.array([0.0, -1.5])]
    same_order = [np.array([0.0, 0.0, 3.0]), np.array([0.0, -2.0])]
    assert valence_rank_correlation(same_order, valences) == pytest.approx(1.0)
    reversed_ = [-v for v in valences]
    assert valence_rank_correlation(reversed_, valences) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match=r"sentences of \[3\] and \[2\] tokens"):
        valence_rank_correlation(np.zeros(3), np.zeros(2))


def test_a_linear_bag_of_words_with_valence_embeddings_ranks_tokens_by_valence():
    """The check on a model that knows the answer: token attribution = its valence exactly."""
    words = ["[pad]", "the", "movie", "was", "great", "awful", "nice", "dull"]
    valence = token_valences(words, load_valence_lexicon() | {"[pad]": 0.0})
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((4,), dtype="int32"), keras.layers.Embedding(len(words), 1, name="embedding"),
         keras.layers.Flatten(), keras.layers.Dense(2, use_bias=False, name="logits")]
    )  # fmt: skip
    model.get_layer("embedding").set_weights([valence[:, None]])
    model.get_layer("logits").set_weights([np.array([[0.0, 1.0]] * 4, np.float32)])
    sentences = [np.array([1, 2, 3, 4]), np.array([1, 2, 3, 5]), np.array([6, 7, 0, 0])]
    attributed = [token_attributions(model, s, 1, m_steps=2, output="logit") for s in sentences]
    values = [a.token_values for a in attributed]
    truth = [token_valences(a.tokens(words), load_valence_lexicon()) for a in attributed]
    for value, known in zip(values, truth, strict=True):
        np.testing.assert_allclose(value, known, rtol=1e-5, atol=1e-6)
    assert valence_rank_correlation(values, truth) == pytest.approx(1.0)
