"""``worker``: the RQ worker of the app's queues, or the in-process clock without Redis."""

from __future__ import annotations

import sys

import click
import redis
from flask.cli import with_appcontext

from ..worker.process import run_worker


@click.command("worker")
@click.option("--burst", is_flag=True, help="Sweep once, drain the queues, then exit.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker, with its scheduler, on every queue of the app.

    Without REDIS_URL there is no queue: requests run their jobs in-process, and
    this keeps the periodic sweep (retries, SLA checks, retention) in this process.
    """
    try:
        sys.exit(run_worker(burst=burst))
    except redis.RedisError as error:  # only --burst gives up on Redis; a long-running worker waits for it
        raise click.ClickException(
            f"Redis is not answering at REDIS_URL ({error}). Start it, or unset REDIS_URL to run the "
            "sweep and its jobs in this process.") from None
