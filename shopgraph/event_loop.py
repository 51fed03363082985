"""The event loop of the processes that run without uvicorn (`shopgraph worker`).

uvicorn runs the serving processes on uvloop where it is installed; the saga workers
run on it too. They spend their time in what an event loop does per event (waking on a
socket, reading, writing, scheduling the next step), and asyncio's own loop does that in
Python: in profiles of a checkout's saga it was the larger part of each worker's CPU.
Where uvloop does not install (Windows, PyPy), asyncio's loop runs instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`, on uvloop when it is there."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
