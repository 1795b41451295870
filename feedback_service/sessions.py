"""Flask's signed-cookie session, with its serializer made once per key.

Flask builds the session's serializer on every request, cookie or not; that
was 3% of the CPU of a widget answer, which carries no cookie at all. The
serializer depends only on the secret key (and its fallbacks), so it is kept
until they change.
"""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializer: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]
