"""Operators' and integrators' entry points: the health check, the OpenAPI document, the docs UI."""

from __future__ import annotations

import re

from feedback_service import create_app
from feedback_service.extensions import db


def test_healthz_reports_database_and_inline_queue(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "inline"}


def test_healthz_needs_no_key(client):
    assert client.get("/healthz", headers={"Authorization": "Bearer nonsense"}).status_code == 200


def _app_with_redis(app_config, url):
    # Flask-Limiter keeps its storage on the process-wide extension object; keep
    # it in memory so the other tests' limiter does not follow this app's Redis.
    return create_app({**app_config, "REDIS_URL": url, "RATELIMIT_STORAGE_URI": "memory://"})


def test_healthz_reports_the_queue_ok_when_redis_answers(app_config, redis_url):
    redis_app = _app_with_redis(app_config, redis_url)

    body = redis_app.test_client().get("/healthz").get_json()
    with redis_app.app_context():
        db.engine.dispose()

    assert body == {"status": "ok", "database": "ok", "queue": "ok"}


def test_healthz_reports_degraded_when_redis_is_down(app_config):
    redis_app = _app_with_redis(app_config, "redis://127.0.0.1:1/0")  # nothing listens on port 1

    response = redis_app.test_client().get("/healthz")
    with redis_app.app_context():
        db.engine.dispose()

    # Still serving: answers are stored, scoring waits for the sweep.
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "database": "ok", "queue": "unavailable"}


# --- OpenAPI ------------------------------------------------------------------------

def openapi(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def documented_routes(app) -> set[tuple[str, str]]:
    """Every (method, OpenAPI path) the app serves under /api/v1 and /w/, but the docs themselves."""
    routes = set()
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not (path.startswith("/api/v1/") or path.startswith("/w/")):
            continue
        if path.startswith("/api/v1/docs") or path == "/api/v1/openapi.json":
            continue
        openapi_path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path)
        routes |= {(method.lower(), openapi_path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def test_the_openapi_document_is_openapi_3(client):
    document = openapi(client)

    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] and document["info"]["version"]


def test_the_openapi_document_lists_every_api_route_and_method(app, client):
    paths = openapi(client)["paths"]

    served = documented_routes(app)
    documented = {(method, path) for path, operations in paths.items() for method in operations
                  if method in {"get", "post", "put", "patch", "delete"}}
    assert {"/api/v1/journeys", "/api/v1/touchpoints/{touchpoint_id}", "/api/v1/responses",
            "/api/v1/customers/{customer_id}", "/api/v1/api-keys"} <= set(paths)
    assert served - documented == set()


def test_the_openapi_document_declares_bearer_keys_for_the_management_api(client):
    document = openapi(client)

    schemes = document["components"]["securitySchemes"]
    bearer_schemes = [name for name, scheme in schemes.items()
                      if scheme["type"] == "http" and scheme["scheme"] == "bearer"]
    assert bearer_schemes
    assert any(requirement.keys() & set(bearer_schemes) for requirement in document["security"])


def test_the_openapi_document_describes_the_error_shape(client):
    document = openapi(client)

    assert "code" in document["components"]["schemas"]["Error"]["properties"]
    assert "422" in document["paths"]["/api/v1/journeys"]["post"]["responses"]


# --- docs UI ------------------------------------------------------------------------

def test_the_docs_ui_is_html_that_loads_the_openapi_document(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "/api/v1/openapi.json" in response.get_data(as_text=True)


def test_the_docs_ui_assets_are_served_locally(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)

    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert asset.startswith("/api/v1/docs/assets/"), f"{asset} would load from elsewhere"
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.data) > 1000


def test_an_unknown_docs_asset_is_404(client):
    assert client.get("/api/v1/docs/assets/no-such-file.js").status_code == 404
