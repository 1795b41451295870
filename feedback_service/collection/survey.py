"""The survey as a customer meets it: in the best language it has for them, with the right prompt."""

from __future__ import annotations

from ..journeys.surveys import METRICS
from ..journeys.widget_texts import ui_texts
from ..models import Customer, Touchpoint
from .fatigue import is_suppressed


def survey_for(touchpoint: Touchpoint, *, customer: Customer | None, languages: list[str]) -> dict:
    """What a widget or hosted page shows, in the best language it has for this customer."""
    version = touchpoint.survey
    texts, language = localised_texts(version, languages)
    # The widget's own words come with the wording: from the translation shown, or the survey itself.
    given = (version.ui_texts if language == version.language
             else (version.translations.get(language) or {}).get("texts"))
    metric = METRICS[version.metric]
    return {
        "touchpoint": {"name": touchpoint.name},
        "survey": {
            "version": version.version,
            "metric": version.metric,
            "scale": metric.scale(),
            **texts,
            "language": language,
            "texts": ui_texts(language, given),
        },
        "trigger": touchpoint.trigger,
        # Anonymous visitors are throttled by the widget itself, for this many days.
        "fatigue_days": touchpoint.fatigue_days,
        "suppressed": is_suppressed(touchpoint, customer),
    }


def localised_texts(version, languages: list[str]) -> tuple[dict, str]:
    """The survey's wording in the first wanted language it has a translation for, and that language."""
    texts = {
        "question": version.question,
        "comment_prompt": version.comment_prompt,
        "low_score_prompt": version.low_score_prompt,
        "scale_labels": version.scale_labels,
    }
    for wanted in languages:
        if wanted.split("-")[0].lower() == version.language.split("-")[0].lower():
            break  # the survey's own language comes before any translation
        match = _match_translation(wanted, version.translations)
        if match:
            # The translation's widget words ("texts") are ui_texts' business, not wording.
            texts.update({k: v for k, v in version.translations[match].items() if k in texts and v is not None})
            return texts, match
    return texts, version.language


def _match_translation(wanted: str, translations: dict) -> str | None:
    if wanted in translations:
        return wanted
    base = wanted.split("-")[0]
    for language in translations:
        if language.split("-")[0] == base:
            return language
    return None


def follow_up_prompt(survey, metric: str, score: int, languages: list[str] = ()) -> str:
    """The question after the score: the low-score prompt for a low score, when there is one.

    ``survey`` is the survey version answered.
    """
    texts, _ = localised_texts(survey, list(languages))
    if METRICS[metric].is_low(score) and texts["low_score_prompt"]:
        return texts["low_score_prompt"]
    return texts["comment_prompt"]
