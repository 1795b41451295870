"""The worker process, inside the app context: RQ on Redis, or the in-process clock without it.

The worker sweeps when it starts, then its own loop is the clock of the
periodic jobs (``schedule.PERIODIC_JOBS``): every ``SWEEP_INTERVAL`` seconds
it books each under an id naming the interval, so any number of workers book
one run between them, and a Redis that comes back empty loses at most one
interval's booking (see docs/decisions/0002-the-worker-is-the-clock.md).

RQ's work loop gives up when Redis goes away in the middle of a job; this
process waits for Redis instead, sweeps (Redis may be back empty), and works on.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from contextlib import suppress

import redis
from flask import current_app
from rq import Queue, Worker
from rq.exceptions import DuplicateJobError

from ..collection.jobs import sweep_pending_answers
from ..extensions import db
from ..sentiment import rules as sentiment
from ..webhooks.jobs import sweep_due_deliveries
from .schedule import PERIODIC_JOBS, run_periodic_jobs

log = logging.getLogger(__name__)

PERIODIC_FAILURE_TTL = 3600
# While Redis is away, try it again at least this often (RQ would back off to a minute).
REDIS_RETRY_MAX_SECONDS = 2.0


def _worker_connection() -> redis.Redis:
    # Not the app's short-timeout client: the worker blocks on BLPOP for long
    # stretches by design (RQ sets a read timeout a little above its dequeue
    # timeout). Connects still fail fast.
    return redis.Redis.from_url(
        current_app.config["REDIS_URL"],
        socket_connect_timeout=current_app.config["REDIS_CONNECT_TIMEOUT"] * 4,
        health_check_interval=30,
    )


class ClockWorker(Worker):
    """RQ's forking worker, booking the periodic jobs from its own loop.

    RQ calls ``heartbeat()`` on every turn of its dequeue loop and after every
    job; the dequeue timeout is capped at the sweep interval so an idle worker
    turns at least that often. Without an interval (``--burst``) it books none.
    """

    max_connection_wait_time = REDIS_RETRY_MAX_SECONDS

    def __init__(self, *args, sweep_interval: int | None, **kwargs):
        # Set before Worker.__init__, which reads dequeue_timeout.
        self.sweep_interval = max(1, int(sweep_interval)) if sweep_interval else None
        self.stop_requested = False
        self._clock_pid = os.getpid()
        self._next_sweep = time.monotonic() + (self.sweep_interval or 0)
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        if self.sweep_interval is None:
            return super().dequeue_timeout
        return max(1, min(self.worker_ttl - 15, self.sweep_interval))

    def heartbeat(self, timeout: int | None = None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        # Only the worker itself keeps the clock: never a work horse, never inside a pipeline.
        if (self.sweep_interval and pipeline is None and os.getpid() == self._clock_pid
                and time.monotonic() >= self._next_sweep):
            self._next_sweep = time.monotonic() + self.sweep_interval
            self.book_sweep()

    def book_sweep(self) -> None:
        """Enqueue this interval's periodic jobs; several workers share one id per job and interval."""
        bucket = int(time.time()) // self.sweep_interval
        queue = Queue(self.queues[0].name, connection=self.connection)
        for job in PERIODIC_JOBS:
            try:
                queue.enqueue(job.func, job_id=f"periodic-{job.name.replace('.', '-')}-{bucket}", unique=True,
                              result_ttl=0, failure_ttl=PERIODIC_FAILURE_TTL)
            except DuplicateJobError:
                pass  # another worker booked this interval's
            except redis.RedisError:
                log.warning("could not book the periodic jobs; trying again in %ss", self.sweep_interval,
                            exc_info=True)
                return

    def handle_warm_shutdown_request(self):
        self.stop_requested = True
        super().handle_warm_shutdown_request()


def _sweep_safely(grace_seconds: int | None = None) -> int | None:
    """Sweep now; a database or Redis that is away is logged, and the next sweep tries again."""
    try:
        swept = sweep_pending_answers(grace_seconds=grace_seconds)
        sweep_due_deliveries()
        return swept
    except Exception:
        log.warning("sweep failed; the periodic sweep will try again", exc_info=True)
        return None
    finally:
        db.session.remove()


def _abandon(worker: Worker) -> None:
    """What RQ's teardown could not do with Redis gone: stop the pubsub thread."""
    thread = getattr(worker, "pubsub_thread", None)
    if thread is not None:
        with suppress(Exception):
            thread.stop()


def _wait_for_redis(connection: redis.Redis) -> bool:
    """Ping until Redis answers (True), or until SIGTERM/SIGINT asks us to stop (False)."""
    stop = []

    def request_stop(signum, frame):
        stop.append(signum)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        delay = 0.5
        while not stop:
            with suppress(redis.RedisError):
                connection.ping()
                return True
            time.sleep(delay)
            delay = min(delay * 2, REDIS_RETRY_MAX_SECONDS)
        return False
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_worker(*, burst: bool = False) -> int:
    """Sweep, then work the app's queues until stopped (or drained, with ``burst``)."""
    if not current_app.config.get("REDIS_URL"):
        return run_without_redis(burst=burst)
    engine = db.engine
    # A forked work horse must not share the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    # Every job runs in a fork of this process: what scoring needs (VADER's lexicon,
    # py3langid's model) is loaded once, here, not in each job. A horse leaves what it
    # inherited out of its garbage collector's passes: a full pass over the whole app
    # would be slow, and would write to pages the horse otherwise shares with this process.
    sentiment.preload()
    os.register_at_fork(after_in_child=gc.freeze)
    connection = _worker_connection()
    queues = [Queue(name, connection=connection) for name in current_app.config["RQ_QUEUES"]]
    if burst:
        # Once, all of it (as without Redis): every pending answer, then emails, SLA, digests,
        # webhooks and retention; the queues are drained below.
        swept = sweep_pending_answers(grace_seconds=0)
        run_periodic_jobs()
        db.session.remove()
    else:
        swept = _sweep_safely()
    log.info("worker starting on %s; sweep found %s pending", [q.name for q in queues], swept)
    while True:
        worker = None
        try:
            worker = ClockWorker(queues, connection=connection,
                                    sweep_interval=None if burst else current_app.config["SWEEP_INTERVAL"])
            worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
        except redis.RedisError:
            if burst:
                raise
            log.warning("the worker lost Redis", exc_info=True)
            if worker is not None:
                _abandon(worker)
        if burst or (worker is not None and worker.stop_requested):
            return 0
        log.warning("the worker stopped without being asked to (Redis away?); waiting for Redis to work on")
        if not _wait_for_redis(connection):
            return 0
        _sweep_safely()  # Redis may be back empty: whatever is still pending goes back on the queue


def run_without_redis(*, burst: bool = False) -> int:
    """No Redis, no queue: this process is the clock of the periodic sweep.

    Requests already run their jobs in-process once their answer is sent; what
    they cannot do is come back later. So this sweeps on start and every
    ``SWEEP_INTERVAL`` seconds (``--burst``: once, taking everything pending),
    and whatever a sweep finds runs right here: webhook and email retries, the
    SLA check, event retention, answers a request left unscored.
    """
    interval = max(1, int(current_app.config["SWEEP_INTERVAL"]))
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("no REDIS_URL: sweeping every %ss in this process, jobs run here", interval)
    try:
        while True:
            try:
                if burst:
                    sweep_pending_answers(grace_seconds=0)
                run_periodic_jobs()
            except Exception:
                log.warning("sweep failed; trying again in %ss", interval, exc_info=True)
            finally:
                db.session.remove()
            if burst or stop.wait(interval):
                return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
