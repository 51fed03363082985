"""A read-through Redis cache of entities, shared by every domain.

Values are stored as orjson under `REDIS_KEY_PREFIX` + a domain-relative key such as
`products:product:<id>`, each with the `REDIS_TTL` expiry. A batch is one MGET and one
pipelined round of SET ... EX, so a dataloader batch costs two Redis round trips at most
(on Redis Cluster, one per node holding some of the keys: see redis_keys.py), and
batches read in the same turn of the event loop share their MGET (coalesced_reads.py).

Writes invalidate after the commit, never before: services record the keys they made
stale on the session (`mark_stale`), and the transport deletes them once the unit of work
has committed (`EntityCache.invalidate_stale`). A rolled-back write deletes nothing.

Redis is an optimisation, not a dependency: when it errors, reads fall through to the
database, a warning is logged once, and Redis is left alone for a few seconds (so an
outage costs one failed round trip, not one per request) before it is tried again.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, Generic, Protocol, TypeVar

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.coalesced_reads import coalesced_reads
from domains.kit.config import Settings
from domains.kit.metrics import record_cache
from domains.kit.tracing import redis_span

logger = logging.getLogger("shopgraph.cache")

KeyT = TypeVar("KeyT", bound=Hashable)
ValueT = TypeVar("ValueT")
ModelT = TypeVar("ModelT")

# How long Redis is skipped after it failed, before the next attempt.
DEFAULT_RETRY_AFTER_SECONDS = 5.0

_STALE_KEYS = "shopgraph.cache.stale_keys"


class _Missing:
    """A cache miss; distinct from a cached None (a remembered "no such row")."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class Codec(Protocol[ValueT]):
    """Turns a value into something orjson can write, and back."""

    def dump(self, value: ValueT) -> Any: ...

    def load(self, data: Any) -> ValueT: ...


class ModelCodec(Generic[ModelT]):
    """A SQLAlchemy model as a dict of its loaded columns.

    Loading gives a read-only snapshot with the same attributes the database row would
    have, not an ORM instance: building ORM instances (instrumented attributes, instance
    state) was the largest single cost of a warm product listing. Cached entities are
    only ever read; writes load rows from the database. Deferred columns are left out.

    The snapshot keeps each value as orjson decoded it and turns a uuid, datetime, date
    or Decimal column into its type on first access (then keeps it): a listing reads a
    few of a row's typed columns, and rebuilding all of them for every cached row was
    most of the cost of a warm read.
    """

    def __init__(self, model: type[ModelT]) -> None:
        self.model = model
        self._columns, self._snapshot = _layout(model)

    def dump(self, value: ModelT) -> dict[str, Any]:
        return {key: getattr(value, key) for key in self._columns}

    def load(self, data: Any) -> ModelT:
        snapshot: ModelT = self._snapshot(data)
        return snapshot


class OptionalCodec(Generic[ValueT]):
    """None is cached too, so a known-missing row does not cost a query every time."""

    def __init__(self, inner: Codec[ValueT]) -> None:
        self.inner = inner

    def dump(self, value: ValueT | None) -> Any:
        return None if value is None else self.inner.dump(value)

    def load(self, data: Any) -> ValueT | None:
        return None if data is None else self.inner.load(data)


class ListCodec(Generic[ValueT]):
    def __init__(self, inner: Codec[ValueT]) -> None:
        self.inner = inner

    def dump(self, value: Sequence[ValueT]) -> list[Any]:
        return [self.inner.dump(item) for item in value]

    def load(self, data: Any) -> list[ValueT]:
        return [self.inner.load(item) for item in data]


class JsonCodec:
    """Plain JSON values (dicts, lists, strings, numbers) stored as they are."""

    def dump(self, value: Any) -> Any:
        return value

    def load(self, data: Any) -> Any:
        return data


def _metric_labels(key: str) -> tuple[str, str]:
    """("products", "product") from "products:product:<id>": bounded, never the id."""
    parts = key.split(":")
    return parts[0], parts[-2] if len(parts) >= 3 else parts[0]


_Layout = tuple[tuple[str, ...], Callable[[Mapping[str, Any]], Any]]
_LAYOUTS: dict[type[Any], _Layout] = {}


def _layout(model: type[Any]) -> _Layout:
    """A model's cached columns, and its snapshot class.

    Computed once per model: codecs are built with every request's dataloaders, and
    building a class per request was an eighth of the CPU of a warm storefront listing.
    """
    layout = _LAYOUTS.get(model)
    if layout is None:
        columns = tuple(
            (prop.key, _type_to_restore(prop.columns[0].type))
            for prop in inspect(model).column_attrs
            if not prop.deferred
        )
        layout = _LAYOUTS[model] = (tuple(k for k, _ in columns), _snapshot_class(model, columns))
    return layout


class Snapshot:
    """A read-only record of one cached row: the base of every model's snapshot class."""

    __slots__ = ()
    _columns: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._columns)

    def __setattr__(self, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Snapshot)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._columns)
        return f"{type(self).__name__}({fields})"


def _snapshot_class(
    model: type[Any], columns: tuple[tuple[str, type[Any] | None], ...]
) -> Callable[[Mapping[str, Any]], Any]:
    """A slotted, read-only record class with the model's column names, and the plain
    properties the model defines (derived values such as `available`); returns the
    function that builds one from a cached dict.

    A column whose type orjson cannot give back (`restore` below) is a property over a
    private slot holding the raw value until its first read.
    """
    properties = {
        name: value
        for klass in reversed(model.__mro__)
        if klass.__module__ != "builtins" and not klass.__module__.startswith("sqlalchemy")
        for name, value in vars(klass).items()
        if isinstance(value, property)
    }
    slots = tuple(name if restore is None else f"_raw_{name}" for name, restore in columns)
    namespace: dict[str, Any] = {
        "__slots__": slots,
        "__module__": __name__,
        "_columns": tuple(name for name, _ in columns),
        **properties,
    }
    snapshot_class = type(f"{model.__name__}Snapshot", (Snapshot,), namespace)
    setters: list[tuple[str, Callable[[Any, Any], None]]] = []
    for (name, restore), slot in zip(columns, slots, strict=True):
        descriptor = vars(snapshot_class)[slot]
        setters.append((name, descriptor.__set__))
        if restore is not None:
            setattr(snapshot_class, name, _restored(descriptor, restore))
    new = object.__new__

    def build(data: Mapping[str, Any]) -> Any:
        snapshot: Snapshot = new(snapshot_class)
        get = data.get
        for name, put in setters:
            put(snapshot, get(name))
        return snapshot

    return build


def _restored(slot: Any, restore: type[Any]) -> property:
    """A property turning the raw value in `slot` into `restore` on first read, and
    keeping the result in the slot for the next read."""
    read, keep = slot.__get__, slot.__set__
    decode = _decoder_for(restore)

    def value(snapshot: Any) -> Any:
        raw = read(snapshot)
        if raw is None or isinstance(raw, restore):
            return raw
        restored = decode(raw)
        keep(snapshot, restored)
        return restored

    return property(value)


def _type_to_restore(column_type: Any) -> type[Any] | None:
    """The Python type a column's JSON value must be turned back into, if any."""
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return None
    if python_type in (uuid.UUID, datetime, date, Decimal):
        return python_type  # type: ignore[no-any-return]
    return None


class _PrintedUUID(uuid.UUID):
    """A uuid read from the cache that keeps the canonical text it was read from.

    A cached id is printed (an ID field, the key of the next cache read) far more often
    than it is compared, and UUID.__str__ formats the 128-bit integer again each time.
    In every other way it is the UUID it stands for.
    """

    __slots__ = ("_text",)
    _text: str

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"UUID({self._text!r})"

    def __reduce__(self) -> tuple[type[uuid.UUID], tuple[str]]:
        return uuid.UUID, (self._text,)


def _uuid(text: str) -> uuid.UUID:
    """`text` as a UUID; one that prints `text` back when `text` is canonical (lower
    case, hyphenated: how str() wrote it into the cache)."""
    canonical = (
        len(text) == 36 and text.islower() and text[8] == text[13] == text[18] == text[23] == "-"
    )
    if not canonical:
        return uuid.UUID(text)
    # Set as UUID.__init__ would, without its parsing: the text is known canonical.
    value = object.__new__(_PrintedUUID)
    set_slot = object.__setattr__
    set_slot(value, "int", int(text.replace("-", ""), 16))
    set_slot(value, "is_safe", uuid.SafeUUID.unknown)
    set_slot(value, "_text", text)
    return value


def _decoder_for(python_type: type[Any]) -> Callable[[Any], Any]:
    if python_type is uuid.UUID:
        return _uuid
    if python_type is datetime:
        return datetime.fromisoformat
    if python_type is date:
        return date.fromisoformat
    return lambda raw: Decimal(str(raw))


def _default(value: Any) -> Any:
    # asyncpg hands out its own uuid.UUID subclass, which orjson does not recognise.
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot cache a {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


@dataclass
class _Health:
    """Whether Redis answered lately, shared by every cache on the same client."""

    retry_after: float
    down_until: float = 0.0

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self) -> bool:
        """Record a failure; True when it starts a new outage (worth a log line)."""
        was_up = self.usable()
        self.down_until = time.monotonic() + self.retry_after
        return was_up


_health_by_client: weakref.WeakKeyDictionary[Redis, _Health] = weakref.WeakKeyDictionary()


def _health_of(redis: Redis, retry_after: float) -> _Health:
    health = _health_by_client.get(redis)
    if health is None or health.retry_after != retry_after:
        health = _Health(retry_after=retry_after)
        _health_by_client[redis] = health
    return health


def mark_stale(session: AsyncSession, *keys: str) -> None:
    """Record cache keys a write made stale; they are deleted after the commit."""
    stale: set[str] = session.info.setdefault(_STALE_KEYS, set())
    stale.update(keys)


def take_stale(session: AsyncSession) -> set[str]:
    stale: set[str] = session.info.pop(_STALE_KEYS, set())
    return stale


class EntityCache:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        ttl: timedelta,
        retry_after: float = DEFAULT_RETRY_AFTER_SECONDS,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl = ttl
        self._health = _health_of(redis, retry_after)
        self._reads = coalesced_reads(redis)

    @classmethod
    def from_settings(cls, redis: Redis, settings: Settings) -> EntityCache:
        return cls(redis, prefix=settings.redis_key_prefix, ttl=settings.redis_ttl)

    def full_key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    async def get_many(self, keys: Sequence[str]) -> list[Any]:
        """The cached value of each key, or MISSING; all MISSING when Redis is down."""
        if not keys:
            return []
        if not self._health.usable():
            return [MISSING] * len(keys)
        try:
            with redis_span("MGET", len(keys)):
                raw_values = await self._reads.get_many([self.full_key(key) for key in keys])
        except (RedisError, OSError) as error:
            self._failed("read", error)
            return [MISSING] * len(keys)
        values: list[Any] = []
        for key, raw in zip(keys, raw_values, strict=True):
            if raw is None:
                values.append(MISSING)
                continue
            try:
                values.append(orjson.loads(raw))
            except orjson.JSONDecodeError:
                logger.warning("cache: unreadable value under %s; treating it as a miss", key)
                values.append(MISSING)
        return values

    async def get(self, key: str) -> Any:
        return (await self.get_many([key]))[0]

    async def set_many(self, items: Mapping[str, Any], *, ttl: timedelta | None = None) -> None:
        if not items or not self._health.usable():
            return
        expiry = ttl or self.ttl
        try:
            # MSET cannot set an expiry; pipelined SET EX is one round trip all the same.
            with redis_span("SET", len(items)):
                async with self.redis.pipeline(transaction=False) as pipe:
                    for key, value in items.items():
                        pipe.set(self.full_key(key), dumps(value), ex=expiry)
                    await pipe.execute()
        except (RedisError, OSError) as error:
            self._failed("write", error)

    async def set(self, key: str, value: Any, *, ttl: timedelta | None = None) -> None:
        await self.set_many({key: value}, ttl=ttl)

    async def add(self, key: str, value: Any, *, ttl: timedelta | None = None) -> Any:
        """Store `value` unless the key exists; return whichever value the key now holds.

        When Redis is down the given value is returned, so callers carry on uncached.
        """
        if not self._health.usable():
            return value
        full_key = self.full_key(key)
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.set(full_key, dumps(value), ex=ttl or self.ttl, nx=True)
                pipe.get(full_key)
                _, raw = await pipe.execute()
        except (RedisError, OSError) as error:
            self._failed("write", error)
            return value
        return value if raw is None else orjson.loads(raw)

    async def invalidate(self, keys: Iterable[str]) -> None:
        full_keys = sorted({self.full_key(key) for key in keys})
        if not full_keys:
            return
        try:
            with redis_span("DEL", len(full_keys)):
                await self.redis.delete(*full_keys)
        except (RedisError, OSError) as error:
            # Not skipped while Redis looks down: a missed delete serves stale data for up
            # to REDIS_TTL, so every delete is attempted.
            self._failed("invalidate", error)
            logger.error(
                "cache: could not invalidate %d key(s); they may be stale for up to %s",
                len(full_keys),
                self.ttl,
            )

    async def invalidate_stale(self, session: AsyncSession) -> None:
        """Delete the keys recorded with `mark_stale`; call after the commit."""
        await self.invalidate(take_stale(session))

    async def read_through(
        self,
        keys: Sequence[KeyT],
        *,
        cache_key: Callable[[KeyT], str],
        fetch: Callable[[list[KeyT]], Awaitable[Sequence[ValueT]]],
        codec: Codec[ValueT],
        ttl: timedelta | None = None,
    ) -> list[ValueT]:
        """One value per key: cached ones from one MGET, the rest from one `fetch` call.

        `fetch` receives the missed keys and returns one value per key, in order. What
        it returns is cached, None included.
        """
        usable = self._health.usable()
        cached = await self.get_many([cache_key(key) for key in keys])
        missed = [key for key, value in zip(keys, cached, strict=True) if value is MISSING]
        if keys:
            service, entity = _metric_labels(cache_key(keys[0]))
            record_cache(
                service,
                entity,
                hits=len(keys) - len(missed),
                misses=len(missed),
                error=not usable or not self._health.usable(),
            )
        fetched: dict[KeyT, ValueT] = {}
        if missed:
            rows = await fetch(missed)
            fetched = dict(zip(missed, rows, strict=True))
            await self.set_many(
                {cache_key(key): codec.dump(fetched[key]) for key in missed}, ttl=ttl
            )
        return [
            fetched[key] if value is MISSING else codec.load(value)
            for key, value in zip(keys, cached, strict=True)
        ]

    def _failed(self, operation: str, error: Exception) -> None:
        if self._health.failed():
            logger.warning(
                "cache: Redis %s failed (%s: %s); using the database for %.0fs before retrying",
                operation,
                type(error).__name__,
                error,
                self._health.retry_after,
            )
