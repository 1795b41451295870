"""Flask's signed-cookie session, with what a request without a session costs taken out.

Flask builds the session's serializer on every request, cookie or not; that
was 3% of the CPU of a widget answer, which carries no cookie at all. The
serializer depends only on the secret key (and its fallbacks), so it is kept
until they change. A request that sends no cookie has no session to read, so
none is parsed; a session nobody touched has nothing to save, so the cookie's
seven settings are not looked up for it.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializer: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app: Flask):
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._serializer
        if cached is None or cached[0] != keys:
            cached = self._serializer = (keys, super().get_signing_serializer(app))
        return cached[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()  # what Flask returns when the cookie is missing
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not (session or session.modified or session.accessed):
            return  # Flask would neither set nor delete a cookie, nor vary on it
        super().save_session(app, session, response)
