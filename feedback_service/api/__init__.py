"""The HTTP API: the management API under /api/v1 (API key) and the public widget routes under /w.

Adapters only: each view parses with a schema, calls one feature function and
shapes the answer; the error contract is ``core.http.smorest``'s.

May import: schemas, features, core, models, extensions, config.
"""

from __future__ import annotations

from flask import Flask

from ..core.http.smorest import Api

api = Api()


def register_api(app: Flask) -> None:
    from . import (
        alerts,
        api_keys,
        audits,
        backlog,
        docs,
        events,
        exports,
        follow_ups,
        health,
        journeys,
        organization,
        responses,
        teams,
        touchpoints,
        users,
        webhooks,
        widget,
    )

    api.init_app(app, spec_kwargs={"info": {"description": _DESCRIPTION}})
    api.spec.components.security_scheme(
        "ApiKey", {"type": "http", "scheme": "bearer", "description": "A secret key `sk_…`."}
    )
    api.spec.components.security_scheme(
        "EditToken", {"type": "http", "scheme": "bearer", "description": "The `edit_token` of a new response."}
    )
    api.spec.options["security"] = [{"ApiKey": []}]
    for module in (organization, teams, users, journeys, touchpoints, responses, follow_ups, events, webhooks,
                   exports, api_keys, alerts, audits, backlog, widget):
        api.register_blueprint(module.blp)
    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)


_DESCRIPTION = (
    "Collect feedback at every touchpoint of the customer journey and close the loop on it. "
    "Management routes take `Authorization: Bearer sk_…`. Errors are "
    '`{"code", "status", "message", "errors"}`; lists are `{"data", "next_cursor"}`.'
)
