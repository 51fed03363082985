"""How far behind the event machinery is: the outbox backlog and consumer-group lag.

Both are sampled in the background by the workers that own them (the relay samples
its outbox, the consumer its groups' streams) and set as gauges, so a scrape of
`/metrics` reads numbers already in memory and never waits on Postgres or Redis. A
sample costs one bounded count over the partial index of unrelayed rows and one
pipelined `XINFO GROUPS` per consumer; at `SAMPLE_INTERVAL_SECONDS` that is nothing
next to the relay's own polling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, select

from domains.kit.aio import raise_if_stopping
from domains.kit.db import read_session
from domains.kit.events.streams import as_text
from domains.kit.events.tables import EventTables
from domains.kit.metrics import OUTBOX_BACKLOG, STREAM_CONSUMER_LAG
from domains.kit.resources import Resources

logger = logging.getLogger("shopgraph.events")

# Prometheus scrapes every 15 s by default (deploy/prometheus/prometheus.yml); sampling
# a little more often keeps each scrape at most one interval stale.
SAMPLE_INTERVAL_SECONDS = 10.0
# A backlog this large is an incident however large it is; counting further would make
# the sample cost grow with the very outage it reports.
BACKLOG_COUNT_LIMIT = 1_000_000
# When Redis cannot say how far a group is behind (`lag` is nil after entries were
# deleted from the middle of a stream), entries after its last delivered id are counted,
# up to this many.
LAG_SCAN_LIMIT = 100_000


async def outbox_backlog(resources: Resources, tables: EventTables) -> int:
    """Rows of the outbox not relayed yet (at most BACKLOG_COUNT_LIMIT).

    Read from the primary: a replica's count would include rows already relayed."""
    outbox = tables.outbox
    unrelayed = (
        select(outbox.c.position)
        .where(outbox.c.relayed_at.is_(None))
        .limit(BACKLOG_COUNT_LIMIT)
        .subquery()
    )
    async with read_session(resources.session_factory) as session:
        count = await session.scalar(select(func.count()).select_from(unrelayed))
    return int(count or 0)


async def sample_outbox_backlog(resources: Resources, tables: EventTables, *, domain: str) -> int:
    backlog = await outbox_backlog(resources, tables)
    OUTBOX_BACKLOG.labels(service=domain, domain=domain).set(backlog)
    return backlog


async def consumer_lag(
    resources: Resources, *, group: str, streams: Iterable[str]
) -> dict[str, int]:
    """Per stream, entries the group has not been handed yet plus those handed and not
    acknowledged (`lag + pending`). A stream or group that does not exist yet is 0."""
    redis = resources.redis
    names = list(streams)
    if not names:
        return {}
    lags: dict[str, int] = {}
    async with redis.pipeline(transaction=False) as pipe:
        for stream in names:
            pipe.xinfo_groups(stream)
        answers = await pipe.execute(raise_on_error=False)
    for stream, answer in zip(names, answers, strict=True):
        if isinstance(answer, Exception):  # ERR no such key: nothing published yet
            lags[stream] = 0
            continue
        info = _group_info(answer, group)
        if info is None:
            lags[stream] = 0
            continue
        pending = int(info.get("pending") or 0)
        lag = info.get("lag")
        if lag is None:
            last = as_text(info.get("last-delivered-id", "0-0"))
            undelivered = await redis.xrange(stream, min=f"({last}", count=LAG_SCAN_LIMIT)
            lag = len(undelivered or ())
        lags[stream] = int(lag) + pending
    return lags


async def sample_consumer_lag(
    resources: Resources, *, service: str, group: str, streams: Iterable[str]
) -> dict[str, int]:
    lags = await consumer_lag(resources, group=group, streams=streams)
    for stream, lag in lags.items():
        STREAM_CONSUMER_LAG.labels(service=service, stream=stream, group=group).set(lag)
    return lags


async def sample_forever(what: str, sample: Any) -> None:
    """Call `sample()` every SAMPLE_INTERVAL_SECONDS until cancelled; failures are logged
    and leave the gauges at their last value."""
    while True:
        try:
            await sample()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # Postgres or Redis away: the next round tries again
            raise_if_stopping(error)
            logger.warning("%s: sampling event metrics failed", what, exc_info=True)
        await asyncio.sleep(SAMPLE_INTERVAL_SECONDS)


def _group_info(groups: Any, group: str) -> Mapping[str, Any] | None:
    for info in groups or ():
        fields = {as_text(key): value for key, value in dict(info).items()}
        if as_text(fields.get("name", "")) == group:
            return fields
    return None
