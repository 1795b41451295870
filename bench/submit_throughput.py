#!/usr/bin/env python3
"""Submission throughput: the service's ``POST /w/{pk}/responses`` against a bare endpoint.

One run, one command (``.venv/bin/python bench/submit_throughput.py [--redis]``):

1. a fresh PostgreSQL schema in database ``test`` (search_path in the URL, as the
   tests do), migrated with ``flask db upgrade``; an organisation (``flask
   create-org``), a journey and a touchpoint (``POST /api/v1/…`` with its API key);
2. gunicorn serving the service (``bench/bench_wsgi.py``: the app with its rate
   limits raised out of the way) and gunicorn serving ``bench/bare_app.py`` (a bare
   Flask + psycopg_pool endpoint inserting the same row), same workers for both,
   on loopback ports;
3. for each: a warm-up, then full concurrency for a fixed time with ``wrk`` (closed
   loop: the peak requests/s, with p50/p99 at that load), then a constant rate of
   half the *service's* peak, offered open-loop by a small asyncio client whose
   latencies are measured from each request's scheduled send time, so queueing
   counts (no coordinated omission);
4. checks every answer was 201 and that the rows stored under each phase's
   idempotency keys equal its 201s; prints the table side by side with the ratio
   service/bare and PASS/FAIL against the targets (>= 0.5 of bare's requests/s;
   p99 < 50 ms at half the peak rate);
5. stops every process it started and drops the schema (and flushes the Redis db
   with ``--redis``), on success, failure or Ctrl-C.

Client and servers share this machine's cores (PostgreSQL too): wrk runs one
thread and the constant-rate client one process, so both apps pay the same tax.
Without ``wrk`` on PATH (Debian: ``apt-get install -y wrk``) the peak is found by
the same asyncio client in closed loop (``--loadgen python``), which is slower and
so caps lower.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent  # run with the project's venv python: its gunicorn and flask
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
HOST = "127.0.0.1"

# What the widget sends: a score, a comment, a customer reference and some context.
COMMENT = "Checkout was quick, but the delivery options were confusing."
SCORE = 4  # on every metric's scale (CSAT 1-5, NPS 0-10, CES 1-7)
# What a browser sends with the widget's fetch from the shop's page; the touchpoint allows the
# origin, so the service checks it and grants CORS as it would for a real page (bare ignores them).
ORIGIN = "https://shop.example"
BROWSER_HEADERS = {
    "Origin": ORIGIN, "Referer": f"{ORIGIN}/checkout", "Accept": "*/*", "Accept-Language": "en-GB,en;q=0.9",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
}

P99_TARGET_MS = 50.0
RATIO_TARGET = 0.5  # issue 14 (it was 0.6 until then)


# --------------------------------------------------------------------------- load

WRK_SCRIPT = r"""
-- POST a widget answer with a unique Idempotency-Key per request; count 201s.
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  prefix, path, score, customers, comment = args[1], args[2], tonumber(args[3]), tonumber(args[4]), args[5]
  browser = {}
  for i = 6, #args, 2 do browser[args[i]] = args[i + 1] end
  created, other, sent = 0, 0, 0
end

function request()
  counter = counter + 1
  sent = counter
  local body = string.format(
    '{"score":%d,"comment":"%s","customer":{"id":"c-%d"},"context":{"order_id":"A-%d-%d","page":"/checkout"}}',
    score, comment, counter % customers, tid, counter)
  local headers = {["Content-Type"] = "application/json", ["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter}
  for name, value in pairs(browser) do headers[name] = value end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o, s = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
    s = s + t:get("sent")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%.0f,"duration_us":%.0f,"created":%.0f,"other":%.0f,"sent":%.0f,"errors":%.0f,' ..
    '"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"max_us":%.0f}\n',
    summary.requests, summary.duration, c, o, s, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class Result:
    label: str
    seconds: float
    created: int = 0  # 201 answers
    other: int = 0  # any other status
    errors: Counter = field(default_factory=Counter)  # socket errors, timeouts
    latencies_ms: list[float] = field(default_factory=list)
    percentiles: dict[str, float] = field(default_factory=dict)  # when the tool gives them, not samples
    offered_rps: float | None = None
    sent: int | None = None  # requests written (wrk); None when every request was waited for
    rows: int | None = None  # rows stored under this phase's idempotency keys
    cpu_ms: dict[str, float] = field(default_factory=dict)  # "app", "db": CPU spent during the phase

    @property
    def rps(self) -> float:
        return self.created / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        key = f"p{p:g}"
        if key in self.percentiles:
            return self.percentiles[key]
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)  # nearest rank
        return ordered[min(len(ordered), max(1, math.ceil(p / 100 * len(ordered)))) - 1]

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def request_bytes(path: str, port: int, key: str, i: int, customers: int) -> bytes:
    body = json.dumps({"score": SCORE, "comment": COMMENT, "customer": {"id": f"c-{i % customers}"},
                       "context": {"order_id": f"A-{i}", "page": "/checkout"}}, separators=(",", ":")).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in BROWSER_HEADERS.items()) + "\r\n")
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response; (status, server will close the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    close = lines[0].startswith(b"HTTP/1.0")
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value == b"close"
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


class Connection:
    """One keep-alive connection; reconnects when the server closes (gunicorn sync workers do)."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def exchange(self, payload: bytes, timeout: float) -> int:
        for attempt in (1, 2):
            reused = self.writer is not None
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.wait_for(
                        asyncio.open_connection(HOST, self.port), timeout)
                self.writer.write(payload)
                status, close = await asyncio.wait_for(read_response(self.reader), timeout)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self.close()
                # A kept-alive connection the server had just timed out: retry once on a
                # new one (same Idempotency-Key, so it cannot store twice).
                if reused and attempt == 1:
                    continue
                raise exc
            except BaseException:
                self.close()
                raise
            if close:
                self.close()
            return status
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _open_loop(port: int, path: str, prefix: str, rate: float, seconds: float, connections: int,
                     customers: int, timeout: float) -> Result:
    """Offer ``rate`` requests/s on a fixed schedule; latency runs from the scheduled send time."""
    loop = asyncio.get_running_loop()
    total = max(1, int(rate * seconds))
    result = Result(prefix, seconds, offered_rps=rate)
    queue: asyncio.Queue = asyncio.Queue()
    start = loop.time() + 0.1

    async def schedule() -> None:
        for i in range(total):
            due = start + i / rate
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            queue.put_nowait((i, due))
        for _ in range(connections):
            queue.put_nowait(None)

    async def worker() -> None:
        conn = Connection(port)
        while (item := await queue.get()) is not None:
            i, due = item
            try:
                status = await conn.exchange(request_bytes(path, port, f"{prefix}-{i}", i, customers), timeout)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                result.errors[type(exc).__name__] += 1
                continue
            result.latencies_ms.append((loop.time() - due) * 1000)
            if status == 201:
                result.created += 1
            else:
                result.other += 1
        conn.close()

    await asyncio.wait_for(asyncio.gather(schedule(), *(worker() for _ in range(connections))),
                           seconds + timeout + 30)
    # Throughput over the schedule's span (the answers to its last sends arrive a little later).
    result.seconds = seconds
    return result


async def _closed_loop(port: int, path: str, prefix: str, seconds: float, connections: int,
                       customers: int, timeout: float) -> Result:
    """Fallback peak finder without wrk: each connection sends its next request when answered."""
    loop = asyncio.get_running_loop()
    result = Result(prefix, seconds)
    counter = iter(range(10**9))
    deadline = loop.time() + seconds

    async def worker() -> None:
        conn = Connection(port)
        while loop.time() < deadline:
            i = next(counter)
            sent = loop.time()
            try:
                status = await conn.exchange(request_bytes(path, port, f"{prefix}-{i}", i, customers), timeout)
            except Exception as exc:  # noqa: BLE001
                result.errors[type(exc).__name__] += 1
                continue
            result.latencies_ms.append((loop.time() - sent) * 1000)
            if status == 201:
                result.created += 1
            else:
                result.other += 1
        conn.close()

    began = loop.time()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(connections))), seconds + timeout + 30)
    result.seconds = loop.time() - began
    return result


def run_wrk(wrk: str, script: Path, port: int, path: str, prefix: str, seconds: float, connections: int,
            customers: int, timeout: float) -> Result:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", f"--timeout={timeout:g}s", "-s", str(script),
           f"http://{HOST}:{port}{path}", "--", prefix, path, str(SCORE), str(customers), COMMENT,
           *(part for header in BROWSER_HEADERS.items() for part in header)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout + 60)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(line[len("WRKJSON "):])
    result = Result(prefix, data["duration_us"] / 1e6, created=data["created"], other=data["other"],
                    sent=data["sent"])
    if data["errors"]:
        result.errors["wrk socket errors/timeouts"] = data["errors"]
    result.percentiles = {"p50": data["p50_us"] / 1000, "p90": data["p90_us"] / 1000,
                          "p99": data["p99_us"] / 1000, "p100": data["max_us"] / 1000}
    return result


# --------------------------------------------------------------------------- processes

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
    return found


def commit_latency(conninfo: str, commits: int = 500) -> tuple[float, float, float]:
    """p50, p99 and max milliseconds of a one-row INSERT committed on its own.

    Every submission waits for such a commit (its WAL flush), so a disk whose
    flushes now and then stall for 100 ms and more shows in both apps' tails:
    this tells a slow disk from a slow app.
    """
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS commit_probe (x int)")
        spent = []
        for _ in range(commits):
            start = time.perf_counter()
            conn.execute("INSERT INTO commit_probe VALUES (1)")
            spent.append((time.perf_counter() - start) * 1000)
        conn.execute("DROP TABLE commit_probe")
    spent.sort()
    return spent[len(spent) // 2], spent[int(len(spent) * 0.99)], spent[-1]


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="submit-bench-"))
        self.schema = f"bench_{uuid.uuid4().hex[:10]}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.schema_made = False
        pg = args.pg_url
        separator = "&" if "?" in pg else "?"
        self.pg_conninfo = f"{pg}{separator}options=-csearch_path%3D{self.schema}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FLASK_APP", "DATABASE_URL")}
        self.env.update({
            "DATABASE_URL": self.database_url("bench-cli"),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "FEEDBACK_ENV": "production",
            "PUBLIC_BASE_URL": f"http://{HOST}:{args.service_port}",
            "PYTHONUNBUFFERED": "1",
            # This tree's package first, whatever the venv's editable install points at.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        })
        if args.redis:
            self.env["REDIS_URL"] = args.redis_url

    def database_url(self, application_name: str) -> str:
        # application_name tells the apps' PostgreSQL backends apart, to count their CPU.
        return (self.pg_conninfo.replace("postgresql://", "postgresql+psycopg://", 1)
                + f"&application_name={self.schema}-{application_name}")

    # -- setup / teardown

    def create_schema(self) -> None:
        with psycopg.connect(self.args.pg_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        self.schema_made = True

    def flask(self, *argv: str) -> str:
        proc = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *argv], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"flask {' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def gunicorn(self, name: str, module: str, port: int) -> None:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
        except OSError:
            pass
        else:
            raise RuntimeError(f"something already listens on {HOST}:{port}: choose another --{name}-port")
        cmd = [str(BIN / "gunicorn"), module, "--pythonpath", str(BENCH), "--bind", f"{HOST}:{port}",
               "--workers", str(self.args.workers), "--worker-class", self.args.worker_class,
               "--log-level", "warning", "--graceful-timeout", "5"]
        if self.args.worker_class == "gthread":
            cmd += ["--threads", str(self.args.threads)]
        env = dict(self.env, DATABASE_URL=self.database_url(name),
                   BARE_POOL_SIZE=str(self.args.threads if self.args.worker_class == "gthread" else 1))
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - the child keeps its own copy
        # A session of its own: Ctrl-C reaches this script, which then stops the whole group.
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        self.procs[name] = proc
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited at start:\n{(self.tmp / f'{name}.log').read_text()}")
            try:
                socket.create_connection((HOST, port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{name} did not listen on {HOST}:{port} within 30 s")

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        self.procs.clear()

    def cleanup(self) -> None:
        try:
            self.stop_all()
        finally:
            try:
                if self.schema_made and not self.args.keep:
                    with psycopg.connect(self.args.pg_url, autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
                    self.schema_made = False
            finally:
                if self.args.redis and not self.args.keep:
                    import redis

                    client = redis.Redis.from_url(self.args.redis_url, socket_connect_timeout=2)
                    client.flushdb()
                    client.close()
                if not self.args.keep:
                    shutil.rmtree(self.tmp, ignore_errors=True)

    # -- measuring

    def cpu(self, name: str) -> dict[str, dict[int, float]]:
        """CPU so far of the app's gunicorn workers and of its PostgreSQL backends, per pid."""
        workers = {pid: cpu_seconds(pid) for pid in children(self.procs[name].pid)}
        with psycopg.connect(self.args.pg_url, autocommit=True) as conn:
            backends = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                                   (f"{self.schema}-{name}",))]
        return {"app": workers, "db": {pid: cpu_seconds(pid) for pid in backends}}

    def measured(self, name: str, phase) -> Result:
        """Run ``phase()`` and note the CPU the app and its database backends spent meanwhile."""
        before = self.cpu(name)
        result = phase()
        after = self.cpu(name)
        result.cpu_ms = {kind: 1000 * sum(t - before[kind].get(pid, 0.0) for pid, t in after[kind].items())
                         for kind in after}
        return result

    # -- data

    def api(self, method: str, path: str, token: str, body: dict) -> dict:
        req = urllib.request.Request(
            f"http://{HOST}:{self.args.service_port}{path}", method=method, data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read().decode(errors='replace')}") from None

    def check_cors_grant(self, path: str) -> None:
        """The answers the load sends take the browser's path: the origin checked, CORS granted."""
        req = urllib.request.Request(
            f"http://{HOST}:{self.args.service_port}{path}", method="POST", data=json.dumps({"score": SCORE}).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": f"cors-{uuid.uuid4().hex}",
                     **BROWSER_HEADERS})
        with urllib.request.urlopen(req, timeout=30) as answer:
            granted = answer.headers.get("Access-Control-Allow-Origin")
        if granted != ORIGIN:
            raise RuntimeError(f"the service did not grant CORS to {ORIGIN} (Access-Control-Allow-Origin: {granted})")

    def rows(self, prefix: str) -> int:
        with psycopg.connect(self.pg_conninfo) as conn:
            return conn.execute("SELECT count(*) FROM response WHERE idempotency_key LIKE %s",
                                (prefix + "-%",)).fetchone()[0]


# --------------------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or value != value else f"{value:,.{digits}f}"  # None, NaN -> "-"


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def median_round(results: list[Result]) -> Result:
    """The round whose requests/s is the median: its latencies go in the table."""
    return sorted(results, key=lambda r: r.rps)[(len(results) - 1) // 2]


def integrity_problems(name: str, phase: str, r: Result, connections: int) -> list[str]:
    problems = []
    if r.other or r.error_count:
        problems.append(f"{name} {phase}: {r.other} answers other than 201, {r.error_count} errors {dict(r.errors)}")
    if r.sent is None:
        if r.rows != r.created:
            problems.append(f"{name} {phase}: {r.created} x 201 but {r.rows} rows stored")
    else:
        # wrk stops with requests in flight (at most one per connection): the server stores
        # them, wrk never reads their 201. (wrk also builds one request per thread it never sends.)
        unanswered = r.sent - r.created - r.other
        if not r.created <= r.rows <= r.created + min(unanswered, connections):
            problems.append(f"{name} {phase}: {r.created} x 201 + {unanswered} in flight at stop, "
                            f"but {r.rows} rows stored")
    return problems


def cpu_per_request(results: list[Result], kind: str) -> float | None:
    created = sum(r.created for r in results)
    return sum(r.cpu_ms.get(kind, 0.0) for r in results) / created if created else None


def print_report(args, svc: dict[str, list[Result]], bare: dict[str, list[Result]], meta: dict) -> bool:
    ratios = [s.rps / b.rps if b.rps else 0.0 for s, b in zip(svc["peak"], bare["peak"])]
    ratio = median(ratios)
    svc_peak, bare_peak = median_round(svc["peak"]), median_round(bare["peak"])
    svc_half, bare_half = svc["half"][0], bare["half"][0]
    p99_half = svc_half.pct(99)
    # CPU per request, app + database: what the requests/s ratio tends to when the cores are
    # the bottleneck, and much less disturbed than requests/s by other load on the machine.
    cpu = {name: sum(cpu_per_request(phases["peak"], kind) or 0.0 for kind in ("app", "db"))
           for name, phases in (("service", svc), ("bare", bare))}
    cpu_ratio = cpu["bare"] / cpu["service"] if cpu["service"] else None
    ratio_ok = ratio >= RATIO_TARGET
    p99_ok = p99_half < P99_TARGET_MS
    integrity = []
    for name, phases in (("service", svc), ("bare", bare)):
        for phase, results in phases.items():
            for i, r in enumerate(results, 1):
                label = f"{phase} {i}" if len(results) > 1 else phase
                integrity += integrity_problems(name, label, r, args.connections)
    workers = f"{args.workers} {args.worker_class} workers" + (
        f" x {args.threads} threads" if args.worker_class == "gthread" else "")
    mode = f"REDIS_URL={args.redis_url} (scoring enqueued to RQ, limiter on Redis)" if args.redis else \
        "REDIS_URL unset (in-process scoring after commit, limiter in memory)"
    w = 36

    def row(label: str, s: str, b: str, extra: str = "") -> str:
        return f"{label:{w}}{s:>12}{b:>12}{extra:>14}"

    lines = [
        "",
        f"Submission throughput: POST /w/{{pk}}/responses, gunicorn {workers}, PostgreSQL {meta['pg']}",
        f"  {mode}",
        f"  full load: {meta['peak_tool']}, {args.connections} connections, {args.rounds} rounds of "
        f"{args.duration:g} s per app (alternating, after {args.warmup:g} s warm-up); median round shown",
        f"  half peak: open-loop asyncio client, {fmt(svc_half.offered_rps)} req/s (half the service's median peak) "
        f"for {args.duration:g} s, latency from each request's scheduled send",
        f"  {os.cpu_count()} cores shared by load generator, servers and PostgreSQL; "
        f"load average before the run {meta['load_before']:.2f}, after {os.getloadavg()[0]:.2f}"
        + ("  (other work on the machine: requests/s and latencies are disturbed; CPU per request much less)"
           if meta["load_before"] > 0.5 * (os.cpu_count() or 1) else ""),
        "  one-row commit on this PostgreSQL before the run, p50 / p99 / max: "
        + " / ".join(f"{ms:.2f}" for ms in meta["commits"]) + " ms"
        + ("  (the disk's flushes stall now and then: both apps' tails show it)"
           if meta["commits"][2] > P99_TARGET_MS else ""),
        "",
        row("", "service", "bare", "service/bare"),
        row("peak requests/s (median)", fmt(svc_peak.rps), fmt(bare_peak.rps), f"{ratio:.2f}"),
        *[row(f"  round {i}", fmt(s.rps), fmt(b.rps), f"{x:.2f}")
          for i, (s, b, x) in enumerate(zip(svc["peak"], bare["peak"], ratios), 1)],
        row("full load p50 (ms)", fmt(svc_peak.pct(50)), fmt(bare_peak.pct(50))),
        row("full load p99 (ms)", fmt(svc_peak.pct(99)), fmt(bare_peak.pct(99))),
        row("app CPU per request (ms)", fmt(cpu_per_request(svc["peak"], "app"), 2),
            fmt(cpu_per_request(bare["peak"], "app"), 2)),
        row("PostgreSQL CPU per request (ms)", fmt(cpu_per_request(svc["peak"], "db"), 2),
            fmt(cpu_per_request(bare["peak"], "db"), 2)),
        row("  capacity by CPU (bare CPU / service's)", "", "", fmt(cpu_ratio, 2)),
        row("half-peak offered req/s", fmt(svc_half.offered_rps), fmt(bare_half.offered_rps)),
        row("half-peak answered req/s", fmt(svc_half.rps), fmt(bare_half.rps)),
        row("half-peak p50 (ms)", fmt(svc_half.pct(50)), fmt(bare_half.pct(50))),
        row("half-peak p95 (ms)", fmt(svc_half.pct(95)), fmt(bare_half.pct(95))),
        row("half-peak p99 (ms)", fmt(svc_half.pct(99)), fmt(bare_half.pct(99))),
        row("201 answers (all phases)", f"{sum(r.created for rs in svc.values() for r in rs):,}",
            f"{sum(r.created for rs in bare.values() for r in rs):,}"),
        row("rows stored (all phases)", f"{sum(r.rows or 0 for rs in svc.values() for r in rs):,}",
            f"{sum(r.rows or 0 for rs in bare.values() for r in rs):,}"),
        row("  of which in flight at wrk's stop", f"{sum((r.rows or 0) - r.created for rs in svc.values() for r in rs):,}",
            f"{sum((r.rows or 0) - r.created for rs in bare.values() for r in rs):,}"),
        "",
        f"{'PASS' if ratio_ok else 'FAIL'}  requests/s service/bare = {ratio:.2f} (target >= {RATIO_TARGET})",
        f"{'PASS' if p99_ok else 'FAIL'}  service p99 at half peak = {fmt(p99_half)} ms (target < {P99_TARGET_MS:g} ms)",
        f"{'PASS' if not integrity else 'FAIL'}  every answer 201, rows stored = 201s (+ wrk's unread in-flight ones)",
        *[f"      {line}" for line in integrity],
        "",
    ]
    print("\n".join(lines), flush=True)
    return not integrity


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--redis", action="store_true", help=f"set REDIS_URL (default {DEFAULT_REDIS}); flushed at the end")
    p.add_argument("--redis-url", default=DEFAULT_REDIS)
    p.add_argument("--pg-url", default=DEFAULT_PG, help="server and database; a fresh schema is made in it")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured phase")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of full load per app before measuring")
    p.add_argument("--rounds", type=int, default=3, help="full-load rounds per app, alternating service and bare")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--worker-class", choices=("sync", "gthread"), default="sync")
    p.add_argument("--threads", type=int, default=4, help="threads per worker with --worker-class gthread")
    p.add_argument("--connections", type=int, default=16, help="connections at full load")
    p.add_argument("--half-connections", type=int, default=64, help="connections the open-loop client may use")
    p.add_argument("--customers", type=int, default=1000, help="distinct customer ids the requests cycle through")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds before a request counts as failed")
    p.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto", help="full-load generator")
    p.add_argument("--service-port", type=int, default=18701)
    p.add_argument("--bare-port", type=int, default=18702)
    p.add_argument("--keep", action="store_true", help="keep the schema, Redis data and logs (debugging)")
    args = p.parse_args(argv)
    if not (0 < args.duration <= 300 and 0 <= args.warmup <= 60 and 1 <= args.rounds <= 20):
        p.error("--duration must be in (0, 300], --warmup in [0, 60], --rounds in [1, 20]")
    if not (1 <= args.workers <= 32 and 1 <= args.threads <= 64 and 1 <= args.connections <= 1024
            and 1 <= args.half_connections <= 1024):
        p.error("workers, threads and connections out of range")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk") if args.loadgen in ("auto", "wrk") else None
    if args.loadgen == "wrk" and not wrk:
        print("wrk is not on PATH: apt-get install -y wrk (or --loadgen python)", file=sys.stderr)
        return 2
    load_before = os.getloadavg()[0]

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    # Ctrl-C stops the run even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    bench = Bench(args)
    script = bench.tmp / "submit.lua"
    script.write_text(WRK_SCRIPT)
    try:
        if args.redis:
            import redis

            client = redis.Redis.from_url(args.redis_url, socket_connect_timeout=2)
            client.ping()
            client.flushdb()
            client.close()
        bench.create_schema()
        print(f"schema {bench.schema}: migrating, creating an organisation", flush=True)
        bench.flask("db", "upgrade")
        org = json.loads(bench.flask("create-org", "Bench Org", "--admin-email", "bench@example.com", "--json")
                         .strip().splitlines()[-1])
        bench.gunicorn("service", "bench_wsgi:app", args.service_port)
        bench.gunicorn("bare", "bare_app:app", args.bare_port)
        journey = bench.api("POST", "/api/v1/journeys", org["api_key"], {"name": "Bench journey"})
        touchpoint = bench.api("POST", "/api/v1/touchpoints", org["api_key"],
                               {"journey_id": journey["id"], "name": "Checkout", "allowed_origins": [ORIGIN]})
        path = f"/w/{touchpoint['publishable_key']}/responses"
        bench.check_cors_grant(path)
        with psycopg.connect(bench.pg_conninfo) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
        commits = commit_latency(bench.pg_conninfo)

        def full_load(port: int, prefix: str, seconds: float) -> Result:
            if wrk:
                return run_wrk(wrk, script, port, path, prefix, seconds, args.connections, args.customers,
                               args.timeout)
            return asyncio.run(_closed_loop(port, path, prefix, seconds, args.connections, args.customers,
                                            args.timeout))

        def constant_rate(port: int, prefix: str, rate: float) -> Result:
            return asyncio.run(_open_loop(port, path, prefix, rate, args.duration, args.half_connections,
                                          args.customers, args.timeout))

        apps = {"service": (args.service_port, {}), "bare": (args.bare_port, {})}
        run = uuid.uuid4().hex[:6]
        for name, (port, phases) in apps.items():
            if args.warmup:
                print(f"{name}: warm-up {args.warmup:g} s", flush=True)
                phases["warm-up"] = [full_load(port, f"{run}-{name}-warm", args.warmup)]
            phases["peak"] = []
        for round_ in range(1, args.rounds + 1):
            order = ("service", "bare") if round_ % 2 else ("bare", "service")
            for name in order:
                port, phases = apps[name]
                result = bench.measured(name, lambda: full_load(port, f"{run}-{name}-peak{round_}", args.duration))
                phases["peak"].append(result)
                print(f"round {round_}: {name} {result.rps:,.1f} requests/s at full load", flush=True)
        rate = max(1.0, median([r.rps for r in apps["service"][1]["peak"]]) / 2)
        for name, (port, phases) in apps.items():
            print(f"{name}: {rate:,.1f} requests/s offered for {args.duration:g} s", flush=True)
            phases["half"] = [bench.measured(name, lambda: constant_rate(port, f"{run}-{name}-half", rate))]
        for name, (port, phases) in apps.items():
            for results in phases.values():
                for result in results:
                    result.rows = bench.rows(result.label)
        ok = print_report(args, apps["service"][1], apps["bare"][1],
                          {"pg": pg_version, "peak_tool": "wrk -t1" if wrk else "asyncio closed loop",
                           "load_before": load_before, "commits": commits})
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers and dropping the schema", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        try:
            bench.cleanup()
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if args.keep:
            print(f"kept: schema {bench.schema}, logs in {bench.tmp}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
