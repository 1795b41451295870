"""The three survey metrics: scales, default wording, and the headline maths.

CSAT 1–5 (share of 4–5), NPS 0–10 (% promoters 9–10 minus % detractors 0–6),
CES 1–7 agreement with "… made it easy …" (share of 5–7). Built-in wording
exists for a few languages so a survey is localised before anyone translates it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    name: str
    low: int
    high: int
    # Scores at or below this are "low": a different comment prompt, a follow-up.
    low_score_max: int

    def in_scale(self, score: int) -> bool:
        return self.low <= score <= self.high

    def is_low(self, score: int) -> bool:
        return score <= self.low_score_max

    def scale(self) -> dict:
        """What a client needs to draw the scale."""
        return {"min": self.low, "max": self.high, "low_score_max": self.low_score_max}


METRICS: dict[str, Metric] = {
    "csat": Metric("csat", 1, 5, low_score_max=2),
    "nps": Metric("nps", 0, 10, low_score_max=6),
    "ces": Metric("ces", 1, 7, low_score_max=3),
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

# Words of the widget itself, not of the survey: its buttons, what it says became of the score
# (saved, waiting to be sent, refused), and the announcement that it opened by itself. A survey
# may give its own (``SurveyVersion.ui_texts``, a translation's ``texts``); these fill in the rest.
UI_TEXTS: dict[str, dict[str, str]] = {
    "en": {"send": "Send", "close": "Close", "thanks": "Thank you for your feedback!",
           "skip": "No comment", "sent_score": "Thanks! Your score was saved.",
           "queued_score": "Your score could not be sent yet; it will be sent later.",
           "refused_score": "Sorry, your score could not be saved.",
           "opened": "A short survey opened at the end of this page."},
    "de": {"send": "Senden", "close": "Schließen", "thanks": "Vielen Dank für Ihr Feedback!",
           "skip": "Kein Kommentar", "sent_score": "Danke! Ihre Bewertung wurde gespeichert.",
           "queued_score": "Ihre Bewertung konnte noch nicht gesendet werden; sie wird später gesendet.",
           "refused_score": "Leider konnte Ihre Bewertung nicht gespeichert werden.",
           "opened": "Am Ende dieser Seite wurde eine kurze Umfrage geöffnet."},
    "fr": {"send": "Envoyer", "close": "Fermer", "thanks": "Merci pour votre avis !",
           "skip": "Pas de commentaire", "sent_score": "Merci ! Votre note a été enregistrée.",
           "queued_score": "Votre note n'a pas encore pu être envoyée ; elle le sera plus tard.",
           "refused_score": "Désolé, votre note n'a pas pu être enregistrée.",
           "opened": "Un court questionnaire s'est ouvert en bas de cette page."},
    "es": {"send": "Enviar", "close": "Cerrar", "thanks": "¡Gracias por su opinión!",
           "skip": "Sin comentario", "sent_score": "¡Gracias! Su puntuación se ha guardado.",
           "queued_score": "Su puntuación aún no se ha podido enviar; se enviará más tarde.",
           "refused_score": "Lo sentimos, no se pudo guardar su puntuación.",
           "opened": "Se ha abierto una breve encuesta al final de esta página."},
    "nl": {"send": "Verzenden", "close": "Sluiten", "thanks": "Bedankt voor uw feedback!",
           "skip": "Geen opmerking", "sent_score": "Bedankt! Uw score is opgeslagen.",
           "queued_score": "Uw score kon nog niet worden verzonden; hij wordt later verzonden.",
           "refused_score": "Helaas kon uw score niet worden opgeslagen.",
           "opened": "Onderaan deze pagina is een korte enquête geopend."},
}
UI_TEXT_KEYS = tuple(UI_TEXTS["en"])


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


def ui_texts(language: str, given: dict | None = None) -> dict[str, str]:
    """The widget's words in ``language``: those the survey gives, then the built-in ones, then English."""
    return {**UI_TEXTS["en"], **UI_TEXTS.get(base_language(language), {}),
            **{k: v for k, v in (given or {}).items() if k in UI_TEXTS["en"] and v}}


def headline(metric: str, scores: list[int]) -> float | None:
    """The metric's headline figure for these scores (None with no answers)."""
    n = len(scores)
    if n == 0:
        return None
    if metric == "csat":
        return round(100 * sum(1 for s in scores if s >= 4) / n, 1)
    if metric == "nps":
        promoters = sum(1 for s in scores if s >= 9)
        detractors = sum(1 for s in scores if s <= 6)
        return round(100 * (promoters - detractors) / n, 1)
    if metric == "ces":
        return round(100 * sum(1 for s in scores if s >= 5) / n, 1)
    raise ValueError(f"unknown metric {metric!r}")
