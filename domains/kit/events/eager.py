"""Sending a transaction's events the moment it commits, ahead of the relay.

Through the relay alone, each hop of a saga is: the commit's NOTIFY, another process
waking, its claiming transaction (four round trips), the XADD, and only then the
consumer. A process that holds a Redis client sends what its own transaction wrote
instead, once the transaction has committed: one pipeline of XADDs (the consumer wakes
here), then the rows are marked relayed, as the relay would have. The marks of every
send within MARK_WINDOW_SECONDS are one statement: under load a process sends many
transactions' events a second, and a statement for each was about one in sixteen of a
checkout's.

The outbox stays the record and the relay the guarantee:
- A transaction whose events are sent this way does not NOTIFY, so no relay is woken to
  race the sender for rows it is already sending.
- The rows are written marked as their writer's to send (SENT_BY_WRITER), and a relay
  takes such a row only once it is WRITER_SEND_GRACE old: should the sender fail, or the
  process die between the commit and the send, the rows are still unrelayed and the
  relay sends them then. Without the grace, relays polling in a rush claimed rows whose
  send was under way, and the duplicates cost consumers transactions (and, between two
  orders consumers, deadlocks on an order's lock).
- The mark is guarded by `relayed_at IS NULL`: a send slower than the grace, beaten by
  a relay, goes out a second time, and consumers drop that duplicate by event id, as
  they drop any.
- When Redis has no epoch for the producer (it lost its data), the rows are left to the
  relay, which begins the epoch and sends them again into it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from domains.kit.events.outbox import EAGER_SENDER, CommittedEvent
from domains.kit.events.streams import add_to_streams, entry_location
from domains.kit.events.tables import EventTables

if TYPE_CHECKING:
    from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.events")

# How long the first mark waits for others to share its statement. Far below the grace a
# relay leaves the writer (WRITER_SEND_GRACE), and no one waits on it: the consumers were
# woken by the XADDs already.
MARK_WINDOW_SECONDS = 0.02


@dataclass
class _Marks:
    """Events sent and not yet marked: their ids, where each went, and when."""

    tables: EventTables
    ids: list[uuid.UUID] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)


class EagerSender:
    """Sends committed events of this process's transactions to their streams."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        # One statement, no BEGIN and COMMIT around it: the mark is one row per event,
        # each as good alone.
        self._autocommit = resources.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sending: set[asyncio.Task[None]] = set()
        # Marks waiting for their statement, by outbox.
        self._to_mark: dict[str, _Marks] = {}

    def send_soon(self, tables: EventTables, events: Sequence[CommittedEvent]) -> None:
        """Send `events` (committed, in their order) in a task of their own: the
        committing code goes on at once (a request to its waiter, a consumer to its
        XACK)."""
        self._start(self.send(tables, events))

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def send(self, tables: EventTables, events: Sequence[CommittedEvent]) -> None:
        producer = tables.producer
        try:
            epoch, entry_ids = await add_to_streams(
                self.resources.redis, self.resources.settings, producer, events
            )
        except Exception as error:
            # The rows are the record: the relay sends what was not marked, once the
            # grace it leaves the writer has passed.
            logger.warning("%s: eager send failed (%s); the relay sends the rest", producer, error)
            return
        if epoch is None:
            return  # Redis lost its data: the relay begins a new epoch, then sends
        sent_at = datetime.now(UTC)
        outbox = tables.outbox.fullname
        waiting = self._to_mark.get(outbox)
        if waiting is None:
            waiting = self._to_mark[outbox] = _Marks(tables)
            self._start(self._mark(outbox))
        for event, entry_id in zip(events, entry_ids, strict=True):
            waiting.ids.append(event.id)
            waiting.locations.append(entry_location(epoch, entry_id))
            waiting.times.append(sent_at)

    async def _mark(self, outbox: str) -> None:
        await asyncio.sleep(MARK_WINDOW_SECONDS)
        marks = self._to_mark.pop(outbox)
        try:
            async with self._autocommit.connect() as connection:
                await connection.execute(
                    marks.tables.mark_sent,
                    {"sent_ids": marks.ids, "sent_to": marks.locations, "sent_at": marks.times},
                )
        except Exception as error:
            # Unmarked, they are sent again by the relay after the grace, and consumers
            # drop the duplicates by event id.
            logger.warning("%s: marking sent events failed (%s)", marks.tables.producer, error)

    async def drain(self) -> None:
        """Wait for the sends under way (the resources are closing)."""
        # Twice: a send finishing meanwhile starts its marks' task.
        for _ in range(2):
            if self._sending:
                await asyncio.wait(set(self._sending), timeout=2.0)


def send_eagerly(resources: Resources) -> None:
    """Make every session of `resources` send its committed events itself."""
    sender = EagerSender(resources)
    resources.session_factory.configure(info={EAGER_SENDER: sender})
    resources.on_close(sender.drain)
