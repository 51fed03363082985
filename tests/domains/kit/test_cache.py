"""The Redis entity cache every domain reads through, against a real Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import ConnectionPool, Redis
from sqlalchemy import DateTime, Integer, MetaData, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column

from domains.kit.cache import (
    MISSING,
    EntityCache,
    JsonCodec,
    ListCodec,
    ModelCodec,
    OptionalCodec,
    dumps,
    mark_stale,
)
from domains.kit.db import transaction
from domains.kit.resources import Resources


class _Base(DeclarativeBase):
    metadata = MetaData()


class Widget(_Base):
    """Never created as a table: the codec only needs the mapping."""

    __tablename__ = "widgets"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    count: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tags: Mapped[list[str]] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(String(50), nullable=True)
    search: Mapped[Any] = deferred(mapped_column(TSVECTOR), raiseload=True)


def _widget(**overrides: Any) -> Widget:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": "sprocket",
        "count": 3,
        "price": Decimal("19.99"),
        "made_at": datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC),
        "tags": ["a", "b"],
        "note": None,
        **overrides,
    }
    return Widget(**values)


class CountingRedis(Redis):
    """A real client that also remembers which commands it sent (outside pipelines)."""

    commands: list[str]

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.commands.append(str(args[0]).upper())
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


def _counting(url: str) -> CountingRedis:
    client = CountingRedis(connection_pool=ConnectionPool.from_url(url, socket_connect_timeout=0.5))
    client.commands = []
    return client


@pytest.fixture
async def redis(resources: Resources) -> AsyncIterator[CountingRedis]:
    assert resources.settings.redis_url is not None
    client = _counting(resources.settings.redis_url)
    yield client
    await client.aclose(close_connection_pool=True)


@pytest.fixture
def cache(redis: CountingRedis, resources: Resources) -> EntityCache:
    return EntityCache.from_settings(redis, resources.settings)


async def test_a_batch_is_one_mget_and_misses_are_told_apart_from_cached_nones(
    cache: EntityCache, redis: CountingRedis
) -> None:
    await cache.set_many({"kit-test:a": {"n": 1}, "kit-test:none": None})
    redis.commands.clear()

    values = await cache.get_many(["kit-test:a", "kit-test:missing", "kit-test:none"])

    assert values == [{"n": 1}, MISSING, None]
    assert redis.commands == ["MGET"]


async def test_keys_carry_the_prefix_and_the_ttl_from_settings(
    cache: EntityCache, redis: CountingRedis, resources: Resources
) -> None:
    await cache.set("kit-test:ttl", [1, 2])
    await cache.set("kit-test:short", "x", ttl=timedelta(seconds=30))

    prefix = resources.settings.redis_key_prefix
    ttl = await redis.ttl(f"{prefix}kit-test:ttl")
    short = await redis.ttl(f"{prefix}kit-test:short")
    assert 0 < ttl <= resources.settings.redis_ttl.total_seconds()
    assert ttl > 30
    assert 0 < short <= 30
    assert await redis.get("kit-test:ttl") is None  # nothing outside the prefix


async def test_read_through_fetches_only_misses_once_and_keeps_order(cache: EntityCache) -> None:
    fetched: list[list[int]] = []

    async def fetch(keys: list[int]) -> list[str | None]:
        fetched.append(keys)
        return [None if key == 3 else f"row {key}" for key in keys]

    await cache.set("kit-test:n:2", "cached 2")
    codec: OptionalCodec[Any] = OptionalCodec(JsonCodec())

    first = await cache.read_through(
        [1, 2, 3], cache_key=lambda key: f"kit-test:n:{key}", fetch=fetch, codec=codec
    )
    second = await cache.read_through(
        [3, 1, 2], cache_key=lambda key: f"kit-test:n:{key}", fetch=fetch, codec=codec
    )

    assert first == ["row 1", "cached 2", None]
    assert second == [None, "row 1", "cached 2"]
    assert fetched == [[1, 3]]


async def test_models_round_trip_through_orjson(cache: EntityCache) -> None:
    widget = _widget()
    codec = ListCodec(ModelCodec(Widget))

    await cache.set("kit-test:widgets", codec.dump([widget]))
    [loaded] = codec.load(await cache.get("kit-test:widgets"))

    # A read-only snapshot with the row's attributes, not an ORM instance (cheaper to
    # build, and cached entities are never written through).
    assert type(loaded).__name__ == "WidgetSnapshot"
    with pytest.raises(dataclasses.FrozenInstanceError):
        loaded.name = "changed"
    for column in ("id", "name", "count", "price", "made_at", "tags", "note"):
        assert getattr(loaded, column) == getattr(widget, column)
    assert isinstance(loaded.id, uuid.UUID)
    assert isinstance(loaded.price, Decimal)
    assert loaded.made_at.tzinfo is not None
    assert "search" not in ModelCodec(Widget).dump(widget)
    # Restored on first read, then kept; a cached id prints and compares as the original.
    assert loaded.id is loaded.id
    assert (str(loaded.id), repr(loaded.id), hash(loaded.id)) == (
        str(widget.id),
        repr(widget.id),
        hash(widget.id),
    )
    assert loaded == codec.load(codec.dump([widget]))[0]
    assert dumps({"id": loaded.id}) == dumps({"id": widget.id})


async def test_a_unit_of_work_records_stale_keys_and_they_are_deleted_once(
    cache: EntityCache, resources: Resources
) -> None:
    await cache.set_many({"kit-test:x": 1, "kit-test:y": 2})

    async with transaction(resources.session_factory) as session:
        mark_stale(session, "kit-test:x", "kit-test:x")
        # Recorded, not yet deleted: readers still see the committed value until the
        # caller invalidates after the commit.
        assert await cache.get_many(["kit-test:x", "kit-test:y"]) == [1, 2]
    await cache.invalidate_stale(session)
    await cache.set("kit-test:x", 3)
    await cache.invalidate_stale(session)  # taken once: a second call deletes nothing more

    assert await cache.get_many(["kit-test:x", "kit-test:y"]) == [3, 2]


async def test_add_keeps_the_first_value(cache: EntityCache) -> None:
    first = await cache.add("kit-test:generation", "g1")
    second = await cache.add("kit-test:generation", "g2")

    assert (first, second) == ("g1", "g1")


async def test_an_unreadable_value_is_a_miss(
    cache: EntityCache, redis: CountingRedis, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    await redis.set(f"{resources.settings.redis_key_prefix}kit-test:junk", b"\xff not json")

    with caplog.at_level(logging.WARNING, logger="shopgraph.cache"):
        assert await cache.get("kit-test:junk") is MISSING

    assert "unreadable value" in caplog.text


async def test_with_redis_down_reads_fall_through_and_one_warning_is_logged(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    cache = EntityCache(dead, prefix="kit-test:", ttl=timedelta(minutes=1), retry_after=60)
    calls: list[list[str]] = []

    async def fetch(keys: list[str]) -> list[str]:
        calls.append(keys)
        return [key.upper() for key in keys]

    with caplog.at_level(logging.WARNING, logger="shopgraph.cache"):
        for _ in range(3):
            values = await cache.read_through(
                ["a", "b"], cache_key=str, fetch=fetch, codec=JsonCodec()
            )
            assert values == ["A", "B"]
        await cache.set("a", 1)
        assert await cache.add("gen", "fresh") == "fresh"

    assert calls == [["a", "b"]] * 3
    warnings = [record for record in caplog.records if record.name == "shopgraph.cache"]
    assert len(warnings) == 1
    assert "ConnectionError" in warnings[0].getMessage()
    await dead.aclose()


async def test_after_the_retry_window_redis_is_tried_again(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    attempts = _counting("redis://127.0.0.1:1/0")
    cache = EntityCache(attempts, prefix="kit-test:", ttl=timedelta(minutes=1), retry_after=0)

    with caplog.at_level(logging.WARNING, logger="shopgraph.cache"):
        for _ in range(3):
            assert await cache.get("a") is MISSING

    # retry_after=0: every call tries Redis again (and each new outage is logged).
    assert attempts.commands == ["MGET"] * 3
    await attempts.aclose(close_connection_pool=True)


async def test_reads_made_in_the_same_turn_share_one_mget(
    cache: EntityCache, redis: CountingRedis, resources: Resources
) -> None:
    await cache.set_many({"kit-test:a": 1, "kit-test:b": 2, "kit-test:c": 3})
    other = EntityCache(redis, prefix="kit-test-other:", ttl=timedelta(minutes=1))
    await other.set("a", "other a")
    redis.commands.clear()

    together = await asyncio.gather(
        cache.get_many(["kit-test:a", "kit-test:b"]),
        cache.get_many(["kit-test:b", "kit-test:missing", "kit-test:c"]),
        other.get("a"),
    )
    alone = await cache.get("kit-test:c")

    assert together == [[1, 2], [2, MISSING, 3], "other a"]
    assert alone == 3
    assert redis.commands == ["MGET", "MGET"]


async def test_a_failed_shared_mget_is_a_miss_for_every_reader(
    resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    dead = _counting("redis://127.0.0.1:1/0")
    first = EntityCache(dead, prefix="kit-test:", ttl=timedelta(minutes=1), retry_after=0)
    second = EntityCache(dead, prefix="kit-test-other:", ttl=timedelta(minutes=1), retry_after=0)

    with caplog.at_level(logging.WARNING, logger="shopgraph.cache"):
        answers = await asyncio.gather(first.get_many(["a", "b"]), second.get("a"))

    assert answers == [[MISSING, MISSING], MISSING]
    assert dead.commands == ["MGET"]
    await dead.aclose(close_connection_pool=True)
