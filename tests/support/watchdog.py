"""A hung test fails alone, with the asyncio tasks it left behind printed.

pytest-timeout arms a timer per test (setup, call and teardown together). Its own
handler prints thread stacks, which for an asyncio suite show only the event loop's
`select`; this one prints every pending task's stack too, which names the coroutine that
is stuck, then fails the test so the rest of the run goes on.
"""

from __future__ import annotations

import asyncio
import io
import signal
import threading
from collections.abc import AsyncIterator
from types import FrameType
from typing import Any

import pytest


def _pending_tasks() -> str:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return "(no event loop running)\n"
    report = io.StringIO()
    for task in asyncio.all_tasks(loop):
        report.write(f"--- {task.get_name()}: {task.get_coro()!r}\n")
        task.print_stack(file=report)
    return report.getvalue()


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None  # pytest-timeout's own thread method

    def on_timeout(signum: int, frame: FrameType | None) -> None:
        terminal = item.config.get_terminal_writer()
        terminal.sep("+", title=f"Timeout: {item.nodeid}")
        terminal.write(_pending_tasks())
        terminal.sep("+", title="Timeout")
        pytest.fail(f"Timeout: {item.nodeid} ran longer than {settings.timeout:g} s")

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # type: ignore[attr-defined]
    signal.signal(signal.SIGALRM, on_timeout)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True


@pytest.fixture(autouse=True)
async def _no_tasks_left_behind(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A test (with its fixtures) stops every task it started.

    One left running shares the session's event loop, Postgres and Redis with the tests
    after it: a leftover consumer would take their events. So the leftovers are stopped
    here, and the test that left them fails, naming them.
    """
    from domains.kit.app import stop_tasks

    before = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)
    current = asyncio.current_task()
    left = [task for task in asyncio.all_tasks() - before if task is not current]
    left = [task for task in left if not task.done()]
    if not left:
        return
    names = ", ".join(f"{task.get_name()} ({task.get_coro()!r})" for task in left)
    survivors = await stop_tasks(left)
    pytest.fail(
        f"{request.node.nodeid} left tasks running: {names}"
        + (f"; {len(survivors)} would not stop" if survivors else "")
    )
