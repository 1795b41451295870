"""The method on constructed comments: themes separated and labelled readably, deterministic,
and comments in other languages grouped apart without breaking anything."""

from __future__ import annotations

from feedback_service.themes.clustering import LANGUAGE, TOPIC, Comment, find_themes, terms_of

from .comments import ELSEWHERE, FREE_SHIPPING, HOLD_TIME


def english(texts: list[str], start: int = 0) -> list[Comment]:
    return [Comment(start + i, text, "en") for i, text in enumerate(texts)]


def test_a_free_shipping_group_and_a_hold_time_group_are_separated_and_labelled_readably():
    comments = english(FREE_SHIPPING) + english(HOLD_TIME, start=100)

    found = find_themes(comments)

    topics = [g for g in found.groups if g.kind == TOPIC]
    assert len(topics) == 2
    by_label = {g.label: {comment_id for comment_id, _ in g.members} for g in topics}
    shipping = next(ids for label, ids in by_label.items() if "free shipping" in label)
    hold = next(ids for label, ids in by_label.items() if "hold" in label)
    assert shipping == set(range(len(FREE_SHIPPING)))
    assert hold == set(range(100, 100 + len(HOLD_TIME)))
    assert found.unthemed == []
    # Members strongest first: the examples a page shows are the most typical.
    for group in topics:
        weights = [weight for _, weight in group.members]
        assert weights == sorted(weights, reverse=True)


def test_the_same_comments_give_the_same_themes():
    comments = english(FREE_SHIPPING) + english(HOLD_TIME, start=100)

    first, second = find_themes(comments), find_themes(list(comments))

    assert [(g.label, g.members, g.terms) for g in first.groups] == [(g.label, g.members, g.terms)
                                                                      for g in second.groups]


def test_comments_in_other_languages_neither_break_it_nor_join_the_english_themes():
    comments = english(FREE_SHIPPING) + english(HOLD_TIME, start=100)
    comments += [Comment(200 + i, text, language) for i, (text, language) in enumerate(ELSEWHERE)]
    # Three more in German: enough for a group of their own.
    comments += [Comment(300 + i, text, "de") for i, text in enumerate(
        ["Die Lieferung kam zu spät", "Der Karton war kaputt", "Falsche Größe geliefert"])]

    found = find_themes(comments)

    german = [g for g in found.groups if g.kind == LANGUAGE]
    assert [(g.label, g.language, len(g.members)) for g in german] == [("Comments in German", "de", 6)]
    english_ids = set(range(len(FREE_SHIPPING))) | set(range(100, 100 + len(HOLD_TIME)))
    for group in found.groups:
        if group.kind == TOPIC:
            assert {comment_id for comment_id, _ in group.members} <= english_ids | {207, 208}
    # Japanese (two: too few for a group), Spanish, French: unthemed, not forced into a topic.
    assert {203, 204, 205, 206} <= set(found.unthemed)
    assignment = found.assignment()
    assert set(assignment) == {c.id for c in comments}


def test_any_text_at_all_is_taken_without_an_error():
    odd = ["", " ", "!!!", "12345", "😀", "a", "ok", "x" * 5000, "サイズ", "\u200b", "né", "l'été", "don't"]

    for size in range(len(odd) + 1):
        found = find_themes([Comment(i, text) for i, text in enumerate(odd[:size])])
        assert set(found.assignment()) == set(range(size))
    # Unknown language: a comment mostly in another script is not read as English.
    found = find_themes([Comment(i, "配達が遅れました") for i in range(5)])
    assert [g.kind for g in found.groups] == [] and len(found.unthemed) == 5


def test_terms_are_content_words_and_their_pairs():
    assert terms_of("The free shipping codes didn't work!") == ["free", "shipping", "code", "work", "free shipping",
                                                                "shipping code", "code work"]
    assert terms_of("Größe falsch, サイズ") == ["größe", "falsch", "サイズ", "größe falsch", "falsch サイズ"]
