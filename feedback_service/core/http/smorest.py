"""The flask-smorest ``Api`` with the contract's error shape for every error.

Every 4xx and 5xx, raised anywhere in the app (unknown routes and wrong methods
included), answers ``{"code", "status", "message", "errors"?}``. webargs nests
field errors under the request location (``{"json": {"score": [...]}}``); the
contract names fields directly, so locations are folded away here.
"""

from __future__ import annotations

import json
import math

import flask
import flask_smorest
from webargs.core import missing
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import HTTPException

from .rate_limit import retry_after_seconds

_DEFAULT_MESSAGES = {
    400: "The request could not be understood.",
    404: "Nothing is here. Check the URL and the id.",
    405: "This route does not accept that method.",
    413: "The request body is too large.",
    415: "Send the body as JSON with 'Content-Type: application/json'.",
    422: "Some fields are not valid; see 'errors'.",
    429: "Too many requests; wait and retry.",
    500: "Something went wrong on our side. It has been logged; please retry.",
}


def _flatten_locations(messages: dict) -> dict:
    """``{"json": {"a": [...]}, "query": {"b": [...]}}`` -> ``{"a": [...], "b": [...]}``."""
    flat: dict = {}
    for location, errors in messages.items():
        if location in {"json", "query", "form", "headers", "view_args", "files"}:
            if isinstance(errors, dict):
                flat.update(errors)
            else:
                flat["body" if location == "json" else location] = errors
        else:
            flat[location] = errors
    return flat


class Api(flask_smorest.Api):
    def handle_http_exception(self, error: HTTPException):
        payload = {"code": error.code, "status": error.name}
        headers: dict = {}
        data = getattr(error, "data", None) or {}
        message = data.get("message")
        errors = data.get("errors")
        if errors is None and "messages" in data:
            errors = _flatten_locations(data["messages"])
            if errors.get("body") == ["Invalid JSON body."]:
                message = "The request body is not valid JSON."
        if message is None:
            default = _DEFAULT_MESSAGES.get(error.code or 500)
            # Werkzeug's own descriptions are fine for codes we have no text for;
            # for 500 we never echo internals.
            message = default or error.description or error.name
        payload["message"] = message
        if errors:
            payload["errors"] = errors
        headers.update(data.get("headers") or {})
        if error.code == 429:
            headers["Retry-After"] = str(retry_after_seconds())
        response_headers = error.get_headers() if error.code == 405 else []
        for name, value in response_headers:
            if name.lower() == "allow":
                headers["Allow"] = value
        return payload, error.code, headers


def strict_json(text: str | bytes):
    """JSON as the standard has it: Python's parser also takes NaN, Infinity and numbers
    too big for a float (as infinity), which no database column and no consumer can read."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")

    def refuse(token: str):
        raise json.JSONDecodeError(f"{token} is not a JSON number", text, 0)

    def finite(number: str) -> float:
        value = float(number)
        if math.isinf(value):
            refuse(number)
        return value

    return json.loads(text, parse_constant=refuse, parse_float=finite)


class JsonBodyParser(FlaskParser):
    """webargs' parser, with strict JSON; a body nested too deep for Python's JSON parser
    (a RecursionError, not a decode error) gets the same 400 as malformed JSON.

    webargs excludes unknown query parameters by default, overriding the schema;
    ``None`` lets our schemas' ``unknown = RAISE`` decide, so ``?touchpointid=1``
    is a 422 naming it instead of a silently unfiltered list.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None}

    def load_json(self, req: flask.Request, schema):
        if not is_json_request(req):
            return missing
        body = req.get_data(cache=True)
        if not body:
            return missing
        try:
            return strict_json(body)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            abort(400, exc=error, messages={"json": ["Invalid JSON body."]})


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with that parser: use it for every API blueprint."""

    ARGUMENTS_PARSER = JsonBodyParser()

    def arguments(self, schema, *args, **kwargs):
        # webargs makes a new instance of a schema class for every request it parses;
        # schemas keep no state between loads, so one instance serves them all.
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)
