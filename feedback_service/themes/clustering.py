"""Finding themes in comments: TF-IDF over word uni- and bigrams, factorised by NMF, each comment
given to its strongest topic, each topic labelled by its most telling phrase.

Pure: comments in, groups out, nothing read or written, so the bench measures exactly what the
job stores (bench/themes_quality.py, docs/metrics.md "Themes"). Deterministic: the same comments
give the same themes (fixed seeds, stable order), which is what makes the job safe to run twice.

Everything it needs ships inside scikit-learn (its English stop words included): no model, no
word list, nothing downloaded. It reads English words only. A comment in another language (as
the sentiment job found it, or by its script when that is not known) shares no words with the
English topics and would only blur them, so such comments are grouped by their language instead
("Comments in German"), or left unthemed when their language has too few to be worth a line.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache

# scikit-learn (and the NumPy and SciPy it brings) is imported where the themes are found, not
# here: the app imports this module in every process, and the import costs most of a second
# that a web worker, which never finds themes, would pay at each start.

TOPIC, LANGUAGE = "topic", "language"
KINDS = (TOPIC, LANGUAGE)
# A theme is at least this many comments, and at least this share of them: smaller ones would be
# anecdotes with a label on, and a label read off two comments is mostly chance.
MIN_THEME_SIZE = 3
MIN_THEME_SHARE = 0.03
# At most one topic per this many English comments: on ~90 comments NMF asked for ten topics
# splits every real one in three (measured on the labelled set, docs/metrics.md).
COMMENTS_PER_TOPIC = 20
# The model is fitted on the newest comments up to this many, then every comment is given its
# topic: a quarter of a year of a busy touchpoint stays a second's work.
FIT_SAMPLE = 5000
SILHOUETTE_SAMPLE = 2000
SEED = 0

# Letters only (any script), with inner apostrophes kept: "didn't", "größe", "サイズ".
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# scikit-learn's English list, and the contractions and fillers it lacks: without them
# "didn't work" and "just" are the strongest terms of half the topics.
_MORE_STOP_WORDS = frozenset("""
    didn't don't doesn't wasn't weren't isn't aren't hasn't haven't hadn't can't couldn't won't wouldn't
    shouldn't i'm i've i'd i'll it's that's there's they're you're we're we've let's just really got get
    getting like did does said told way also ok okay bit lot thing things""".split())


@cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS | _MORE_STOP_WORDS
# Letters of scripts other than Latin: a comment mostly in them is not English, whatever else is known.
_LETTER = re.compile(r"[^\W\d_]")
_NON_LATIN_LETTER = re.compile(r"[^\W\d_A-Za-z\u00aa\u00b5\u00ba\u00c0-\u024f\u1e00-\u1eff]")

LANGUAGE_NAMES = {
    "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese", "nl": "Dutch",
    "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "pl": "Polish", "cs": "Czech",
    "sk": "Slovak", "hu": "Hungarian", "ro": "Romanian", "tr": "Turkish", "el": "Greek", "ru": "Russian",
    "uk": "Ukrainian", "bg": "Bulgarian", "ar": "Arabic", "he": "Hebrew", "fa": "Persian", "hi": "Hindi",
    "th": "Thai", "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "vi": "Vietnamese", "id": "Indonesian",
    "ca": "Catalan", "hr": "Croatian", "sl": "Slovenian", "sr": "Serbian", "lt": "Lithuanian",
    "lv": "Latvian", "et": "Estonian",
}


@dataclass(frozen=True)
class Comment:
    id: int
    text: str
    # "en", another ISO 639-1 code, "und" (not English, language unsure), or None (not known).
    language: str | None = None


@dataclass
class Group:
    """One theme found: its label, the terms behind it, and its comments, strongest first."""

    label: str
    kind: str
    language: str | None = None
    terms: list[str] = field(default_factory=list)
    # (comment id, weight): how strongly the comment belongs, for picking examples.
    members: list[tuple[int, float]] = field(default_factory=list)


@dataclass
class Clustering:
    groups: list[Group]
    unthemed: list[int]

    def assignment(self) -> dict[int, int | None]:
        """Comment id → index of its group in ``groups`` (None: unthemed)."""
        found: dict[int, int | None] = dict.fromkeys(self.unthemed)
        for index, group in enumerate(self.groups):
            found.update((comment_id, index) for comment_id, _ in group.members)
        return found


def min_theme_size(comments: int) -> int:
    return max(MIN_THEME_SIZE, round(MIN_THEME_SHARE * comments))


def find_themes(comments: list[Comment], *, max_themes: int = 10) -> Clustering:
    """Group ``comments`` into at most ``max_themes`` English topics, plus one group per other
    language with enough comments; the rest are unthemed. Groups come largest first."""
    least = min_theme_size(len(comments))
    english, elsewhere = [], defaultdict(list)
    for comment in comments:
        language = comment.language or ("und" if _mostly_not_latin(comment.text) else "en")
        (english.append(comment) if language == "en" else elsewhere[language].append(comment))

    groups, unthemed = _topics(english, max_themes, least)
    for language, among in sorted(elsewhere.items()):
        if len(among) >= least and language != "und":
            groups.append(Group(label=f"Comments in {LANGUAGE_NAMES.get(language, language)}", kind=LANGUAGE,
                                language=language, members=[(c.id, 1.0) for c in among]))
        else:
            unthemed.extend(c.id for c in among)
    groups.sort(key=lambda g: (-len(g.members), g.kind != TOPIC, g.label))
    return Clustering(groups, sorted(unthemed))


def terms_of(text: str) -> list[str]:
    """A comment's terms: its content words, lightly stemmed, and each pair of neighbours."""
    words = [_stem(word) for word in _words(text)]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower().replace("’", "'")) if len(w) > 1 and w not in stop_words()]


def _stem(word: str) -> str:
    # Plurals only: "codes"/"code", "sizes"/"size", "deliveries"/"delivery". Anything bolder
    # ("delivered" → "deliver") makes labels no customer wrote.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _mostly_not_latin(text: str) -> bool:
    other = len(_NON_LATIN_LETTER.findall(text))
    return other > 0 and other * 2 > len(_LETTER.findall(text))


def _topics(comments: list[Comment], max_themes: int, least: int) -> tuple[list[Group], list[int]]:
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids = [c.id for c in comments]
    if max_themes < 2 or len(comments) < 2 * least:
        return [], ids
    sample = comments[-FIT_SAMPLE:]  # the newest, when the caller passes them oldest first
    vectorizer = TfidfVectorizer(analyzer=terms_of, sublinear_tf=True, min_df=2, dtype=np.float64)
    try:
        fitted = vectorizer.fit_transform([c.text for c in sample])
    except ValueError:  # no term in two comments: nothing in common to call a theme
        return [], ids
    model = _best_model(fitted, max(2, min(max_themes, len(sample) // COMMENTS_PER_TOPIC)))
    if model is None:
        return [], ids
    matrix = vectorizer.transform([c.text for c in comments])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.transform(matrix)
    strongest, topic_of = weights.max(axis=1), weights.argmax(axis=1)

    members: dict[int, list[tuple[int, float]]] = defaultdict(list)
    unthemed = []
    for comment, weight, topic in zip(comments, strongest, topic_of, strict=True):
        if weight <= 1e-9:  # no term of any topic: a comment about something else
            unthemed.append(comment.id)
        else:
            members[int(topic)].append((comment.id, round(float(weight), 6)))
    labels = _Labeller(comments)
    groups = []
    for topic, among in sorted(members.items()):
        if len(among) < least:
            unthemed.extend(comment_id for comment_id, _ in among)
            continue
        among.sort(key=lambda m: (-m[1], -m[0]))
        label, terms = labels.label({comment_id for comment_id, _ in among}, model.components_[topic],
                                    vectorizer.get_feature_names_out())
        groups.append(Group(label=label, kind=TOPIC, terms=terms, members=among))
    return groups, unthemed


def _best_model(matrix, most: int):
    """NMF with the number of topics (2 to ``most``) whose comments sit best in their own topic
    (the cosine silhouette); None when no number gives two topics."""
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import silhouette_score

    best, best_score = None, -2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for topics in range(2, min(most, matrix.shape[0] - 1, matrix.shape[1]) + 1):
            model = NMF(n_components=topics, init="nndsvda", random_state=SEED, max_iter=400)
            weights = model.fit_transform(matrix)
            placed = weights.max(axis=1) > 1e-9
            assigned = weights.argmax(axis=1)[placed]
            if len(set(assigned.tolist())) < 2 or placed.sum() <= len(set(assigned.tolist())):
                continue
            score = silhouette_score(matrix[placed], assigned, metric="cosine", random_state=SEED,
                                     sample_size=min(SILHOUETTE_SAMPLE, int(placed.sum())))
            if score > best_score + 1e-9:
                best, best_score = model, score
    return best


class _Labeller:
    """A topic's label: the phrase (one to three words, as customers wrote it) found in most of
    its comments and least elsewhere."""

    def __init__(self, comments: list[Comment]):
        self.total = len(comments)
        self.phrases: dict[int, set[str]] = {}
        self.surface: dict[str, Counter] = defaultdict(Counter)
        self.frequency: Counter = Counter()
        for comment in comments:
            # Every word, stop words too, so that a phrase reads as written: "waiting for my refund".
            written = _WORD.findall(comment.text.lower().replace("’", "'"))
            kept = [(i, _stem(w)) for i, w in enumerate(written) if len(w) > 1 and w not in stop_words()]
            phrases = set()
            for size in (1, 2, 3):
                for start in range(len(kept) - size + 1):
                    run = kept[start:start + size]
                    phrase = " ".join(stem for _, stem in run)
                    phrases.add(phrase)
                    first, last = run[0][0], run[-1][0]
                    if last - first < size + 2:  # no more than two stop words inside
                        self.surface[phrase][" ".join(written[first:last + 1])] += 1
            self.phrases[comment.id] = phrases
            self.frequency.update(phrases)

    def label(self, ids: set[int], weights, features) -> tuple[str, list[str]]:
        import numpy as np

        inside = Counter()
        for comment_id in ids:
            inside.update(self.phrases[comment_id])
        size = len(ids)

        def score(phrase: str) -> float:
            coverage = inside[phrase] / size
            lift = coverage / (self.frequency[phrase] / self.total)
            # Longer phrases read better ("free shipping code", not "code") and are kept when they
            # cover nearly as many comments as their words do.
            return coverage * math.log1p(lift) * (1 + 0.35 * phrase.count(" "))

        candidates = [p for p, n in inside.items() if n >= 2 and n / size >= 0.12]
        top = [features[i] for i in np.argsort(-weights)[:6] if weights[i] > 0]
        if not candidates:
            candidates = top[:1]
        best = max(candidates, key=lambda p: (score(p), p))
        # One word names a topic badly ("size"); the phrase around it that enough of its comments
        # share names it better ("wrong size").
        longer = [p for p in candidates
                  if " " in p and best in p.split() and inside[p] >= 3 and inside[p] / size >= 0.12]
        if " " not in best and longer:
            best = max(longer, key=lambda p: (inside[p], score(p), p))
        label = self._readable(best)
        if " " not in best:
            # Still one word: with the next word that half as many of its comments share, if any
            # ("phone · hold"), since one word alone says little.
            others = [p for p in candidates if " " not in p and p != best and inside[p] * 2 >= inside[best]]
            if others:
                label += " · " + self._readable(max(others, key=lambda p: (score(p), p)))
        return label, [self._readable(t) for t in top[:5]]

    def _readable(self, phrase: str) -> str:
        forms = self.surface.get(phrase)
        return forms.most_common(1)[0][0] if forms else phrase
