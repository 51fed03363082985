"""SIGTERM drains the gateway's subscriptions before the server closes their sockets.

uvicorn, on SIGTERM, closes WebSockets itself (1012) and waits for streaming responses
to end before the app's lifespan shutdown runs, so an open SSE stream would hold the
process forever and a WebSocket would never hear 1001. While the app runs, the signal
first has the hub tell every connection goodbye, and reaches the server's own handler
once they have gone (or the hub's drain time is up).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from gateway.subscriptions.hub import SubscriptionHub


@contextlib.contextmanager
def drain_on_sigterm(hub: SubscriptionHub) -> Iterator[None]:
    previous = signal.getsignal(signal.SIGTERM)
    # Only a server that handles SIGTERM itself (uvicorn) is chained; signals are only
    # set from the main thread.
    if not callable(previous) or threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    draining: set[asyncio.Task[None]] = set()

    def start_draining(signum: int, frame: FrameType | None) -> None:
        if draining or hub.draining:
            previous(signum, frame)  # a second signal: the server's own, at once
            return
        task = loop.create_task(hub.drain())
        draining.add(task)
        # The server's handler once every connection has said goodbye (or drain gave up).
        task.add_done_callback(lambda _task: previous(signum, frame))

    def handler(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(start_draining, signum, frame)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is handler:
            signal.signal(signal.SIGTERM, previous)
