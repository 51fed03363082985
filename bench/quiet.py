"""Waiting until the platform's workers have nothing left to do, before measuring.

A freshly seeded catalog has announced every variant's offer (VariantOffersLoaded, a few
hundred thousand offers at 100,000 products), and the first processes to run the
domains' workers relay those events and fold them into carts. Measured while that runs,
a system would pay for the seed's backlog in its CPU per request and its latency. The
bench therefore starts measuring once every outbox row has been added to its stream and
every consumer group has been handed, and has acknowledged, every entry.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg
import redis

POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Backlog:
    unrelayed: int  # outbox rows not yet added to their stream
    unconsumed: int  # streams some group has not caught up with, or holds unacknowledged

    @property
    def empty(self) -> bool:
        return self.unrelayed == 0 and self.unconsumed == 0


async def _unrelayed(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        schemas = await connection.fetch(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox'"
        )
        total = 0
        for row in schemas:
            schema = row["table_schema"]
            total += int(
                await connection.fetchval(
                    f'SELECT count(*) FROM "{schema}".outbox WHERE relayed_at IS NULL'  # noqa: S608
                )
            )
        return total
    finally:
        await connection.close()


def _unconsumed(client: redis.Redis) -> int:
    behind = 0
    for key in client.scan_iter(_type="STREAM"):
        last_added = client.xinfo_stream(key)["last-generated-id"]
        for group in client.xinfo_groups(key):
            if group["last-delivered-id"] != last_added or group["pending"]:
                behind += 1
    return behind


def backlog(database_url: str, redis_url: str) -> Backlog:
    client = redis.Redis.from_url(redis_url)
    try:
        return Backlog(asyncio.run(_unrelayed(database_url)), _unconsumed(client))
    finally:
        client.close()


def wait_until_quiet(database_url: str, redis_url: str, *, timeout: float = 900.0) -> float:
    """Seconds waited until no event is left to relay or consume; after `timeout`, what
    is left is printed and the bench goes on."""
    started = time.monotonic()
    while True:
        left = backlog(database_url, redis_url)
        waited = time.monotonic() - started
        if left.empty:
            return waited
        if waited >= timeout:
            print(
                f"  still busy after {waited:.0f}s: {left.unrelayed} events to relay, "
                f"{left.unconsumed} stream groups behind; measuring anyway",
                flush=True,
            )
            return waited
        time.sleep(POLL_SECONDS)
