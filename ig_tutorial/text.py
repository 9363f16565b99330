"""Sentences for a sentiment classifier, made offline from a lexicon of human-rated words.

Taught in ``notebooks/12_text.py``. The VADER lexicon (Hutto & Gilbert, 2014, ICWSM; a file in
the MIT-licensed ``vaderSentiment`` package) rates about 7,500 English words from -4 (most
negative) to +4, each the mean of ten people's ratings. Film-review adjectives put into short
templates make labelled sentences whose words' valences are known: a ground truth that a
classifier's token attributions can be held against (:func:`token_valences`). The templates' own
words ("the", "movie") have no valence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np

from ig_tutorial.checks import positive_integer

#: The class names of the corpus, by label.
SENTIMENT_CLASSES: tuple[str, str] = ("negative", "positive")

#: Film-review adjectives, chosen by hand so that the sentences read naturally (the lexicon also
#: rates nouns, verbs, slang and slurs).
REVIEW_WORDS: tuple[str, ...] = (
    # positive
    "amazing", "awesome", "beautiful", "best", "brilliant", "charming", "cheerful", "clever",
    "cool", "delightful", "elegant", "enjoyable", "excellent", "exciting", "fantastic",
    "fascinating", "fresh", "fun", "funny", "glorious", "good", "gorgeous", "great", "happy",
    "impressive", "inspiring", "interesting", "lovely", "magnificent", "marvelous", "nice",
    "outstanding", "perfect", "pleasant", "powerful", "remarkable", "satisfying", "smart",
    "splendid", "stunning", "superb", "sweet", "terrific", "thrilling", "wonderful",
    # negative
    "annoying", "awful", "bad", "bitter", "boring", "cruel", "depressing", "disappointing",
    "disgusting", "dreadful", "dull", "dumb", "embarrassing", "fake", "frustrating", "grim",
    "harsh", "hateful", "horrible", "irritating", "lame", "lousy", "messy", "miserable", "nasty",
    "painful", "pathetic", "poor", "ridiculous", "sad", "stupid", "terrible", "tragic", "ugly",
    "unpleasant", "upsetting", "weak", "worst", "worthless",
)  # fmt: skip

#: Templates: ``{0}`` and ``{1}`` are sentiment words; "not" flips the valence of the word after it.
ONE_WORD_TEMPLATES: tuple[str, ...] = (
    "the movie was {0}",
    "this film is {0}",
    "i found the story {0}",
    "the acting felt {0}",
    "a {0} film",
    "overall it was {0}",
)
TWO_WORD_TEMPLATES: tuple[str, ...] = (
    "the acting was {0} and the plot was {1}",
    "a {0} story with a {1} ending",
)
NEGATED_TEMPLATES: tuple[str, ...] = (
    "the movie was not {0}",
    "this film is not {0}",
)


@lru_cache(maxsize=1)
def load_valence_lexicon() -> dict[str, float]:
    """The VADER lexicon as ``{token: mean valence}``, valences in ``[-4, 4]``."""
    text = files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    lexicon = {}
    for line in text.splitlines():
        token, valence, *_ = line.split("\t")
        lexicon[token] = float(valence)
    return lexicon


def sentiment_words(lexicon: dict[str, float] | None = None) -> dict[str, float]:
    """``{word: valence}`` of :data:`REVIEW_WORDS`; ``ValueError`` if the lexicon lacks one."""
    lexicon = load_valence_lexicon() if lexicon is None else lexicon
    missing = [word for word in REVIEW_WORDS if word not in lexicon]
    if missing:
        raise ValueError(
            f"the valence lexicon lacks {missing}; install vaderSentiment 3.3, whose lexicon "
            "rates them."
        )
    return {word: lexicon[word] for word in REVIEW_WORDS}


@dataclass(frozen=True)
class SentimentCorpus:
    """Labelled sentences and the valence of the words they were made of.

    Attributes
    ----------
    sentences : list of str
        Lower-case, words separated by single spaces.
    labels : numpy.ndarray
        1 for positive, 0 for negative (:data:`SENTIMENT_CLASSES`).
    negated : numpy.ndarray
        Whether the sentence says "not {word}", so its label is the opposite of the word's.
    word_valences : dict of str to float
        The valence of each sentiment word used; every other word has none.
    """

    sentences: list[str]
    labels: np.ndarray
    negated: np.ndarray
    word_valences: dict[str, float]

    def split(self, test_fraction: float = 0.25) -> tuple[SentimentCorpus, SentimentCorpus]:
        """The first ``1 - test_fraction`` of the (already shuffled) sentences, and the rest."""
        cut = int(round(len(self.sentences) * (1.0 - test_fraction)))
        parts = (slice(0, cut), slice(cut, None))
        return tuple(  # type: ignore[return-value]
            SentimentCorpus(
                self.sentences[part], self.labels[part], self.negated[part], self.word_valences
            )
            for part in parts
        )


def make_sentiment_corpus(
    num_sentences: int = 4000,
    *,
    seed: int = 0,
    negated_share: float = 0.15,
    two_word_share: float = 0.25,
) -> SentimentCorpus:
    """Generate a seeded, shuffled sentiment corpus from :data:`REVIEW_WORDS` and templates.

    Taught in ``notebooks/12_text.py``. A sentence's label is the sign of its words' valence,
    flipped by "not"; ``negated_share`` and ``two_word_share`` are the shares of "not {word}"
    sentences and of sentences with two sentiment words (labelled by the sum of their valences);
    the rest have one. The same ``seed`` gives the same corpus.

    Raises
    ------
    ValueError
        If ``num_sentences`` is not a positive integer, or as :func:`sentiment_words`.
    """
    num_sentences = positive_integer(num_sentences, "num_sentences")
    rng = np.random.default_rng(seed)
    chosen = sentiment_words()
    vocabulary = list(chosen)
    sentences, labels, negated = [], [], []
    while len(sentences) < num_sentences:
        kind = rng.random()
        if kind < negated_share:
            word = vocabulary[rng.integers(len(vocabulary))]
            template = NEGATED_TEMPLATES[rng.integers(len(NEGATED_TEMPLATES))]
            sentence, valence, flipped = template.format(word), -chosen[word], True
        elif kind < negated_share + two_word_share:
            first, second = (vocabulary[i] for i in rng.integers(len(vocabulary), size=2))
            valence = chosen[first] + chosen[second]
            if abs(valence) < 1.0:  # mixed feelings: no clear label
                continue
            template = TWO_WORD_TEMPLATES[rng.integers(len(TWO_WORD_TEMPLATES))]
            sentence, flipped = template.format(first, second), False
        else:
            word = vocabulary[rng.integers(len(vocabulary))]
            template = ONE_WORD_TEMPLATES[rng.integers(len(ONE_WORD_TEMPLATES))]
            sentence, valence, flipped = template.format(word), chosen[word], False
        sentences.append(sentence)
        labels.append(int(valence > 0))
        negated.append(flipped)
    return SentimentCorpus(sentences, np.array(labels), np.array(negated, dtype=bool), chosen)


def token_valences(tokens: list[str], word_valences: dict[str, float]) -> np.ndarray:
    """The valence of each token of one sentence, 0 for a word without one (``float64``).

    ``word_valences`` is e.g. :attr:`SentimentCorpus.word_valences`.
    """
    return np.array([word_valences.get(token, 0.0) for token in tokens], dtype=np.float64)
