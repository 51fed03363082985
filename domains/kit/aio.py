"""Small rules for the long-running loops of background workers."""

from __future__ import annotations

import asyncio


def raise_if_stopping(error: BaseException) -> None:
    """Call in the `except Exception` of a worker loop that retries on failure.

    When the task is being cancelled, the exception in hand is what a library made of
    the cancellation (asyncpg, SQLAlchemy and redis-py each turn a cancelled operation
    into an error of their own at times). Retrying would swallow the cancellation and
    the worker would outlive its shutdown: stop instead.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError from error


def stop_if_cancelled() -> None:
    """Call at the top of each round of a worker loop.

    A library that swallows a cancellation outright (asyncpg and SQLAlchemy do, in
    parts of their connection clean-up) leaves the task marked as cancelling with no
    CancelledError in flight. The loop would then run on, every later timeout inside
    it being read as an ordinary timeout, and its shutdown would never finish.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
