"""One attribution per token of a sentence: Integrated Gradients at the embedding, summed.

Taught in ``notebooks/12_text.py``. A text classifier maps token ids to logits; the ids are
integers, so Integrated Gradients (Sundararajan et al., 2017, arXiv:1703.01365, section 6.3)
runs along the straight line between two *embeddings* of the sentence
(:func:`ig_tutorial.ig.layer_attribution.layer_integrated_gradients`) and sums each token's
attributions over the embedding axis: one number per token, and by completeness the numbers
add up to ``F(x) - F(x')``.

The baseline is a sentence in the embedding's space with "no words":

- ``"padding"`` (the default): the padding token's embedding at every position, i.e. the
  embedding of an empty sentence, which the model has seen at the end of every short sentence;
- ``"zero"``: the all-zero vector at the sentence's tokens, a point the model has never seen
  (what the paper's text experiments used).

With both, padding positions are equal to their baseline, so they carry no attribution: a
padded sentence is explained by its words only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from ig_tutorial.checks import one_of
from ig_tutorial.ig.gradients import split_at_layer
from ig_tutorial.ig.layer_attribution import (
    LayerIntegratedGradientsResult,
    layer_integrated_gradients_many,
)

#: The baselines a token attribution can start from (see the module's docstring).
TOKEN_BASELINES: tuple[str, ...] = ("padding", "zero")


@dataclass(frozen=True)
class TokenAttributions:
    """The attribution of each token of one sentence.

    Attributes
    ----------
    token_ids : numpy.ndarray
        The sentence's ids, ``(seq_len,)``, padding included.
    values : numpy.ndarray
        One attribution per position, the embedding attributions summed over the embedding
        axis; 0 at padding positions.
    padding_id : int
        The id of the padding token.
    baseline : str
        One of :data:`TOKEN_BASELINES`.
    result : LayerIntegratedGradientsResult
        The attribution at the embedding layer, with its completeness check.
    """

    token_ids: np.ndarray
    values: np.ndarray
    padding_id: int
    baseline: str
    result: LayerIntegratedGradientsResult

    @property
    def is_token(self) -> np.ndarray:
        """``bool`` per position: a word of the sentence, not padding."""
        return self.token_ids != self.padding_id

    def tokens(self, vocabulary: list[str]) -> list[str]:
        """The sentence's tokens as strings (padding left out), e.g. for the figures."""
        return [vocabulary[int(i)] for i in self.token_ids[self.is_token]]

    @property
    def token_values(self) -> np.ndarray:
        """The attributions of the sentence's tokens, padding left out."""
        return self.values[self.is_token]

    def completeness_report(self) -> str:
        """The completeness check of the attribution (see :class:`CompletenessCheck`)."""
        return self.result.completeness_report()


def token_attributions(
    model: Any,
    token_ids: np.ndarray,
    target: int | str,
    *,
    embedding_layer: str = "embedding",
    baseline: str = "padding",
    padding_id: int = 0,
    **options: Any,
) -> TokenAttributions:
    """Integrated Gradients of a text classifier, one number per token of the sentence.

    Taught in ``notebooks/12_text.py``.

    Parameters
    ----------
    model : keras.Model or Classifier
        Token ids ``(n, seq_len)`` -> logits, with an embedding layer (built with
        ``keras.Input(shape=(seq_len,), dtype="int32")``).
    token_ids : array
        One sentence's ids, ``(seq_len,)``, padded with ``padding_id``, e.g. from
        ``keras.layers.TextVectorization`` (which pads with 0).
    target : int or str
        Class index, label name or ``"top-1"``.
    embedding_layer : str, default "embedding"
        The name of the embedding layer (Keras names the first one ``"embedding"``).
    baseline : {"padding", "zero"}, default "padding"
        Where the path starts; see the module's docstring.
    padding_id : int, default 0
        The padding token's id.
    **options
        ``m_steps``, ``method``, ``batch_size``, ``output``, ``tolerance``, ``max_steps``, as for
        :func:`ig_tutorial.integrated_gradients`.

    Returns
    -------
    TokenAttributions

    Raises
    ------
    ValueError
        If ``baseline`` is unknown, ``token_ids`` is not one sentence of integer ids, and as
        :func:`ig_tutorial.ig.layer_attribution.layer_integrated_gradients`.
    """
    token_ids = np.asarray(token_ids)
    if token_ids.ndim != 1 or not np.issubdtype(token_ids.dtype, np.integer):
        raise ValueError(
            f"token_ids must be one sentence of integer ids, shape (seq_len,); got dtype "
            f"{token_ids.dtype} and shape {token_ids.shape}. For many sentences use "
            f"token_attributions_many."
        )
    (attributed,) = token_attributions_many(
        model,
        token_ids[np.newaxis],
        [target],
        embedding_layer=embedding_layer,
        baseline=baseline,
        padding_id=padding_id,
        **options,
    )
    return attributed


def token_attributions_many(
    model: Any,
    token_ids: np.ndarray,
    targets: int | str | Sequence[int | str] = "top-1",
    *,
    embedding_layer: str = "embedding",
    baseline: str = "padding",
    padding_id: int = 0,
    **options: Any,
) -> list[TokenAttributions]:
    """:func:`token_attributions` of many sentences in one vectorised call.

    Taught in ``notebooks/12_text.py``. The sentences' path points share the model calls
    (:func:`ig_tutorial.ig.layer_attribution.layer_integrated_gradients_many`).

    Parameters
    ----------
    model, embedding_layer, baseline, padding_id
        As for :func:`token_attributions`.
    token_ids : array
        The sentences' ids, ``(n, seq_len)``, padded with ``padding_id``.
    targets : int, str or sequence of them, default "top-1"
        One target for all sentences, or one per sentence.
    **options
        ``m_steps``, ``method``, ``batch_size``, ``output``, ``tolerance``, ``max_steps``, as for
        :func:`ig_tutorial.integrated_gradients_many`.

    Returns
    -------
    list of TokenAttributions
        In the order of the sentences.

    Raises
    ------
    ValueError
        If ``baseline`` is unknown, ``token_ids`` is not a batch of sentences of integer ids,
        and as :func:`ig_tutorial.ig.layer_attribution.layer_integrated_gradients_many`.
    """
    one_of(baseline, TOKEN_BASELINES, "baseline")
    token_ids = np.asarray(token_ids)
    if token_ids.ndim != 2 or not np.issubdtype(token_ids.dtype, np.integer):
        raise ValueError(
            f"token_ids must be sentences of integer ids, shape (n, seq_len); got dtype "
            f"{token_ids.dtype} and shape {token_ids.shape}."
        )
    padding = np.full_like(token_ids, padding_id)
    if baseline == "padding":
        results = layer_integrated_gradients_many(
            model, token_ids, targets, layer=embedding_layer, baseline=padding, **options
        )
    else:
        # Zero at the words; at padding positions the sentence's own (padding) embedding, so
        # that padding carries nothing here either.
        activations, _ = split_at_layer(model, embedding_layer, token_ids)
        is_token = (token_ids != padding_id)[..., np.newaxis]
        starts = np.where(is_token, 0.0, activations.numpy()).astype(np.float32)
        results = layer_integrated_gradients_many(
            model, token_ids, targets, layer=embedding_layer, layer_baseline=list(starts),
            **options,
        )  # fmt: skip
    return [
        TokenAttributions(ids, result.attributions.sum(axis=-1), padding_id, baseline, result)
        for ids, result in zip(token_ids, results, strict=True)
    ]


def _per_sentence(values: list[np.ndarray] | np.ndarray) -> list[np.ndarray]:
    """A list of per-sentence arrays; one array is one sentence."""
    if isinstance(values, np.ndarray):
        return [values.astype(np.float64).ravel()]
    return [np.asarray(each, dtype=np.float64).ravel() for each in values]


def valence_rank_correlation(
    attributions: list[np.ndarray] | np.ndarray, valences: list[np.ndarray] | np.ndarray
) -> float:
    """Spearman rank correlation of token attributions with the tokens' known valence.

    Taught in ``notebooks/12_text.py``. Pools every token of every sentence: 1 means the tokens
    are ranked exactly as their valence ranks them (the most positive words get the largest
    attributions towards "positive", words without valence in between), 0 no relation.

    Parameters
    ----------
    attributions, valences : list of arrays, or arrays
        Per sentence, one attribution and one valence per token (padding left out), e.g.
        :attr:`TokenAttributions.token_values` and :func:`ig_tutorial.text.token_valences`.

    Returns
    -------
    float
        Spearman's rank correlation of every token's attribution with its valence, pooled
        over the sentences, from -1 to 1.

    Raises
    ------
    ValueError
        If a sentence's attributions and valences differ in length, or fewer than two tokens.
    """
    firsts, seconds = _per_sentence(attributions), _per_sentence(valences)
    if len(firsts) != len(seconds) or any(
        a.size != v.size for a, v in zip(firsts, seconds, strict=False)
    ):
        raise ValueError(
            "attributions and valences must give one value per token of the same sentences; got "
            f"sentences of {[a.size for a in firsts]} and {[v.size for v in seconds]} tokens."
        )
    first, second = np.concatenate(firsts), np.concatenate(seconds)
    if first.size < 2:
        raise ValueError(f"a rank correlation needs at least two tokens, got {first.size}.")
    return float(spearmanr(first, second).statistic)
