"""The three survey metrics and the wording a survey starts with.

CSAT 1–5, NPS 0–10, CES 1–7 agreement with "… made it easy …": each metric's
scale, its low scores, its top box and its delighted scores (``Metric``). Built-in wording exists for
a few languages so a survey is localised before anyone translates it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    low: int
    high: int
    # Scores at or below this are "low": a different comment prompt, a follow-up, a detractor.
    low_score_max: int
    # Scores at or above this are the top box: satisfied (CSAT 4-5), promoters (NPS 9-10),
    # "easy" (CES 5-7); the headline is their share.
    top_box_min: int
    # Scores at or above this are delighted: the best a customer can give (CSAT 5, CES 7), and
    # for NPS every promoter (9-10). A delighted answer with no negative comment is low priority.
    delighted_min: int

    def in_scale(self, score: int) -> bool:
        return self.low <= score <= self.high

    def is_low(self, score: int) -> bool:
        return score <= self.low_score_max

    def is_top_box(self, score: int) -> bool:
        return score >= self.top_box_min

    def is_delighted(self, score: int) -> bool:
        return score >= self.delighted_min

    def scale(self) -> dict:
        """What a client needs to draw the scale."""
        return {"min": self.low, "max": self.high, "low_score_max": self.low_score_max}


METRICS: dict[str, Metric] = {
    "csat": Metric("csat", 1, 5, low_score_max=2, top_box_min=4, delighted_min=5),
    "nps": Metric("nps", 0, 10, low_score_max=6, top_box_min=9, delighted_min=9),
    "ces": Metric("ces", 1, 7, low_score_max=3, top_box_min=5, delighted_min=7),
}

LANGUAGES = ("en", "de", "fr", "es", "nl")

DEFAULT_TEXTS: dict[str, dict[str, dict[str, object]]] = {
    "en": {
        "csat": {
            "question": "How satisfied are you with your experience?",
            "labels": {"1": "Very dissatisfied", "5": "Very satisfied"},
        },
        "nps": {
            "question": "How likely are you to recommend us to a friend or colleague?",
            "labels": {"0": "Not at all likely", "10": "Extremely likely"},
        },
        "ces": {
            "question": "The company made it easy for me to handle my issue.",
            "labels": {"1": "Strongly disagree", "7": "Strongly agree"},
        },
        "comment_prompt": "What is the main reason for your score?",
        "low_score_prompt": "We are sorry. What should we have done better?",
    },
    "de": {
        "csat": {
            "question": "Wie zufrieden sind Sie mit Ihrer Erfahrung?",
            "labels": {"1": "Sehr unzufrieden", "5": "Sehr zufrieden"},
        },
        "nps": {
            "question": "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
            "labels": {"0": "Überhaupt nicht wahrscheinlich", "10": "Äußerst wahrscheinlich"},
        },
        "ces": {
            "question": "Das Unternehmen hat es mir leicht gemacht, mein Anliegen zu erledigen.",
            "labels": {"1": "Stimme überhaupt nicht zu", "7": "Stimme voll zu"},
        },
        "comment_prompt": "Was ist der wichtigste Grund für Ihre Bewertung?",
        "low_score_prompt": "Das tut uns leid. Was hätten wir besser machen sollen?",
    },
    "fr": {
        "csat": {
            "question": "Dans quelle mesure êtes-vous satisfait de votre expérience ?",
            "labels": {"1": "Très insatisfait", "5": "Très satisfait"},
        },
        "nps": {
            "question": "Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue ?",
            "labels": {"0": "Pas du tout probable", "10": "Très probable"},
        },
        "ces": {
            "question": "L'entreprise m'a facilité le traitement de ma demande.",
            "labels": {"1": "Pas du tout d'accord", "7": "Tout à fait d'accord"},
        },
        "comment_prompt": "Quelle est la raison principale de votre note ?",
        "low_score_prompt": "Nous en sommes désolés. Qu'aurions-nous dû mieux faire ?",
    },
    "es": {
        "csat": {
            "question": "¿Qué tan satisfecho está con su experiencia?",
            "labels": {"1": "Muy insatisfecho", "5": "Muy satisfecho"},
        },
        "nps": {
            "question": "¿Qué probabilidad hay de que nos recomiende a un amigo o colega?",
            "labels": {"0": "Nada probable", "10": "Muy probable"},
        },
        "ces": {
            "question": "La empresa me facilitó resolver mi gestión.",
            "labels": {"1": "Totalmente en desacuerdo", "7": "Totalmente de acuerdo"},
        },
        "comment_prompt": "¿Cuál es el motivo principal de su puntuación?",
        "low_score_prompt": "Lo sentimos. ¿Qué deberíamos haber hecho mejor?",
    },
    "nl": {
        "csat": {
            "question": "Hoe tevreden bent u over uw ervaring?",
            "labels": {"1": "Zeer ontevreden", "5": "Zeer tevreden"},
        },
        "nps": {
            "question": "Hoe waarschijnlijk is het dat u ons aanbeveelt aan een vriend of collega?",
            "labels": {"0": "Zeer onwaarschijnlijk", "10": "Zeer waarschijnlijk"},
        },
        "ces": {
            "question": "Het bedrijf maakte het mij gemakkelijk om mijn vraag af te handelen.",
            "labels": {"1": "Helemaal oneens", "7": "Helemaal eens"},
        },
        "comment_prompt": "Wat is de belangrijkste reden voor uw score?",
        "low_score_prompt": "Dat spijt ons. Wat hadden we beter moeten doen?",
    },
}

def base_language(language: str) -> str:
    return language.split("-")[0].lower()


def default_texts(metric: str, language: str) -> dict:
    """Default question, prompts and scale labels for a metric in a language (English fallback)."""
    texts = DEFAULT_TEXTS.get(base_language(language), DEFAULT_TEXTS["en"])
    return {
        "question": texts[metric]["question"],
        "comment_prompt": texts["comment_prompt"],
        "low_score_prompt": texts["low_score_prompt"],
        "scale_labels": dict(texts[metric]["labels"]),
    }
