"""The widget's own words, beside the survey's: its buttons and what it says became of the score."""

from __future__ import annotations

from .surveys import base_language

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


def ui_texts(language: str, given: dict | None = None) -> dict[str, str]:
    """The widget's words in ``language``: those the survey gives, then the built-in ones, then English."""
    return {**UI_TEXTS["en"], **UI_TEXTS.get(base_language(language), {}),
            **{k: v for k, v in (given or {}).items() if k in UI_TEXTS["en"] and v}}
