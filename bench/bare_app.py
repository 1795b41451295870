"""The baseline of the submission benchmark: the floor any Python service pays.

A bare Flask app with one route, ``POST /w/<pk>/responses``, that stores the
same ``response`` row the service stores (touchpoint_id, survey_version_id,
metric, score, comment, context JSON, idempotency_key, sentiment_status,
created_at, updated_at, organization_id, source, request_digest) with one
``INSERT … SELECT … RETURNING id`` over a pooled psycopg 3 connection
(psycopg_pool, one pool per gunicorn worker), and answers 201 ``{"id": …}``.

No ORM, no schema library, no tenant filter, no rate limiter, no customer
lookup, no scoring hand-over: only what any endpoint that accepts this answer
must do (parse the JSON, check the score is an integer, find the touchpoint by
its key, insert, commit, answer JSON).

Run: ``DATABASE_URL=postgresql://… gunicorn bare_app:app --pythonpath bench``.
The URL may carry ``?options=-csearch_path%3D<schema>`` like the service's.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

app = Flask(__name__)

_INSERT = """
INSERT INTO response (touchpoint_id, survey_version_id, metric, score, comment, context,
                      idempotency_key, sentiment_status, created_at, updated_at,
                      organization_id, source, request_digest)
SELECT t.id, t.current_survey_version_id, sv.metric, %(score)s, %(comment)s, %(context)s,
       %(key)s, %(status)s, %(now)s, %(now)s, t.organization_id, 'widget', %(digest)s
FROM touchpoint AS t JOIN survey_version AS sv ON sv.id = t.current_survey_version_id
WHERE t.publishable_key = %(pk)s AND t.archived_at IS NULL
RETURNING id
"""

_pool: ConnectionPool | None = None
_pool_pid: int | None = None


def _conninfo() -> str:
    url = os.environ["DATABASE_URL"]
    # The service's SQLAlchemy spelling; libpq wants the plain scheme.
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pool() -> ConnectionPool:
    """One pool per worker process, made after gunicorn forks."""
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        size = int(os.environ.get("BARE_POOL_SIZE", "4"))
        _pool = ConnectionPool(_conninfo(), min_size=1, max_size=size, open=True)
        _pool_pid = os.getpid()
    return _pool


@app.post("/w/<pk>/responses")
def submit(pk: str):
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or type(body.get("score")) is not int:
        return jsonify(message="score must be an integer"), 422
    comment = (body.get("comment") or "").strip() or None
    context = body.get("context") or {}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    now = datetime.now(UTC)
    params = {
        "pk": pk, "score": body["score"], "comment": comment, "context": Jsonb(context),
        "key": request.headers.get("Idempotency-Key"), "now": now, "digest": digest,
        "status": "pending" if comment else "skipped",
    }
    with pool().connection() as conn:  # commits on leaving the block
        row = conn.execute(_INSERT, params).fetchone()
    if row is None:
        return jsonify(message="No survey for this key."), 404
    return jsonify(id=row[0]), 201
