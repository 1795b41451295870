"""The management API's blueprint factory: every blueprint it makes requires an API key."""

from __future__ import annotations

import flask
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from ..auth import authenticate_api_key


class JsonBodyParser(FlaskParser):
    """webargs' parser, answering a body nested too deep for Python's JSON parser
    (a RecursionError, not a decode error) with the same 400 as malformed JSON."""

    def _raw_load_json(self, req: flask.Request):
        try:
            return super()._raw_load_json(req)
        except RecursionError as error:
            self._handle_invalid_json_error(error, req)


class ManagementBlueprint(Blueprint):
    ARGUMENTS_PARSER = JsonBodyParser()


def management_blueprint(name: str, import_name: str, *, description: str) -> Blueprint:
    blueprint = ManagementBlueprint(name, import_name, url_prefix="/api/v1", description=description)
    blueprint.before_request(authenticate_api_key)
    return blueprint
