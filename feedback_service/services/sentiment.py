"""What a comment's sentiment is: VADER's scores, a label, or why it was skipped.

The rules only; ``tasks.sentiment`` claims the comments, and writes these
results back with their events. The analyzer and the language detector are
built once per process and kept: VADER's lexicon takes ~40 ms to load and
py3langid's model ~1 s, which a worker would otherwise pay in every job.
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Words nearly every English sentence of three words or more contains. Finding
# one is enough to call a comment English without asking the detector.
_ENGLISH_HINTS = frozenset(
    "the a an and or but is was are were be been it its i my me we our you your they he she "
    "to of in on at for with not no so very this that have has had do did don't can't it's "
    "i'm too just all again".split()
)
_PUNCTUATION = ".,!?;:\"()[]…-–—*"


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def english_hints() -> frozenset[str]:
    """Common English words and VADER's own lexicon: a comment with one of them
    is one VADER can read ("Fast delivery, great service" has no stopword)."""
    return _ENGLISH_HINTS | frozenset(analyzer().lexicon)


def _detect(text: str) -> str:
    import py3langid  # ~0.2 s to import, and its model loads on the first call

    language, _ = py3langid.classify(text)
    return language


def preload() -> None:
    """Load the analyzer, its lexicon set and the language model now.

    The worker calls this before it forks: every job then inherits them
    instead of loading them again.
    """
    english_hints()
    _detect("Bonjour tout le monde")


def label_for(compound: float, positive: float, negative: float) -> str:
    if compound >= positive:
        return "positive"
    if compound <= negative:
        return "negative"
    return "neutral"


def language_of(text: str) -> str:
    """'en', or the detected language of a comment that is plainly not English."""
    # One C-level set test for the usual case (an English comment has a hint
    # word among its words); punctuation is only stripped when that fails.
    words = text.lower().split()
    hints = english_hints()
    if len(words) < 3 or not hints.isdisjoint(words):
        return "en"
    if not hints.isdisjoint(word.strip(_PUNCTUATION) for word in words):
        return "en"
    return _detect(text)


def score_text(text: str, thresholds: tuple[float, float] = (0.05, -0.05)) -> dict:
    """VADER's scores for one comment, or why it was skipped."""
    language = language_of(text)
    if language != "en":
        # VADER only knows English: a neutral score here would be a lie.
        return {"status": "skipped", "reason": f"language:{language}", "compound": None, "positive": None,
                "neutral": None, "negative": None, "label": None}
    scores = analyzer().polarity_scores(text)
    return {
        "status": "scored",
        "reason": None,
        "compound": scores["compound"],
        "positive": scores["pos"],
        "neutral": scores["neu"],
        "negative": scores["neg"],
        "label": label_for(scores["compound"], *thresholds),
    }


def thresholds() -> tuple[float, float]:
    """The app's (positive, negative) compound thresholds for the labels."""
    return (current_app.config["SENTIMENT_POSITIVE_THRESHOLD"], current_app.config["SENTIMENT_NEGATIVE_THRESHOLD"])
