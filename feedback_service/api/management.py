"""The management API's blueprint factory: every blueprint it makes requires an API key."""

from __future__ import annotations

from ..core.http.smorest import Blueprint
from .auth import authenticate_api_key


def management_blueprint(name: str, import_name: str, *, description: str) -> Blueprint:
    blueprint = Blueprint(name, import_name, url_prefix="/api/v1", description=description)
    blueprint.before_request(authenticate_api_key)
    return blueprint
