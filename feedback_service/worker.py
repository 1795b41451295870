"""The RQ worker process, inside the app context."""

from __future__ import annotations

import logging
import os

import redis
from flask import current_app
from rq import Queue, Worker

from .extensions import db
from .tasks.sweep import schedule_next_sweep, sweep_pending

log = logging.getLogger(__name__)


def _worker_connection() -> redis.Redis:
    # Not the app's short-timeout client: the worker blocks on BLPOP for long
    # stretches by design. Connects still fail fast.
    return redis.Redis.from_url(
        current_app.config["REDIS_URL"],
        socket_connect_timeout=current_app.config["REDIS_CONNECT_TIMEOUT"] * 4,
        health_check_interval=30,
    )


def run_worker(*, burst: bool = False) -> int:
    """Sweep, then work the app's queues until stopped (or drained, with ``burst``)."""
    engine = db.engine
    # A forked work horse must not share the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    connection = _worker_connection()
    queues = [Queue(name, connection=connection) for name in current_app.config["RQ_QUEUES"]]
    swept = sweep_pending(grace_seconds=0 if burst else None)
    log.info("worker starting on %s; sweep found %d pending", [q.name for q in queues], swept)
    if not burst:
        schedule_next_sweep()
    worker = Worker(queues, connection=connection)
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    return 0
