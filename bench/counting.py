"""`shopgraph ...` with SQL statements and Redis round trips counted, for the bench.

    python -m bench.counting subgraph products --port 4001

Runs the shopgraph command line unchanged, after hooking every SQLAlchemy engine
(`before_cursor_execute`, one per statement sent) and redis-py's asyncio client (one
command or one pipeline is one round trip). The bench asks for the totals with
`fresh_counts(directory)`: it touches `$BENCH_COUNTS_DIR/wanted`, and a daemon thread
that looks at that file's time every 50 ms writes the totals to
`$BENCH_COUNTS_DIR/<BENCH_COUNTS_NAME>.json`. The bench so reads them without touching
the process, and takes the difference over a known number of requests. Writing only
when asked keeps the counting off the CPU the bench measures: files written 20 times a
second by each of a dozen busy processes showed in their profiles. A process forked
from it (`serve --workers N`) starts from zero and writes
`<BENCH_COUNTS_NAME>.<pid>.json`; `read_counts` adds them all up.
Counting costs an integer increment per statement, nothing on the wire.

Only what happens on behalf of an HTTP request is counted: the statements and commands
of tasks started while one is handled (a contextvar set around every Starlette app's
`__call__`, which dataloader batches inherit). The background workers (outbox relays
polling, consumers, samplers) run from the lifespan, outside any request, so their
traffic does not blur a count of a few requests. Redis stream commands (XREADGROUP,
XADD, XACK, ...) are counted apart as well.

With `BENCH_COUNTS_ALL=1` everything the process sends is counted, background work
included: the flash-sale bench runs each domain's workers in a process of their own and
reads, per domain, what the saga cost it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from redis.asyncio.client import Pipeline, Redis
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

_counts: Counter[str] = Counter()
_in_request: ContextVar[bool] = ContextVar("bench_in_request", default=False)


_count_everything = False


def _counted() -> bool:
    return _count_everything or _in_request.get()


def _install() -> None:
    starlette_call = Starlette.__call__

    async def within_request(self: Starlette, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await starlette_call(self, scope, receive, send)
        token = _in_request.set(True)
        try:
            return await starlette_call(self, scope, receive, send)
        finally:
            _in_request.reset(token)

    Starlette.__call__ = within_request  # type: ignore[method-assign]

    # SQLAlchemy runs the event in the greenlet of the awaiting task, with its context.
    @event.listens_for(Engine, "before_cursor_execute")
    def count_statement(*_args: Any) -> None:
        if _counted():
            _counts["sql"] += 1

    execute_command: Any = Redis.execute_command  # untyped in redis-py
    pipeline_execute = Pipeline.execute

    async def counted_command(self: Redis, *args: Any, **options: Any) -> Any:
        if _counted():
            name = str(args[0]).upper() if args else ""
            _counts["redis_streams" if name.startswith("X") else "redis"] += 1
        return await execute_command(self, *args, **options)

    async def counted_pipeline(self: Pipeline, raise_on_error: bool = True) -> Any:
        if _counted():
            _counts["redis"] += 1
        return await pipeline_execute(self, raise_on_error)

    # Pipeline defines its own execute_command (it queues); only its execute is a trip.
    Redis.execute_command = counted_command  # type: ignore[method-assign]
    Pipeline.execute = counted_pipeline  # type: ignore[method-assign]


WANTED = "wanted"
_WRITER_INTERVAL_SECONDS = 0.05


def _wanted_at(wanted: Path) -> int:
    try:
        return wanted.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _writer(path: Path) -> None:
    temporary = path.with_suffix(".tmp")
    wanted = path.parent / WANTED
    answered: int | None = None
    while True:
        asked = _wanted_at(wanted)
        if asked != answered:
            temporary.write_text(json.dumps(dict(_counts)))
            temporary.replace(path)
            answered = asked
        time.sleep(_WRITER_INTERVAL_SECONDS)


def fresh_counts(directory: Path) -> None:
    """Ask every counting process under `directory` for its totals, and wait until
    each has had the time to write them."""
    (directory / WANTED).write_text(str(time.time_ns()))
    time.sleep(3 * _WRITER_INTERVAL_SECONDS)


def read_counts(path: Path) -> dict[str, int]:
    """The counts of `<name>.json` and of every process forked from it."""
    total: Counter[str] = Counter()
    for file in [path, *path.parent.glob(f"{path.stem}.*.json")]:
        try:
            total.update({key: int(value) for key, value in json.loads(file.read_text()).items()})
        except (OSError, ValueError):
            continue
    return dict(total)


def _start_writer(path: Path) -> None:
    threading.Thread(target=_writer, args=(path,), daemon=True).start()


def main() -> int:
    directory = Path(os.environ["BENCH_COUNTS_DIR"])
    name = os.environ["BENCH_COUNTS_NAME"]
    global _count_everything
    _count_everything = os.environ.get("BENCH_COUNTS_ALL") == "1"
    _install()
    _start_writer(directory / f"{name}.json")

    def counting_in_child() -> None:
        # The writer thread does not survive a fork, and the parent's counts are its own.
        _counts.clear()
        _start_writer(directory / f"{name}.{os.getpid()}.json")

    os.register_at_fork(after_in_child=counting_in_child)
    from shopgraph.cli import main as shopgraph_main

    return shopgraph_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
