"""`shopgraph ...` with SQL statements and Redis round trips counted, for the bench.

    python -m bench.counting subgraph products --port 4001

Runs the shopgraph command line unchanged, after hooking every SQLAlchemy engine
(`before_cursor_execute`, one per statement sent) and redis-py's asyncio client (one
command or one pipeline is one round trip). A daemon thread writes the totals to
`$BENCH_COUNTS_DIR/<BENCH_COUNTS_NAME>.json` every 50 ms, so the bench reads them
without touching the process; the bench takes the difference over a known number of
requests. A process forked from it (`serve --workers N`) starts from zero and writes
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


def _writer(path: Path) -> None:
    temporary = path.with_suffix(".tmp")
    written: dict[str, int] | None = None
    while True:
        # Only when something changed: a file written 20 times a second by each of a
        # dozen processes would itself be load on the machine the bench measures.
        now = dict(_counts)
        if now != written:
            temporary.write_text(json.dumps(now))
            temporary.replace(path)
            written = now
        time.sleep(0.05)


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
