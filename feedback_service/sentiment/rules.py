"""What a comment's sentiment is: VADER's scores, a label, or why it was skipped.

The rules only; ``jobs`` claims the comments and ``scoring`` writes these
results back with their events. The analyzer and the language detector are
built once per process and kept: loading them is slower than scoring a batch.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask import current_app
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# English function words. Most are English only; the others are also everyday
# words of the languages customers most often write in instead, listed with
# them ("war" is German too, and a word of VADER's: "Der Service war sehr
# schlecht" is not English). A comment's function words tell English when no
# single other language has them all: "I had to explain my problem" (i, had,
# to, my: no one language but English), not "I pacchi sono in ritardo" (i, in:
# Italian too) nor "Das Paket kam an und so weiter" (an, so: German).
_ENGLISH_ONLY_WORDS = frozenset("""
    the and but it its it's i'm i've i'd i'll mine we're ours you you're your yours they they're their
    them she his him with this that these those there here have having were been are be being not very
    just don't didn't doesn't can't cannot won't wasn't isn't aren't weren't couldn't wouldn't shouldn't
    haven't hasn't would could should did does what when which who why where from about after before
    because really never again too thanks thank please got get than then out up if how any some only
    more most much by every still into other such each while until though although
""".split())
_ALSO_WORDS_OF = {word: frozenset(languages.split()) for word, languages in (
    ("a", "es it pt fr pl cs sk ca ro sv"), ("an", "de fr"), ("i", "it pl cs sk sv da no hr sl"),
    ("in", "de nl it ro pl sv"), ("is", "nl"), ("was", "de nl"), ("so", "de it"), ("me", "es fr it pt ca"),
    ("my", "pl cs sk"), ("we", "nl"), ("us", "ro"), ("no", "es it pt pl gl ca"), ("do", "pl pt cs"),
    ("he", "es fi"), ("am", "de ro"), ("will", "de"), ("also", "de"), ("had", "nl"), ("has", "es ca"),
    ("her", "de da no sv tr"), ("or", "fr"), ("on", "fr pl ru"), ("of", "nl"), ("to", "pl cs sk sl hr"),
    ("for", "da no sv"), ("at", "da no tr"), ("all", "sv"), ("over", "nl da no"), ("even", "nl"),
)}
_ENGLISH_WORDS = _ENGLISH_ONLY_WORDS | frozenset(_ALSO_WORDS_OF)
_PUNCTUATION = ".,!?;:\"'()[]{}<>…-–—*/&+=~_#%«»„“”‘’¡¿"
# Detector answers (py3langid, probabilities over the languages below):
# English is ruled out only when another language wins by a clear margin.
# When VADER knows half the words ("Broken zip"), it takes more.
_MIN_CONFIDENCE = 0.3
_MIN_CONFIDENCE_HALF_KNOWN = 0.6
_MIN_LEAD_OVER_ENGLISH = 2.0
# The languages it chooses among: the common ones of the Latin script, which
# could be confused with English, and those of other scripts, so that text in
# them is named. The ~90 minor languages of its full model (Nigerian Pidgin,
# Scots, Walloon…) took the probability English needs on short comments.
_LANGUAGES = (
    "en de fr es it pt nl sv da no fi is pl cs sk sl hr bs sr hu ro tr lt lv et ca gl eu cy ga af sq id ms "
    "sw vi ru uk be bg mk el ka hy he ar fa ur hi bn ta te th ja zh ko"
).split()
_LETTER = re.compile(r"[^\W\d_]")
# Letters of scripts other than Latin (basic, supplement, extended A/B and additional).
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00aa\u00b5\u00ba\u00c0-\u024f\u1e00-\u1eff]")


@lru_cache(maxsize=1)
def analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """VADER's own words and English function words: what says a comment is English."""
    return frozenset(analyzer().lexicon) | _ENGLISH_WORDS


@lru_cache(maxsize=1)
def detector():
    """py3langid's model, with probabilities, restricted to ``_LANGUAGES``."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # slow to import and to load: only when needed

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(_LANGUAGES)
    return identifier


def preload() -> None:
    """Load the analyzer, its lexicon set and the language model now.

    The worker calls this before it forks: every job then inherits them
    instead of loading them again.
    """
    known_words()
    detector().classify("Bonjour tout le monde")


def label_for(compound: float, positive: float, negative: float) -> str:
    if compound >= positive:
        return "positive"
    if compound <= negative:
        return "negative"
    return "neutral"


def language_of(text: str) -> str:
    """'en', or the language of a comment that is plainly not English ('und' when unsure which).

    Cheapest first: the script (mostly not Latin letters: not English), then
    the words (enough of them VADER's or English function words: English),
    and only then the detector, which must be confident, and far more so than
    of English, to rule English out: a comment VADER might read is scored.
    """
    lowered = text.lower()
    if not lowered.isascii():
        if _mostly_not_latin(lowered):
            language, _ = detector().classify(text)
            return "und" if language == "en" else language
        lowered = lowered.replace("’", "'")
    # Most comments are settled on their tokens as split, in C: stripping
    # punctuation and numbers off them could only find more English.
    tokens, vocabulary = lowered.split(), known_words()
    if len(tokens) > 3 and _english_by_its_words(tokens, sum(map(vocabulary.__contains__, tokens))):
        return "en"
    words = [word for token in tokens if (word := token.strip(_PUNCTUATION)) and not word.isdigit()]
    if not words:
        return "en"  # emoji, numbers, punctuation: VADER reads emoji and emoticons
    known = sum(map(vocabulary.__contains__, words))
    if _english_by_its_words(words, known):
        return "en"
    return _detected(text, _MIN_CONFIDENCE_HALF_KNOWN if known * 2 >= len(words) else _MIN_CONFIDENCE)


def _mostly_not_latin(text: str) -> bool:
    other = len(_NON_LATIN_LETTER.findall(text))
    return other > 0 and other * 2 > len(_LETTER.findall(text))


def _english_by_its_words(words: list[str], known: int) -> bool:
    if len(words) <= 3:
        # "good", "ok thanks", "not bad": every word is one VADER or English knows.
        return known == len(words)
    # One word is not enough: a third of the words known, and two different
    # English function words that no other single language has both of.
    if known * 3 < len(words):
        return False
    function_words = _ENGLISH_WORDS.intersection(words)
    if len(function_words) < 2:
        return False
    if not _ENGLISH_ONLY_WORDS.isdisjoint(function_words):
        return True
    return not frozenset.intersection(*(_ALSO_WORDS_OF[word] for word in function_words))


def _detected(text: str, min_confidence: float) -> str:
    ranked = detector().rank(text)
    language, confidence = ranked[0]
    if language == "en" or confidence < min_confidence:
        return "en"
    english = next(p for lang, p in ranked if lang == "en")
    return language if confidence >= _MIN_LEAD_OVER_ENGLISH * english else "en"


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
