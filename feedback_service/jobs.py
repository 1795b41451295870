"""Background work: RQ on Redis when ``REDIS_URL`` is set, in-process otherwise.

Services call ``enqueue_after_commit``; ``database.commit`` dispatches after the
transaction is durable. Dispatch never raises into the caller: a customer's
answer is already stored, and whatever could not be enqueued is still marked
pending in the database, where the worker's sweep finds it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import current_app
from rq import Queue
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

log = logging.getLogger(__name__)

FAILED_JOB_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class PendingJob:
    func: Callable[..., Any]
    args: tuple
    job_id: str | None = None
    queue: str = "default"
    # Jobs whose effect lives in the database keep no result in Redis; a unique
    # id is then free again the moment the job is done.
    result_ttl: int | None = None


def redis_connection() -> redis.Redis | None:
    """The app's Redis client (one per app), with short timeouts; None when not configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    ext = current_app.extensions.setdefault("feedback_redis", {})
    if "client" not in ext:
        ext["client"] = redis.Redis.from_url(
            url,
            socket_timeout=current_app.config["REDIS_SOCKET_TIMEOUT"],
            socket_connect_timeout=current_app.config["REDIS_CONNECT_TIMEOUT"],
            health_check_interval=30,
        )
    return ext["client"]


def get_queue(name: str = "default") -> Queue:
    connection = redis_connection()
    if connection is None:
        raise RuntimeError("REDIS_URL is not set; there is no queue")
    return Queue(name, connection=connection)


def enqueue_after_commit(
    func: Callable[..., Any], *args: Any, job_id: str | None = None, queue: str = "default",
    result_ttl: int | None = None,
) -> None:
    """Ask for ``func(*args)`` once the current transaction commits."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, too, has a transaction to end
    session.info.setdefault("pending_jobs", []).append(PendingJob(func, args, job_id, queue, result_ttl))


@event.listens_for(Session, "after_soft_rollback")
def _forget_jobs_of_rolled_back_work(session: Session, previous_transaction) -> None:
    # A job asked for by work that was rolled back must not run with a later
    # commit. A savepoint rolled back inside the transaction leaves them be.
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop("pending_jobs", None)


def dispatch_pending() -> None:
    for job in db.session.info.pop("pending_jobs", []):
        dispatch(job)


def dispatch(job: PendingJob) -> None:
    if current_app.config.get("REDIS_URL"):
        _enqueue_rq(job)
    else:
        _run_inline(job)


def _enqueue_rq(job: PendingJob) -> None:
    try:
        options = {"result_ttl": job.result_ttl} if job.result_ttl is not None else {}
        get_queue(job.queue).enqueue(
            job.func,
            *job.args,
            job_id=job.job_id,
            unique=job.job_id is not None,
            failure_ttl=FAILED_JOB_TTL,
            **options,
        )
    except DuplicateJobError:
        pass  # already queued under the same id: that job will do this work
    except Exception:
        log.warning("could not enqueue %s%s; the sweep will retry", job.func.__name__, job.args, exc_info=True)


def _run_inline(job: PendingJob) -> None:
    # The same function the worker runs, on a fresh transaction, after the caller's commit.
    try:
        job.func(*job.args)
    except Exception:
        db.session.rollback()
        log.exception("in-process job %s%s failed; the sweep will retry", job.func.__name__, job.args)
