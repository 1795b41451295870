"""Errors a service raises for the caller's mistakes, and their HTTP answers.

Services know nothing of HTTP; these exceptions carry what a client needs to
fix the request, and ``register_error_handlers`` renders them in the
contract's JSON shape. A database constraint that trips (two clients racing
for the same unique name) becomes a 409, never a 500.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import IntegrityError
from werkzeug.http import HTTP_STATUS_CODES

from ..extensions import db

log = logging.getLogger(__name__)


class ServiceError(Exception):
    code = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None, headers=None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}


class NotFound(ServiceError):
    code = 404


class Invalid(ServiceError):
    """A field's value breaks a rule that needs the database (or other fields) to check."""

    code = 422

    def __init__(self, field: str, message: str):
        super().__init__(f"Invalid {field}: {message}", {field: [message]})


class Conflict(ServiceError):
    code = 409


class Forbidden(ServiceError):
    code = 403


def error_body(code: int, message: str, errors: dict | None = None) -> dict:
    body = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error"), "message": message}
    if errors:
        body["errors"] = errors
    return body


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        db.session.rollback()
        response = jsonify(error_body(error.code, error.message, error.errors))
        response.status_code = error.code
        response.headers.update(error.headers)
        return response

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):
        db.session.rollback()
        log.info("integrity error answered with 409: %s", error.orig)
        response = jsonify(
            error_body(409, "This conflicts with something already stored (a duplicate?). Nothing was changed.")
        )
        response.status_code = 409
        return response
