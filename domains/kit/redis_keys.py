"""Redis key layout and multi-key reads that work on one server and on Redis Cluster.

In a cluster every key lives in one of 16384 slots, chosen by the hash of the key or,
when the key holds a `{...}` hash tag, of the tag alone; a command over several keys
(MGET, XREADGROUP of several streams, a Lua script, MULTI) is refused unless all its
keys share a slot. Two ways out, picked per group of keys:

- keys that one command must touch together share a tag: every event stream and
  dead-letter stream carries `{events}`, because a consumer reads all its streams in
  one XREADGROUP (domains/kit/events/streams.py);
- keys that are merely read in batches stay spread over the cluster (cached entities:
  a hot listing should not sit on one node) and are read with `mget_nonatomic`, which
  splits the batch by slot; nothing depends on those reads being atomic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

EVENTS_TAG = "{events}"


def glob_escaped(text: str) -> str:
    """`text` matched literally in a PSUBSCRIBE or SCAN pattern (a key prefix may hold
    any character)."""
    return "".join(f"\\{c}" if c in "*?[]\\" else c for c in text)


def is_cluster(client: Any) -> bool:
    return isinstance(client, RedisCluster)


async def get_many(client: Redis, keys: Sequence[str]) -> list[Any]:
    """GET of every key in one round trip per node: MGET on a server, MGET per slot on a
    cluster. Not atomic across keys on a cluster, which no caller needs."""
    if is_cluster(client):
        cluster: Any = client
        values: list[Any] = await cluster.mget_nonatomic(list(keys))
        return values
    return list(await client.mget(list(keys)))
