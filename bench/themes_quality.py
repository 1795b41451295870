"""How well do the themes match what a person would call them, next to a trivial baseline?

The labelled set (bench/data/themes_labelled.jsonl) is 332 comments written for this measure,
one per line as ``{"comment", "theme"}``: eleven true themes of a shoe shop's journey (free
shipping codes, discounts not applied, hold time, rude and helpful agents, late delivery,
crushed boxes, wrong sizes, return labels, slow refunds, a slow website), each in varied
wording, with 26 comments in German, Spanish, French, Italian, Portuguese and Japanese and a few
with emoji. None is taken from the demo's templates.

Both methods see the comments as the job does: each with the language the sentiment job would
store for it (``sentiment.rules.language_of``). They are scored on

* **purity**: each found group counted by its commonest true theme (unthemed comments are one
  group of their own, so leaving comments out is not free);
* **adjusted Rand index** (``sklearn.metrics.adjusted_rand_score``): agreement of the two
  partitions beyond chance, 0 for a random grouping, 1 for the labels exactly;

over the whole set and over four touchpoint-sized subsets (checkout, contact centre, delivery,
returns: three true themes each), where the number of themes must be found with fewer comments.

The baseline gives each comment the corpus's most frequent word (among the top ``k`` content
words, ``k`` the number of true themes) that it contains; comments with none are one group.

    .venv/bin/python bench/themes_quality.py
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sklearn.metrics import adjusted_rand_score  # noqa: E402

from feedback_service.sentiment.rules import language_of  # noqa: E402
from feedback_service.themes.clustering import Comment, _words, find_themes  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "themes_labelled.jsonl"
# Touchpoint-sized subsets: what one station of the journey hears about.
SUBSETS = {
    "all (11 themes)": None,
    "checkout": ("free_shipping_code", "discount_not_applied", "website_slow"),
    "contact centre": ("hold_time", "rude_agent", "helpful_agent"),
    "delivery": ("late_delivery", "damaged_box", "wrong_size"),
    "returns": ("return_label", "refund_slow", "wrong_size"),
}
UNTHEMED = "(unthemed)"


def load() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def purity(truth: list[str], found: list[str]) -> float:
    best: Counter = Counter()
    for (group, _), n in Counter(zip(found, truth, strict=True)).items():
        best[group] = max(best[group], n)
    return sum(best.values()) / len(truth)


def method(rows: list[dict]) -> list[str]:
    comments = [Comment(i, row["comment"], language_of(row["comment"])) for i, row in enumerate(rows)]
    assignment = find_themes(comments, max_themes=12).assignment()
    return [UNTHEMED if assignment[i] is None else f"theme {assignment[i]}" for i in range(len(rows))]


def baseline(rows: list[dict], k: int) -> list[str]:
    documents = [set(_words(row["comment"])) for row in rows]
    frequency = Counter(word for words in documents for word in words)
    top = [word for word, _ in frequency.most_common(k)]
    return [next((word for word in top if word in words), UNTHEMED) for words in documents]


def measure() -> dict[str, dict[str, tuple[float, float, int]]]:
    """Per subset: {"themes": (ari, purity, groups), "baseline": (…)}."""
    rows, figures = load(), {}
    for name, themes in SUBSETS.items():
        subset = [row for row in rows if themes is None or row["theme"] in themes]
        truth = [row["theme"] for row in subset]
        k = len(set(truth))
        figures[name] = {}
        for who, found in (("themes", method(subset)), ("baseline", baseline(subset, k))):
            figures[name][who] = (adjusted_rand_score(truth, found), purity(truth, found), len(set(found)))
    return figures


def main() -> int:
    rows = load()
    print(f"{len(rows)} labelled comments, {len({row['theme'] for row in rows})} true themes, "
          f"{sum(language_of(row['comment']) != 'en' for row in rows)} not in English\n")
    print(f"{'set':<18} {'n':>4} | {'themes ARI':>10} {'purity':>7} {'groups':>6} | "
          f"{'baseline ARI':>12} {'purity':>7} {'groups':>6}")
    for name, result in measure().items():
        themes = SUBSETS[name]
        n = sum(themes is None or row["theme"] in themes for row in rows)
        (ari, pur, groups), (b_ari, b_pur, b_groups) = result["themes"], result["baseline"]
        print(f"{name:<18} {n:>4} | {ari:>10.3f} {pur:>7.3f} {groups:>6} | {b_ari:>12.3f} {b_pur:>7.3f} {b_groups:>6}")

    subset = rows
    comments = [Comment(i, row["comment"], language_of(row["comment"])) for i, row in enumerate(subset)]
    print("\nThe themes of the whole set, largest first (label: commonest true theme, its share):")
    for group in find_themes(comments, max_themes=12).groups:
        truth = Counter(subset[i]["theme"] for i, _ in group.members)
        theme, n = truth.most_common(1)[0]
        print(f"  {len(group.members):>3}  {group.label:<28} {theme} {n / len(group.members):.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
