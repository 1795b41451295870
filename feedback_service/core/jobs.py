"""Background work: RQ on Redis when ``REDIS_URL`` is set, in-process otherwise.

Services call ``enqueue_after_commit``; ``database.commit`` dispatches after the
transaction is durable. Dispatch never raises into the caller: a customer's
answer is already stored, and whatever could not be enqueued is still marked
pending in the database, where the worker's sweep finds it. In-process, a
request's jobs run once its response is sent (``_run_inline``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress
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
# A job that died holding its mark frees it after this long (the sweep catches up sooner).
MARK_TTL = 120


@dataclass(frozen=True)
class PendingJob:
    func: Callable[..., Any]
    args: tuple
    job_id: str | None = None
    queue: str = "default"
    # Jobs whose effect lives in the database keep no result in Redis; a unique
    # id is then free again the moment the job is done.
    result_ttl: int | None = None
    # A drain asked for by every request but done by one job at a time: its mark (see ``_ask_once``).
    once: str | None = None


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


def others_waiting() -> bool:
    """Other jobs are queued: a lingering job gives the worker back to them."""
    try:
        return any(get_queue(name).count for name in current_app.config["RQ_QUEUES"])
    except Exception:
        return True


def enqueue_after_commit(
    func: Callable[..., Any], *args: Any, job_id: str | None = None, queue: str = "default",
    result_ttl: int | None = None,
) -> None:
    """Ask for ``func(*args)`` once the current transaction commits."""
    after_commit(PendingJob(func, args, job_id, queue, result_ttl))


def after_commit(job: PendingJob) -> None:
    """``job`` once the current transaction commits (``enqueue_after_commit``, for a built job)."""
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
    elif job.once:
        _ask_once(job)
    else:
        _enqueue_rq(job)


def _ask_once(job: PendingJob) -> None:
    """Enqueue a drain unless one is already waiting or running.

    The job's mark is a key set with NX just before enqueueing, and deleted by
    the job (``release``) when it is done. A job releases its mark and then
    drains once more, so whatever a request committed before finding the mark
    taken is always taken too: that request committed before it looked, and the
    job looks again after the mark is gone.

    A busy web process does not ask Redis on every answer: having seen the mark
    taken (or taken it), it trusts that for ``DRAIN_MARK_MEMO_SECONDS``. That
    holds because ``release`` waits as long before the job's last look: an
    answer that skipped asking committed less than the memo after its process
    saw the mark, which was before the mark was given back.
    """
    mark = f"feedback:asked:{job.once}"
    memo = current_app.config["DRAIN_MARK_MEMO_SECONDS"]
    seen = _marks_seen()
    looked = time.monotonic()  # before asking: the mark was seen no earlier than this
    if memo and looked - seen.get(mark, -memo) < memo:
        return  # seen taken a moment ago: its drain has yet to look for the last time
    try:
        if not redis_connection().set(mark, "1", nx=True, ex=MARK_TTL):
            seen[mark] = looked
            return  # a drain is waiting or under way: it takes this commit too
    except Exception:
        log.warning("could not ask for %s; the sweep will", job.once, exc_info=True)
        return
    if _enqueue_rq(job):
        seen[mark] = looked
    else:
        with suppress(Exception):
            redis_connection().delete(mark)  # so the next request asks again


def _marks_seen() -> dict[str, float]:
    """When this process last saw each drain's mark taken (``time.monotonic``)."""
    return current_app.extensions.setdefault("feedback_redis", {}).setdefault("marks_seen", {})


def release(once: str) -> None:
    """The drain asked for under ``once`` is about to look one last time: later commits ask anew.

    Returns once the mark has been gone for ``DRAIN_MARK_MEMO_SECONDS``: by then
    every request that skipped asking because its process saw the mark a moment
    ago has committed, and the caller's last look finds its answer.
    """
    with suppress(Exception):
        redis_connection().delete(f"feedback:asked:{once}")
    _wait_out_memo(current_app.config["DRAIN_MARK_MEMO_SECONDS"])


def _wait_out_memo(seconds: float) -> None:
    if seconds:
        time.sleep(seconds)


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
    try:
        job.func(*job.args)
    except Exception:
        db.session.rollback()
        log.exception("in-process job %s%s failed; the sweep will retry", job.func.__name__, job.args)
