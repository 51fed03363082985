"""A lean HTTP/1.1 client for the gateway's subgraph fetches over plain http://.

`KeepAliveClient.endpoint(url, headers)` gives an `Endpoint`, whose `post(body, headers)`
sends one POST and returns the status and the body. Per origin (host and port) the client
keeps a pool of keep-alive connections: idle ones in a last-in-first-out list (the newest
is the one least likely to have been closed by the server), at most `max_connections`
open, requests beyond that queued first come, first served. Nothing walks the pool per
request: checkout and return are O(1), and a connection the server closes while idle
leaves the pool from the event loop's callback, when it happens.

Why not httpx here: with httpx (httpcore, h11) the HTTP client was most of the gateway
process's CPU over HTTP (py-spy, storefront listing, 10-50 clients): pool scanning, header
models, h11's general state machine. The subgraphs are our own services, on a network of
our own, answering one kind of request: a POST of JSON with a JSON answer. That needs
little of HTTP: one `write` per request (its static head encoded once per endpoint),
answers framed by Content-Length or chunked encoding. `python -m bench.transport` puts
a fetch at 40-100 us of gateway CPU this way against 0.8-2.4 ms through httpx (1 to 50
callers, uvloop). httpx stays for https:// and anything else (`is_plain_http`).

Answers are read by an `asyncio.Protocol` rather than asyncio streams: a bare exchange
costs the same either way (about 39 us on uvloop), but a protocol hears of the server
closing an idle connection when it happens, so a dead connection leaves the pool then,
frees its slot, and never waits at the bottom of the idle list to be found.

What a caller can count on:

- A request whose pooled connection turns out to be dead (the server's keep-alive
  timeout closed it as the request went out) is sent once more, on a fresh connection,
  and only when nothing of the answer arrived. Idle connections are kept
  `keepalive_expiry` seconds, less than uvicorn's 5, so this stays rare.
- The request as a whole (waiting for a connection, connecting, sending, reading) has
  `timeout` seconds, connecting `connect_timeout`; either raises `HttpError("timed out")`.
- Cancelling a request closes its connection (it may be half-way through an answer)
  and the CancelledError goes on to the caller.
- An answer over `max_response_bytes` fails with a message naming the limit.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterable, Mapping
from typing import NamedTuple, cast
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 64 * 1024 * 1024
_MAX_HEAD_BYTES = 64 * 1024
_MAX_CHUNK_LINE_BYTES = 1024


class HttpError(Exception):
    """The request failed; the message says how (`timed out`, `unreachable (...)`, ...)."""


class _NothingReceived(Exception):
    """The connection ended before any byte of the answer: a retry may be safe."""


class Response(NamedTuple):
    status: int
    body: bytes
    keep_alive: bool


def is_plain_http(url: str) -> bool:
    """Whether `KeepAliveClient` can send to this URL: http://, no credentials, and a
    path that needs no escaping."""
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when out of range
    except ValueError:
        return False
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return (
        parts.scheme == "http"
        and port != 0
        and bool(parts.hostname)
        and parts.username is None
        and parts.password is None
        and all(33 <= ord(char) < 127 for char in target)
    )


class KeepAliveClient:
    def __init__(
        self,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_connections: int = 20,
        keepalive_expiry: float = 4.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_connections = max_connections
        # Below uvicorn's default keep-alive timeout (5 s), so an idle connection is
        # dropped here before the server is about to drop it.
        self.keepalive_expiry = keepalive_expiry
        self.max_response_bytes = max_response_bytes
        self._pools: dict[tuple[str, int], _Pool] = {}
        self.closed = False

    def endpoint(self, url: str, headers: Mapping[str, str]) -> Endpoint:
        """Where to POST, with the headers every request to it carries."""
        if not is_plain_http(url):
            raise ValueError(f"not a plain http:// URL: {url!r}")
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or 80
        pool = self._pools.get((host, port))
        if pool is None:
            pool = self._pools[(host, port)] = _Pool(self, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"POST {target} HTTP/1.1", f"host: {parts.netloc}"]
        lines += [f"{_checked(name, value)}: {value}" for name, value in headers.items()]
        return Endpoint(self, pool, ("\r\n".join(lines) + "\r\n").encode("latin-1"))

    @property
    def connections(self) -> int:
        """Connections open or being opened, over every origin."""
        return sum(pool.slots for pool in self._pools.values())

    @property
    def idle_connections(self) -> int:
        return sum(len(pool.idle) for pool in self._pools.values())

    async def aclose(self) -> None:
        """Close every connection; requests under way fail, later ones are refused."""
        self.closed = True
        lost = [pool.close() for pool in self._pools.values()]
        # The sockets close on the loop's next turns (connection_lost).
        await asyncio.gather(*(future for futures in lost for future in futures))


class Endpoint:
    def __init__(self, client: KeepAliveClient, pool: _Pool, head: bytes) -> None:
        self._client = client
        self._pool = pool
        self._head = head

    async def post(
        self, body: bytes, headers: Iterable[tuple[str, str]] = (), *, replayable: bool = True
    ) -> Response:
        """POST `body` with these headers besides the endpoint's own; the whole answer.

        `replayable`: whether the request may be sent once more when a pooled connection
        closes before any byte of its answer. Usually the server closed it idle and never
        saw the request, but a server that ran it and died before answering looks the same,
        so a request that must not run twice (a mutation) is not replayed, as Go's
        net/http does for requests that are not idempotent."""
        extra = "".join([f"{_checked(name, value)}: {value}\r\n" for name, value in headers])
        try:
            encoded = extra.encode("latin-1")
        except UnicodeEncodeError:
            raise HttpError("a forwarded header is not Latin-1 text") from None
        request = b"%scontent-length: %d\r\n%s\r\n%s" % (self._head, len(body), encoded, body)
        try:
            async with asyncio.timeout(self._client.timeout):
                return await self._pool.request(request, replayable)
        except TimeoutError:
            raise HttpError("timed out") from None
        except _NothingReceived as error:
            raise HttpError(f"unreachable ({error})") from None
        except OSError as error:
            raise HttpError(f"unreachable ({type(error).__name__})") from error


def _checked(name: str, value: str) -> str:
    if "\r" in value or "\n" in value or "\x00" in value:
        raise HttpError(f"header {name!r} holds a line break or NUL: not sent")
    return name


class _Pool:
    """The connections to one origin. A slot is a connection open or being opened;
    whoever holds a connection (the pool when idle, a request when busy) owns its slot."""

    def __init__(self, client: KeepAliveClient, host: str, port: int) -> None:
        self.client = client
        self.host = host
        self.port = port
        # Insertion-ordered, so the last is the newest; any is removed in O(1).
        self.idle: dict[_Connection, None] = {}
        self.open: set[_Connection] = set()
        self.slots = 0
        # Each waiter is handed a connection, or None: a free slot to connect on.
        self.waiters: collections.deque[asyncio.Future[_Connection | None]] = collections.deque()

    async def request(self, request: bytes, replayable: bool = True) -> Response:
        connection = await self._acquire()
        try:
            try:
                response = await connection.exchange(request)
            except _NothingReceived:
                if not connection.reused or not replayable:
                    raise
                # The server closed this connection while it sat in the pool (its
                # keep-alive timeout) and our request crossed the closing: it was not
                # answered, so it is sent once more on a fresh connection.
                connection = await self._reconnect(connection)
                response = await connection.exchange(request)
        except BaseException:
            # Cancelled or failed half-way: nothing may follow on this connection.
            self._discard(connection)
            raise
        if response.keep_alive:
            self._release(connection)
        else:
            self._discard(connection, abort=False)
        return response

    async def _acquire(self) -> _Connection:
        if self.client.closed:
            raise HttpError("the gateway's HTTP client is closed")
        if self.idle:
            connection = next(reversed(self.idle))
            if asyncio.get_running_loop().time() - connection.idle_since < (
                self.client.keepalive_expiry
            ):
                del self.idle[connection]
                return connection
            # The newest idle connection is past its expiry, so all of them are.
            for expired in list(self.idle):
                self._discard(expired, abort=False)
        if self.slots < self.client.max_connections:
            self.slots += 1
            return await self._connect()
        waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            handed = await waiter
        except asyncio.CancelledError:
            # Handed something just as this request was cancelled: pass it on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                if (passed_on := waiter.result()) is not None:
                    self._release(passed_on)
                else:
                    self._free_slot()
            raise
        return handed if handed is not None else await self._connect()

    async def _connect(self) -> _Connection:
        """A new connection on a slot the caller holds; the slot is freed if it fails."""
        loop = asyncio.get_running_loop()
        try:
            if self.client.closed:
                raise HttpError("the gateway's HTTP client is closed")
            async with asyncio.timeout(self.client.connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self), self.host, self.port
                )
        except BaseException:
            self._free_slot()
            raise
        if self.client.closed:  # closed while this one was being opened
            connection.drop(abort=True)
            self._free_slot()
            raise HttpError("the gateway's HTTP client is closed")
        self.open.add(connection)
        return connection

    async def _reconnect(self, connection: _Connection) -> _Connection:
        """A fresh connection on the slot of one found dead."""
        if connection not in self.open:  # dropped by aclose(), its slot with it
            raise HttpError("the gateway's HTTP client is closed")
        self.open.discard(connection)
        connection.drop(abort=True)
        return await self._connect()

    def _release(self, connection: _Connection) -> None:
        if connection.closed or self.client.closed:
            self._discard(connection)
            return
        connection.reused = True
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        connection.idle_since = asyncio.get_running_loop().time()
        self.idle[connection] = None

    def _discard(self, connection: _Connection, *, abort: bool = True) -> None:
        if connection not in self.open:
            return  # already dropped, its slot freed or passed on
        self.open.discard(connection)
        self.idle.pop(connection, None)
        connection.drop(abort=abort)
        self._free_slot()

    def _free_slot(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.slots -= 1

    def lost_while_idle(self, connection: _Connection) -> None:
        if connection in self.idle:
            self._discard(connection, abort=False)

    def close(self) -> list[asyncio.Future[None]]:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_exception(HttpError("the gateway's HTTP client is closed"))
        closing = [connection.lost for connection in self.open]
        for connection in list(self.open):
            self._discard(connection, abort=False)
        return closing


_HEAD, _LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _TRAILERS, _UNTIL_CLOSE = range(6)


class _Connection(asyncio.Protocol):
    """One connection, reading answers as they arrive (no task of its own)."""

    def __init__(self, pool: _Pool) -> None:
        self._pool = pool
        self._limit = pool.client.max_response_bytes
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[Response] | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.reused = False
        self.idle_since = 0.0
        self._reset()

    def _reset(self) -> None:
        self._state = _HEAD
        self._status = 0
        self._keep_alive = True
        self._remaining = 0
        self._chunks: list[bytes] = []
        self._body_size = 0
        self._received = False

    # Driven by the request.

    async def exchange(self, request: bytes) -> Response:
        if self.closed or self._transport is None or self._transport.is_closing():
            raise _NothingReceived("connection closed before the request")
        self._reset()
        waiter: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        self._transport.write(request)
        try:
            return await waiter
        finally:
            self._waiter = None

    def drop(self, *, abort: bool) -> None:
        self.closed = True
        if self._transport is not None:
            # Abort when an exchange was cut short: what is unsent is of no use.
            self._transport.abort() if abort else self._transport.close()

    # Driven by the event loop.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only alike.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            # Bytes nobody asked for: nothing on this connection can be trusted now.
            self._gone()
            return
        self._received = True
        self._buffer += data
        try:
            response = self._parse()
        except HttpError as error:
            waiter.set_exception(error)
            return
        if response is not None:
            waiter.set_result(response)

    def eof_received(self) -> bool:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            if self._state == _UNTIL_CLOSE:
                body = bytes(self._buffer)
                self._buffer.clear()
                waiter.set_result(self._finish(body, keep_alive=False))
            else:
                waiter.set_exception(self._ended_early(None))
        self._gone()
        return False  # let the transport close

    def connection_lost(self, exc: Exception | None) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(self._ended_early(exc))
        self._gone()
        if not self.lost.done():
            self.lost.set_result(None)

    def _gone(self) -> None:
        if not self.closed:
            self.closed = True
            self._pool.lost_while_idle(self)

    def _ended_early(self, exc: Exception | None) -> Exception:
        why = type(exc).__name__ if exc is not None else "connection closed"
        if not self._received:
            return _NothingReceived(f"{why} before an answer")
        return HttpError(f"unreachable ({why} during the answer)")

    # Parsing the answer.

    def _parse(self) -> Response | None:
        buffer = self._buffer
        while True:
            state = self._state
            if state == _HEAD:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > _MAX_HEAD_BYTES:
                        raise HttpError("answered with a response head over 64 KiB")
                    return None
                head = bytes(buffer[:end])
                del buffer[: end + 4]
                if self._read_head(head):
                    return self._finish(b"")
            elif state == _LENGTH:
                size = self._remaining
                if len(buffer) < size:
                    return None
                body = bytes(buffer[:size])
                del buffer[:size]
                return self._finish(body)
            elif state == _CHUNK_SIZE:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > _MAX_CHUNK_LINE_BYTES:
                        raise HttpError("answered with a malformed chunk size")
                    return None
                line = bytes(buffer[:end]).partition(b";")[0].strip()
                del buffer[: end + 2]
                try:
                    size = int(line, 16)
                except ValueError:
                    raise HttpError("answered with a malformed chunk size") from None
                if size < 0 or line.startswith((b"+", b"-", b"0x", b"0X")):
                    raise HttpError("answered with a malformed chunk size")
                if size == 0:
                    self._state = _TRAILERS
                else:
                    self._body_size += size
                    self._check_size(self._body_size)
                    self._remaining = size
                    self._state = _CHUNK_DATA
            elif state == _CHUNK_DATA:
                size = self._remaining
                if len(buffer) < size + 2:
                    return None
                if buffer[size : size + 2] != b"\r\n":
                    raise HttpError("answered with a malformed chunk")
                self._chunks.append(bytes(buffer[:size]))
                del buffer[: size + 2]
                self._state = _CHUNK_SIZE
            elif state == _TRAILERS:
                if buffer.startswith(b"\r\n"):
                    del buffer[:2]
                    return self._finish(b"".join(self._chunks))
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > _MAX_HEAD_BYTES:
                        raise HttpError("answered with trailers over 64 KiB")
                    return None
                del buffer[: end + 4]
                return self._finish(b"".join(self._chunks))
            else:  # _UNTIL_CLOSE: the body ends with the connection
                self._check_size(len(buffer))
                return None

    def _read_head(self, head: bytes) -> bool:
        """Read a response head; True when the answer has no body."""
        status_line, *lines = head.split(b"\r\n")
        version = status_line[:9]
        code = status_line[9:12]
        if version not in (b"HTTP/1.1 ", b"HTTP/1.0 ") or not code.isdigit():
            raise HttpError("answered with something other than HTTP/1.1")
        status = int(code)
        keep_alive = version == b"HTTP/1.1 "
        length: int | None = None
        chunked = False
        for line in lines:
            name, colon, value = line.partition(b":")
            if not colon:
                raise HttpError("answered with a malformed header line")
            name = name.lower()
            value = value.strip()
            if name == b"content-length":
                if not value.isdigit() or (length is not None and int(value) != length):
                    raise HttpError("answered with an invalid Content-Length")
                length = int(value)
            elif name == b"transfer-encoding":
                if chunked or value.lower() != b"chunked":
                    raise HttpError(f"answered with Transfer-Encoding {value.decode('latin-1')}")
                chunked = True
            elif name == b"connection":
                tokens = {token.strip() for token in value.lower().split(b",")}
                if b"close" in tokens:
                    keep_alive = False
                elif b"keep-alive" in tokens:
                    keep_alive = True
            elif name == b"content-encoding" and value.lower() not in (b"", b"identity"):
                # Not asked for (no Accept-Encoding is sent), so not decoded.
                raise HttpError(f"answered with Content-Encoding {value.decode('latin-1')}")
        if 100 <= status < 200:
            if status == 101:
                raise HttpError("answered 101 Switching Protocols")
            return False  # an interim answer: the real head follows
        self._status = status
        self._keep_alive = keep_alive
        if status in (204, 304):
            return True
        if chunked:
            # Both lengths given is how requests are smuggled: read chunked, then close.
            self._keep_alive = keep_alive and length is None
            self._state = _CHUNK_SIZE
            return False
        if length is not None:
            self._check_size(length)
            self._remaining = length
            self._state = _LENGTH
            return length == 0
        self._keep_alive = False
        self._state = _UNTIL_CLOSE
        return False

    def _check_size(self, size: int) -> None:
        if size > self._limit:
            limit = self._limit
            amount = f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit} bytes"
            raise HttpError(f"answered with more than {amount}, the limit of an answer")

    def _finish(self, body: bytes, *, keep_alive: bool = True) -> Response:
        # Bytes beyond the answer were not asked for: the connection is not reused.
        keep_alive = keep_alive and self._keep_alive and not self._buffer
        response = Response(self._status, body, keep_alive)
        self._state = _HEAD
        return response
