"""Background work: RQ on Redis when ``REDIS_URL`` is set, in-process otherwise.

Features ask for a job with ``after_commit``; ``database.commit`` dispatches it
once the transaction is durable, so a worker never looks for a row that is not
there yet and a rolled-back transaction enqueues nothing. Dispatch never raises
into the caller: the work is still marked pending in the database, where the
worker's sweep finds it. In-process, a request's jobs run once its response
has been sent (``_run_after_response``), so a customer never waits for them.

A drain (``per_window``) serves every change made in a short window with one
job: its RQ job id names the window, so RQ enqueues it once, and the job looks
one last time after its window has ended, when every change that found it
already enqueued has committed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from flask import after_this_request, current_app, g, has_request_context
from rq import Queue
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db

log = logging.getLogger(__name__)

FAILED_JOB_TTL = 7 * 24 * 3600
# A drain's window: changes committed within one share its job. Its last look waits for the
# window's end (and a margin for the clocks of other hosts), so this is also its longest wait.
DRAIN_WINDOW_SECONDS = 0.25
DRAIN_CLOCK_MARGIN_SECONDS = 0.05


@dataclass(frozen=True)
class PendingJob:
    func: Callable[..., Any]
    args: tuple = ()
    job_id: str | None = None
    queue: str = "default"
    # Jobs whose effect lives in the database keep no result in Redis; a unique
    # id is then free again the moment the job is done.
    result_ttl: int | None = None
    # A drain (``per_window``): its id and its one argument, the window's end, are given at dispatch.
    per_window: bool = False


def per_window(func: Callable[[float | None], Any]) -> PendingJob:
    """``func(window_end)``, once for every change committed in the current window.

    ``func`` drains everything pending, and once ``window_end`` (a Unix time) has
    passed, drains again (``after_window``): a change that found this window's
    job already enqueued committed before the window ended, so that last look
    takes it. In-process (no Redis) the job runs with ``None``: there is one
    drain per request, after its response.
    """
    return PendingJob(func, per_window=True, result_ttl=0)


def after_window(window_end: float | None) -> bool:
    """Wait for ``window_end`` (and the clock margin); True when the caller should drain once more."""
    if window_end is None:
        return False
    delay = window_end + DRAIN_CLOCK_MARGIN_SECONDS - time.time()
    if delay > 0:
        time.sleep(delay)
    return True


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
    after_commit(PendingJob(func, args, job_id, queue, result_ttl))


def after_commit(job: PendingJob) -> None:
    """``job`` once the current transaction commits."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, too, has a transaction to end
    pending = session.info.setdefault("pending_jobs", [])
    if job not in pending:
        pending.append(job)


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
    if not current_app.config.get("REDIS_URL"):
        _run_inline(job)
    elif job.per_window:
        _enqueue_for_window(job)
    else:
        _enqueue_rq(job)


def _enqueue_for_window(job: PendingJob) -> None:
    """Enqueue the drain of the current window, unless this process already has.

    This process enqueued it (or found it enqueued) earlier in the window: that
    job's last look, after the window, takes this commit too. Remembering so
    saves a Redis round trip on every answer but the first of each window.
    """
    window = int(time.time() // DRAIN_WINDOW_SECONDS)
    name = f"{job.func.__module__}.{job.func.__name__}"
    enqueued = current_app.extensions.setdefault("feedback_drain_windows", {})
    if enqueued.get(name) == window:
        return
    window_end = (window + 1) * DRAIN_WINDOW_SECONDS
    job_id = f"{name.replace('.', '-')}-window-{window}"  # RQ ids are letters, digits, - and _
    if _enqueue_rq(PendingJob(job.func, (window_end,), job_id, job.queue, job.result_ttl)):
        enqueued[name] = window


def _enqueue_rq(job: PendingJob) -> bool:
    """Enqueue on RQ; True when the job is (now, or already) queued."""
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
        return True  # already queued under the same id: that job will do this work
    except Exception:
        log.warning("could not enqueue %s%s; the sweep will retry", job.func.__name__, job.args, exc_info=True)
        return False
    return True


def _run_inline(job: PendingJob) -> None:
    """The same function the worker runs, in this process: after the response is sent, in a request.

    A customer's answer is stored and committed by then; their request does not
    wait for routing, scoring or a slow webhook receiver. The server runs the
    job when it closes the response, after the last byte went out.
    """
    if not has_request_context():
        _run_now(job)
        return
    deferred = g.get("_jobs_after_response")
    if deferred is None:
        try:
            after_this_request(_run_after_response)
        except AssertionError:  # the response is built already (a commit in teardown): no later than now
            _run_now(job)
            return
        deferred = g._jobs_after_response = []
    deferred.append(job)


def _run_after_response(response):
    jobs, app = g.pop("_jobs_after_response", []), current_app._get_current_object()

    def run() -> None:
        # The request's contexts are gone by the time the server closes the response.
        with app.app_context():
            try:
                for job in jobs:
                    _run_now(job)
            finally:
                db.session.remove()

    response.call_on_close(run)
    return response


def _run_now(job: PendingJob) -> None:
    # On a fresh transaction, after the caller's commit.
    args = (None,) if job.per_window else job.args
    try:
        job.func(*args)
    except Exception:
        db.session.rollback()
        log.exception("in-process job %s%s failed; the sweep will retry", job.func.__name__, args)
