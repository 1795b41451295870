"""Private servers and real worker processes for the fault-injection tests.

Nothing here touches the machine's shared Redis (6379) or PostgreSQL (5432):
every fault is injected into a server of our own, started on a free loopback
port in a temporary directory and always torn down.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]

# Comments every one of which VADER scores (each has a word of the English
# hint list, so none is skipped as "not English"), varied like real ones.
_OPENINGS = ["The delivery was quick and the box was intact.", "I waited too long and nobody answered.",
             "The staff were kind and very helpful.", "Checkout was confusing and the coupon failed.",
             "It was fine, nothing special.", "We loved the new filters, thanks!",
             "The parcel arrived late and it was damaged.", "Great prices, I will buy again."]
_CLOSINGS = ["Order {n}.", "Ticket {n}, please call me.", "Customer since {n}.", "Ref {n}."]


def comment(n: int) -> str:
    """A distinct English comment for submission number ``n``."""
    return f"{_OPENINGS[n % len(_OPENINGS)]} {_CLOSINGS[n % len(_CLOSINGS)].format(n=n)}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float, interval: float = 0.05, what: str = "condition"):
    """Poll until ``predicate()`` is truthy; return its value, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


# --- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """A private ``redis-server`` without persistence: a restart is an empty Redis."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.frozen = False
        self._log = None

    def start(self) -> None:
        assert self.process is None, "already running"
        self._log = open(self.directory / f"redis-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", str(self.directory)],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=0.5)
        try:
            wait_for(lambda: self._pings(client), timeout=10, what=f"redis-server on port {self.port}")
        finally:
            client.close()

    def _pings(self, client: redis.Redis) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server exited with {self.process.returncode}; see {self._log.name}")
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Shut it down (SIGTERM, then SIGKILL); its data is gone."""
        if self.process is None:
            return
        if self.frozen:
            self.thaw()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None
        self._log.close()

    def freeze(self) -> None:
        """``kill -STOP``: the port still accepts connections, nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)
        self.frozen = False

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=2)


# --- PostgreSQL ----------------------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise AssertionError("PostgreSQL's initdb is not installed (apt-get install postgresql)")
    return Path(initdb).parent


class PostgresCluster:
    """A private PostgreSQL cluster (trust auth, loopback only) we may restart at will."""

    def __init__(self):
        self.bin = _pg_bin()
        self.port = free_port()
        # initdb refuses to run as root: the cluster belongs to the postgres user,
        # in a directory of its own that it can reach (pytest's tmp dirs are 0700 root).
        self.as_root = os.geteuid() == 0
        self.directory = Path(tempfile.mkdtemp(prefix="feedback-faults-pg-"))
        self.data = self.directory / "data"
        self.logfile = self.directory / "server.log"
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        os.chmod(self.directory, 0o700)
        self.started = False

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        result = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.logfile.read_text() if self.logfile.exists() else ""
            raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                                 f"{result.stderr}\n{log[-3000:]}")
        return result

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync", "--no-instructions")

    def _pg_ctl(self, action: str, *extra: str) -> None:
        # No durability is needed: fsync off keeps the restarts and the backlog loads quick.
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-o", options,
                  "-w", "-t", "60", action, *extra)

    def start(self) -> None:
        self._pg_ctl("start")
        self.started = True

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: every open connection is terminated, and nothing connects."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "stop", "-m", "fast")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every open connection is terminated."""
        self._pg_ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        try:
            if self.started:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30", "stop", "-m",
                          "immediate")
                self.started = False
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return self.url(database, driver="postgresql")


# --- Worker processes ----------------------------------------------------------------------


def worker_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "FLASK_APP", "FEEDBACK_ENV"}}
    env.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "fault-tests",
                "PYTHONUNBUFFERED": "1", **extra})
    return env


def flask(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"flask {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgid) of a process, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def is_dead(pid: int) -> bool:
    stat = _proc_stat(pid)
    return stat is None or stat[0] in ("Z", "X")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat is not None and stat[1] == pid and stat[0] not in ("Z", "X"):
                found.append(int(entry))
    return found


_BATCH_LINE = re.compile(r"scored a batch of (\d+) responses")


class WorkerProcess:
    """``flask --app wsgi worker [--burst]`` as a real process, its output in a file."""

    def __init__(self, env: dict, log_path: Path, *, burst: bool = False):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *(["--burst"] if burst else [])]
        # A session of its own: its process group is its pid, and killing it
        # leaves pytest alone.
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.pid = self.process.pid
        self.killed_horses: list[int] = []

    def alive(self) -> bool:
        return self.process.poll() is None

    def horses(self) -> list[int]:
        """RQ's work horses: children of the worker that left its process group (os.setpgrp).

        The scheduler, also a child, stays in the worker's group."""
        return [pid for pid in children(self.pid) if (stat := _proc_stat(pid)) and stat[2] != self.pid]

    def kill_hard(self) -> list[int]:
        """SIGKILL the worker's process group and its horse's, back to back; wait until all are gone."""
        horses = self.horses()
        for pgid in (self.pid, *horses):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        wait_for(lambda: all(is_dead(pid) for pid in horses), timeout=10, what=f"horses {horses} to die")
        self.killed_horses = horses
        return horses

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the worker did not finish within {timeout:.0f}s:\n{self.output()[-4000:]}")

    def terminate(self, timeout: float = 20) -> int | None:
        """SIGTERM (RQ's warm shutdown), then SIGKILL for whatever is left. Safe to call twice."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self._kill_leftovers()
        if not self._log.closed:
            self._log.close()
        return self.process.returncode

    def _kill_leftovers(self) -> None:
        horses = self.horses() if self.alive() else []
        for pgid in (self.pid, *horses):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def batch_writes(self) -> list[int]:
        """The row counts of the batches this worker committed, from its 'scored a batch of N' lines."""
        return [int(n) for n in _BATCH_LINE.findall(self.output())]
