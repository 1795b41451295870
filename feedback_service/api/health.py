"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from ..core.jobs import redis_connection
from ..extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    status = {"status": "ok", "database": "ok", "queue": "inline"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        status["database"] = "unavailable"
        status["status"] = "degraded"
    if current_app.config.get("REDIS_URL"):
        try:
            redis_connection().ping()
            status["queue"] = "ok"
        except Exception:
            # Answers are still stored without Redis; scoring waits for the sweep.
            status["queue"] = "unavailable"
            status["status"] = "degraded"
    return status, 200 if status["database"] == "ok" else 503
