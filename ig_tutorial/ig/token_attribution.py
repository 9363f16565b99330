"""One attribution per token of a sentence: Integrated Gradients at the embedding, summed.

Taught in ``notebooks/12_text.py``. Token ids are integers, so Integrated Gradients (Sundararajan
et al., 2017, arXiv:1703.01365, section 6.3) runs between two *embeddings* of the sentence
(:func:`ig_tutorial.ig.layer_attribution.layer_integrated_gradients`), and each token's
attributions are summed over the embedding axis: by completeness the numbers add up to
``F(x) - F(x')``. The baseline is a sentence with "no words":

- ``"padding"`` (the default): the padding token's embedding at every position, the embedding
  of an empty sentence, which the model has seen at the end of every short sentence;
- ``"zero"``: the all-zero vector at the sentence's tokens, a point the model has never seen
  (what the paper's text experiments used).

Padding positions equal their baseline in both, so a padded sentence is explained by its words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from ig_tutorial.checks import one_of
from ig_tutorial.ig.gradients import model_logits
from ig_tutorial.ig.layer_attribution import (
    LayerIntegratedGradientsResult,
    layer_integrated_gradients_many,
)
from ig_tutorial.models.model_split import split_keras_model

#: The baselines a token attribution can start from (see the module's docstring).
TOKEN_BASELINES: tuple[str, ...] = ("padding", "zero")


@dataclass(frozen=True)
class TokenAttributions:
    """The attribution of each token of one sentence.

    ``values`` has one attribution per position of ``token_ids`` (0 at padding), ``result``
    the attribution at the embedding layer with its completeness check.
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
        """The completeness check of the attribution at the embedding."""
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
    """Integrated Gradients of a text classifier, one number per token of one sentence.

    Taught in ``notebooks/12_text.py``. ``model`` maps token ids ``(n, seq_len)`` to logits
    through an embedding layer named ``embedding_layer`` (Keras names the first one
    ``"embedding"``); ``token_ids`` is one sentence ``(seq_len,)`` padded with ``padding_id``
    (``keras.layers.TextVectorization`` pads with 0). ``options`` are those of
    :func:`ig_tutorial.integrated_gradients` (``m_steps``, ``method``, ``batch_size``,
    ``output``, ``tolerance``, ``max_steps``).

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
    """:func:`token_attributions` of many sentences ``(n, seq_len)`` in one vectorised call.

    Taught in ``notebooks/12_text.py``. ``targets`` is one for all sentences or one per
    sentence; the sentences' path points share the model calls.
    """
    one_of(baseline, TOKEN_BASELINES, "baseline")
    token_ids = np.asarray(token_ids)
    if token_ids.ndim != 2 or not np.issubdtype(token_ids.dtype, np.integer):
        raise ValueError(
            f"token_ids must be sentences of integer ids, shape (n, seq_len); got dtype "
            f"{token_ids.dtype} and shape {token_ids.shape}."
        )
    starts: dict[str, Any] = {"baseline": np.full_like(token_ids, padding_id)}
    if baseline == "zero":
        # Zero at the words; at padding positions the sentence's own (padding) embedding, so
        # that padding carries nothing here either.
        encoder = split_keras_model(model, embedding_layer).encoder
        embedded = model_logits(encoder, token_ids, head=False).numpy()
        is_token = (token_ids != padding_id)[..., np.newaxis]
        starts = {"layer_baseline": list(np.where(is_token, 0.0, embedded).astype(np.float32))}
    results = layer_integrated_gradients_many(
        model, token_ids, targets, layer=embedding_layer, **starts, **options
    )
    return [
        TokenAttributions(ids, result.attributions.sum(axis=-1), padding_id, baseline, result)
        for ids, result in zip(token_ids, results, strict=True)
    ]


def valence_rank_correlation(
    attributions: list[np.ndarray] | np.ndarray, valences: list[np.ndarray] | np.ndarray
) -> float:
    """Spearman rank correlation of token attributions with the tokens' known valence.

    Taught in ``notebooks/12_text.py``. Pools every token of every sentence (one array: one
    sentence), e.g. :attr:`TokenAttributions.token_values` against
    :func:`ig_tutorial.text.token_valences`: 1 when the tokens are ranked as their valence
    ranks them.

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


def _per_sentence(values: list[np.ndarray] | np.ndarray) -> list[np.ndarray]:
    """One ``float64`` array of values per sentence; one array is one sentence."""
    sentences = [values] if isinstance(values, np.ndarray) else values
    return [np.asarray(sentence, np.float64).ravel() for sentence in sentences]
