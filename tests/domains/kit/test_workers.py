"""Background workers stop when their block ends, however they treat cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from domains.kit import app as kit_app
from domains.kit.app import run_workers, stop_tasks
from domains.kit.events import Consumer, Relay
from domains.kit.resources import Resources


async def _stubborn(absorbed: list[int]) -> None:
    """Absorbs its first cancellation (what asyncio.wait_for does on 3.11 in a race)."""
    while True:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            if absorbed:
                raise
            absorbed.append(1)


async def test_a_worker_that_absorbs_one_cancellation_is_cancelled_again() -> None:
    absorbed: list[int] = []

    task = asyncio.create_task(_stubborn(absorbed))
    await asyncio.sleep(0)

    survivors = await stop_tasks([task])

    assert survivors == []
    assert absorbed == [1]
    assert task.cancelled()


async def test_a_worker_that_never_stops_is_reported_and_left(
    resources: Resources, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(kit_app, "WORKER_STOP_ROUND_SECONDS", 0.01)
    release = asyncio.Event()

    async def deaf(_resources: Resources) -> None:
        while True:
            try:
                await release.wait()
                return
            except asyncio.CancelledError:
                continue

    try:
        async with run_workers([deaf], resources):
            await asyncio.sleep(0)
    finally:
        release.set()

    assert "background worker deaf ignored cancellation" in caplog.text


async def test_a_worker_that_failed_is_logged_at_shutdown(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_resources: Resources) -> None:
        raise RuntimeError("no such stream")

    async with run_workers([broken], resources):
        await asyncio.sleep(0)

    assert "background worker broken failed" in caplog.text
    assert "no such stream" in caplog.text


class _CancellationTurnsIntoAnError:
    """What asyncpg, SQLAlchemy or redis-py do at times when an operation in flight is
    cancelled: raise an error of their own instead of CancelledError."""

    entered: asyncio.Event

    async def _operation(self) -> None:
        self.entered.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("connection was closed in the middle of operation") from None


class _FragileRelay(_CancellationTurnsIntoAnError, Relay):
    async def relay_once(self) -> int:
        await self._operation()
        return 0


class _FragileConsumer(_CancellationTurnsIntoAnError, Consumer):
    async def ensure_groups(self) -> None:
        await self._operation()


def _products_worker(
    resources: Resources, kind: str, relay: type[Relay], consumer: type[Consumer]
) -> Any:
    """The products domain's relay or consumer, made of one of the classes above."""
    from domains.products.consumers import subscriptions
    from domains.products.models import EVENT_TABLES

    if kind == "relay":
        return relay(resources, EVENT_TABLES, producer="products")
    return consumer(
        resources, EVENT_TABLES, group="products", subscriptions=subscriptions(resources)
    )


async def _cancelled_once(worker: Any) -> tuple[asyncio.Task[None], bool]:
    """Run `worker` until its library is at work, cancel it once; the task, and whether
    it stopped within a bound (it is stopped for good afterwards either way)."""
    worker.entered = asyncio.Event()
    task = asyncio.create_task(worker.run())
    await worker.entered.wait()

    task.cancel()
    done, _ = await asyncio.wait([task], timeout=5)
    await stop_tasks([task])  # should the worker have run on, end the runaway loop
    return task, task in done


@pytest.mark.parametrize("kind", ["relay", "consumer"])
async def test_a_worker_stops_when_a_library_turns_its_cancellation_into_an_error(
    resources: Resources, kind: str
) -> None:
    worker = _products_worker(resources, kind, _FragileRelay, _FragileConsumer)

    task, stopped = await _cancelled_once(worker)

    assert stopped, f"the {kind} retried instead of stopping"
    assert task.cancelled()


async def test_a_worker_of_several_loops_stops_even_if_one_absorbs_a_cancellation() -> None:
    from domains.kit.events.workers import run_together

    absorbed: list[int] = []

    task = asyncio.create_task(run_together(_stubborn(absorbed), asyncio.sleep(3600)))
    await asyncio.sleep(0.01)

    survivors = await stop_tasks([task])

    assert survivors == []
    assert absorbed == [1]


class _CancellationSwallowed:
    """What a connection's clean-up does at times: catch the cancellation of the
    operation in flight and return as if it had finished, leaving the task marked as
    cancelling with nothing in flight to end it. Only the first operation does; the
    rest behave."""

    entered: asyncio.Event

    async def _operation(self) -> bool:
        """Whether this was the swallowing one."""
        if self.entered.is_set():
            return False
        self.entered.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3600)
        return True


class _SwallowingRelay(_CancellationSwallowed, Relay):
    async def relay_once(self) -> int:
        if not await self._operation():
            return await super().relay_once()
        return 0


class _SwallowingConsumer(_CancellationSwallowed, Consumer):
    async def ensure_groups(self) -> None:
        if not await self._operation():
            await super().ensure_groups()


@pytest.mark.parametrize("kind", ["relay", "consumer"])
async def test_a_worker_stops_when_a_library_swallows_its_cancellation(
    resources: Resources, kind: str
) -> None:
    worker = _products_worker(resources, kind, _SwallowingRelay, _SwallowingConsumer)

    task, stopped = await _cancelled_once(worker)

    assert stopped, f"the {kind} ran on after its cancellation was swallowed"
    assert task.cancelled()
