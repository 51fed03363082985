"""The gateway's keep-alive HTTP/1.1 client to plain http:// subgraphs, against real servers.

A small Starlette app under uvicorn (both of its HTTP implementations, h11 and httptools)
answers what each test needs and notes which connection (client address) every request
came on, so connection reuse is counted on the server's side. Where uvicorn cannot be
made to misbehave on cue (a connection closed just as a request crosses it, an answer
cut off half-way), a scripted asyncio server stands in.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from domains.kit.config import Settings
from gateway.app import GatewayConfig, build_gateway_app
from gateway.transport.http import HttpTransport, KeepAliveTransport, http_client
from gateway.transport.keepalive import KeepAliveClient, is_plain_http
from gateway.transport.types import SubgraphUnavailable
from shopgraph.platform import build_remote_gateway_app
from tests.federation.topology import ServedTopology, serve_topology
from tests.gateway.edge import client_of, serve_app

ECHO = "query Echo($n: Int) { echo(n: $n) }"
STOREFRONT = "query { topProducts(first: 2) { name stock reviews { body author { name } } } }"


class Recorder:
    """What the served app saw, written from the server's thread."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.clients: list[tuple[str, int]] = []
        self.order: list[int] = []
        self.headers: list[dict[str, str]] = []
        self.slow_started = threading.Event()
        self.disconnected = threading.Event()

    @property
    def connections(self) -> int:
        return len(set(self.clients))

    def saw(self, request: Request) -> None:
        assert request.client is not None
        self.clients.append((request.client.host, request.client.port))


def _app(recorder: Recorder) -> Starlette:
    async def echo(request: Request) -> Response:
        recorder.saw(request)
        variables = orjson.loads(await request.body())["variables"]
        recorder.order.append(variables["n"])
        await asyncio.sleep(variables.get("sleep", 0))
        return JSONResponse({"data": {"echo": variables["n"]}})

    async def chunked(request: Request) -> Response:
        recorder.saw(request)
        size = orjson.loads(await request.body())["variables"].get("size", 3)

        async def parts() -> AsyncIterator[bytes]:
            yield b'{"data": {"items": ['
            for index in range(size):
                yield (b", " if index else b"") + orjson.dumps({"index": index, "pad": "x" * 100})
                await asyncio.sleep(0)
            yield b"]}}"

        return StreamingResponse(parts(), media_type="application/json")

    async def close(request: Request) -> Response:
        recorder.saw(request)
        return JSONResponse({"data": {"closed": True}}, headers={"connection": "close"})

    async def slow(request: Request) -> Response:
        recorder.saw(request)
        await request.body()
        recorder.slow_started.set()
        # Once the body is read, receive() waits for the client to go away.
        message = await request.receive()
        if message["type"] == "http.disconnect":
            recorder.disconnected.set()
        return JSONResponse({"data": {"slow": True}})

    async def text(request: Request) -> Response:
        recorder.saw(request)
        return PlainTextResponse("upstream is sad", status_code=502)

    async def not_graphql(request: Request) -> Response:
        recorder.saw(request)
        return JSONResponse({"hello": "world"})

    async def headers(request: Request) -> Response:
        recorder.saw(request)
        recorder.headers.append(dict(request.headers))
        return JSONResponse({"data": {"ok": True}})

    async def big(request: Request) -> Response:
        recorder.saw(request)
        return JSONResponse({"data": {"pad": "x" * 4096}})

    paths = {
        "echo": echo,
        "chunked": chunked,
        "close": close,
        "slow": slow,
        "text": text,
        "not-graphql": not_graphql,
        "headers": headers,
        "big": big,
    }
    return Starlette(
        routes=[Route(f"/{path}", view, methods=["POST"]) for path, view in paths.items()]
    )


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module", params=["h11", "httptools"])
def served(request: pytest.FixtureRequest, recorder: Recorder) -> Iterator[str]:
    """The app under uvicorn with each HTTP implementation; its base URL."""
    with serve_app(_app(recorder), http=request.param, lifespan="off") as url:
        yield url


@pytest.fixture
async def client(recorder: Recorder) -> AsyncIterator[KeepAliveClient]:
    recorder.reset()
    client = KeepAliveClient(timeout=5.0, max_connections=4)
    yield client
    await client.aclose()


def _transport(client: KeepAliveClient, url: str) -> KeepAliveTransport:
    return KeepAliveTransport(url, client)


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/graphql"


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 5 s")


async def test_concurrent_requests_share_few_connections_and_each_gets_its_own_answer(
    served: str, client: KeepAliveClient, recorder: Recorder
) -> None:
    transport = _transport(client, f"{served}/echo")
    rng = random.Random(7)

    results = await asyncio.gather(
        *(transport.fetch(ECHO, {"n": n, "sleep": rng.random() / 200}, {}) for n in range(300))
    )

    assert [result["data"]["echo"] for result in results] == list(range(300))
    assert recorder.connections <= 4
    assert client.connections <= 4


async def test_sequential_requests_reuse_one_connection(
    served: str, client: KeepAliveClient, recorder: Recorder
) -> None:
    transport = _transport(client, f"{served}/echo")

    for n in range(10):
        assert await transport.fetch(ECHO, {"n": n}, {}) == {"data": {"echo": n}}

    assert len(recorder.clients) == 10
    assert recorder.connections == 1
    assert client.idle_connections == 1


async def test_waiting_requests_are_served_in_arrival_order(
    served: str, recorder: Recorder
) -> None:
    recorder.reset()
    client = KeepAliveClient(max_connections=1)
    transport = _transport(client, f"{served}/echo")
    try:
        tasks = []
        for n in range(8):
            tasks.append(asyncio.create_task(transport.fetch(ECHO, {"n": n}, {})))
            await asyncio.sleep(0)  # each queues before the next starts
        await asyncio.gather(*tasks)
    finally:
        await client.aclose()

    assert recorder.order == list(range(8))
    assert recorder.connections == 1


@pytest.mark.parametrize("http", ["h11", "httptools"])
async def test_a_connection_the_server_closed_while_idle_is_not_used_again(
    http: str, recorder: Recorder, client: KeepAliveClient
) -> None:
    with serve_app(_app(recorder), http=http, lifespan="off", timeout_keep_alive=1) as url:
        transport = _transport(client, f"{url}/echo")
        assert await transport.fetch(ECHO, {"n": 1}, {}) == {"data": {"echo": 1}}
        assert client.idle_connections == 1

        # uvicorn closes a connection idle for timeout_keep_alive; the pool hears of it.
        await _until(lambda: client.idle_connections == 0)
        second = await transport.fetch(ECHO, {"n": 2}, {})

    assert second == {"data": {"echo": 2}}
    assert recorder.connections == 2


Answer = Callable[[int, int], tuple[bytes, bool]]


class ScriptedServer:
    """An HTTP/1.1 server on asyncio streams that answers as `answer` says.

    `answer(connection, request)` (both counted from 0) returns the bytes to send back
    and whether to keep the connection open after them."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self.connections = 0
        self.requests = 0
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/graphql"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = self.connections
        self.connections += 1
        try:
            for request in range(1000):
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.requests += 1
                answer, keep_open = self._answer(connection, request)
                writer.write(answer)
                await writer.drain()
                if not keep_open:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def _ok(n: int) -> bytes:
    body = orjson.dumps({"data": {"echo": n}})
    return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )


async def test_a_request_crossing_the_servers_close_is_sent_again_on_a_fresh_connection() -> None:
    # The first connection answers once, then closes on the next request unanswered: what
    # a client sees when its request meets the server's keep-alive timeout.
    def answer(connection: int, request: int) -> tuple[bytes, bool]:
        return (b"", False) if (connection, request) == (0, 1) else (_ok(request), True)

    client = KeepAliveClient(timeout=5.0)
    async with ScriptedServer(answer) as server:
        transport = _transport(client, server.url)
        try:
            first = await transport.fetch(ECHO, {}, {})
            second = await transport.fetch(ECHO, {}, {})
        finally:
            await client.aclose()

    assert (first, second) == ({"data": {"echo": 0}}, {"data": {"echo": 0}})
    assert (server.connections, server.requests) == (2, 3)


async def test_a_mutation_crossing_the_servers_close_is_not_sent_again() -> None:
    # The same closing as above, but a mutation: the server may have run it before dying,
    # so it fails instead of running twice.
    def answer(connection: int, request: int) -> tuple[bytes, bool]:
        return (b"", False) if (connection, request) == (0, 1) else (_ok(request), True)

    client = KeepAliveClient(timeout=5.0)
    async with ScriptedServer(answer) as server:
        transport = _transport(client, server.url)
        try:
            await transport.fetch(ECHO, {}, {})
            with pytest.raises(SubgraphUnavailable) as failure:
                await transport.fetch("mutation Bump { bump }", {}, {})
        finally:
            await client.aclose()

    assert str(failure.value) == "unreachable (connection closed before an answer)"
    assert (server.connections, server.requests) == (1, 2)


async def test_the_request_is_sent_again_only_once() -> None:
    def answer(connection: int, request: int) -> tuple[bytes, bool]:
        return (_ok(request), True) if connection == 0 and request == 0 else (b"", False)

    client = KeepAliveClient(timeout=5.0)
    async with ScriptedServer(answer) as server:
        transport = _transport(client, server.url)
        try:
            await transport.fetch(ECHO, {}, {})
            with pytest.raises(SubgraphUnavailable) as failure:
                await transport.fetch(ECHO, {}, {})
        finally:
            await client.aclose()

    assert str(failure.value) == "unreachable (connection closed before an answer)"
    assert (server.connections, server.requests) == (2, 3)


async def test_a_request_is_not_sent_again_once_part_of_the_answer_came() -> None:
    def answer(connection: int, request: int) -> tuple[bytes, bool]:
        return (_ok(request), True) if request == 0 else (b"HTTP/1.1 200 OK\r\ncontent-le", False)

    client = KeepAliveClient(timeout=5.0)
    async with ScriptedServer(answer) as server:
        transport = _transport(client, server.url)
        try:
            await transport.fetch(ECHO, {}, {})
            with pytest.raises(SubgraphUnavailable) as failure:
                await transport.fetch(ECHO, {}, {})
        finally:
            await client.aclose()

    assert str(failure.value) == "unreachable (connection closed during the answer)"
    assert (server.connections, server.requests) == (1, 2)


async def test_a_request_is_not_sent_again_after_failing_on_a_new_connection() -> None:
    client = KeepAliveClient(timeout=5.0)
    async with ScriptedServer(lambda connection, request: (b"", False)) as server:
        transport = _transport(client, server.url)
        try:
            with pytest.raises(SubgraphUnavailable) as failure:
                await transport.fetch(ECHO, {}, {})
        finally:
            await client.aclose()

    assert str(failure.value) == "unreachable (connection closed before an answer)"
    assert (server.connections, server.requests) == (1, 1)


async def test_an_answer_that_is_not_http_is_refused() -> None:
    client = KeepAliveClient(timeout=5.0)
    async with ScriptedServer(
        lambda connection, request: (b"SSH-2.0-OpenSSH\r\n\r\n", True)
    ) as server:
        try:
            with pytest.raises(SubgraphUnavailable, match=r"other than HTTP/1\.1"):
                await _transport(client, server.url).fetch(ECHO, {}, {})
        finally:
            await client.aclose()
    assert client.connections == 0


async def test_a_chunked_answer_is_read_whole(
    served: str, client: KeepAliveClient, recorder: Recorder
) -> None:
    transport = _transport(client, f"{served}/chunked")

    first = await transport.fetch(ECHO, {"size": 50}, {})
    second = await transport.fetch(ECHO, {"size": 0}, {})

    assert [item["index"] for item in first["data"]["items"]] == list(range(50))
    assert second == {"data": {"items": []}}
    assert recorder.connections == 1, "a chunked answer leaves the connection reusable"


async def test_an_answer_with_connection_close_closes_the_connection(
    served: str, client: KeepAliveClient, recorder: Recorder
) -> None:
    transport = _transport(client, f"{served}/close")

    for _ in range(3):
        assert await transport.fetch(ECHO, {}, {}) == {"data": {"closed": True}}

    assert recorder.connections == 3
    assert client.connections == 0


async def test_a_slow_subgraph_times_out_and_its_connection_is_closed(
    served: str, recorder: Recorder
) -> None:
    recorder.reset()
    client = KeepAliveClient(timeout=0.3)
    try:
        with pytest.raises(SubgraphUnavailable) as failure:
            await _transport(client, f"{served}/slow").fetch(ECHO, {}, {})
        assert client.connections == 0
    finally:
        await client.aclose()

    assert str(failure.value) == "timed out"
    await _until(recorder.disconnected.is_set)


async def test_a_refused_connection_is_unreachable(client: KeepAliveClient) -> None:
    with pytest.raises(SubgraphUnavailable) as failure:
        await _transport(client, _closed_port_url()).fetch(ECHO, {}, {})

    assert str(failure.value) == "unreachable (ConnectionRefusedError)"
    assert client.connections == 0


async def test_cancelling_a_request_closes_its_connection_and_cancels_the_caller(
    served: str, client: KeepAliveClient, recorder: Recorder
) -> None:
    transport = _transport(client, f"{served}/slow")
    task = asyncio.create_task(transport.fetch(ECHO, {}, {}))
    await _until(recorder.slow_started.is_set)

    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert client.connections == 0
    await _until(recorder.disconnected.is_set)


async def test_the_executors_own_time_limit_cancels_through_the_transport(
    served: str, client: KeepAliveClient, recorder: Recorder
) -> None:
    transport = _transport(client, f"{served}/slow")

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await transport.fetch(ECHO, {}, {})

    assert client.connections == 0
    await _until(recorder.disconnected.is_set)
    echo = _transport(client, f"{served}/echo")
    assert await echo.fetch(ECHO, {"n": 5}, {}) == {"data": {"echo": 5}}


@pytest.mark.parametrize(
    ("path", "status"), [("text", 502), ("not-graphql", 200)], ids=["text", "json"]
)
async def test_an_answer_that_is_not_a_graphql_response_is_named(
    served: str, client: KeepAliveClient, path: str, status: int
) -> None:
    with pytest.raises(SubgraphUnavailable) as failure:
        await _transport(client, f"{served}/{path}").fetch(ECHO, {}, {})

    assert str(failure.value) == f"answered HTTP {status} without a GraphQL response"
    assert client.idle_connections == 1, "a complete answer keeps its connection"


async def test_only_allow_listed_headers_are_forwarded_as_httpx_forwards_them(
    served: str, client: KeepAliveClient, recorder: Recorder
) -> None:
    sent = {
        "Authorization": "Bearer token",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "X-Request-Id": "req-1",
        "Accept-Language": "de",
        "Cookie": "session=secret",
        "Host": "evil.test",
        "Content-Length": "1",
        "Content-Type": "text/plain",
        "Connection": "close",
        "X-Forwarded-For": "10.0.0.1",
    }
    url = f"{served}/headers"

    await _transport(client, url).fetch(ECHO, {}, sent)
    async with http_client() as httpx_client:
        await HttpTransport(url, httpx_client).fetch(ECHO, {}, sent)

    lean, reference = recorder.headers
    body_length = str(len(orjson.dumps({"query": ECHO, "variables": {}})))
    assert lean == {
        "host": served.removeprefix("http://"),
        "content-type": "application/json",
        "accept": "application/graphql-response+json, application/json",
        "content-length": body_length,
        "authorization": "Bearer token",
        "traceparent": sent["traceparent"],
        "x-request-id": "req-1",
        "accept-language": "de",
    }
    # httpx adds its own user-agent, accept-encoding and connection; the rest is the same.
    assert {k: v for k, v in reference.items() if k in lean} == lean
    assert set(reference) - set(lean) == {"user-agent", "accept-encoding", "connection"}


async def test_a_header_with_a_line_break_is_not_sent(
    served: str, client: KeepAliveClient, recorder: Recorder
) -> None:
    with pytest.raises(SubgraphUnavailable, match="line break"):
        await _transport(client, f"{served}/headers").fetch(
            ECHO, {}, {"authorization": "Bearer x\r\nx-admin: 1"}
        )

    assert recorder.headers == []


@pytest.mark.parametrize(("path", "variables"), [("big", {}), ("chunked", {"size": 40})])
async def test_an_answer_over_the_size_limit_fails_clearly(
    served: str, path: str, variables: dict[str, Any]
) -> None:
    client = KeepAliveClient(max_response_bytes=2048)
    try:
        with pytest.raises(SubgraphUnavailable) as failure:
            await _transport(client, f"{served}/{path}").fetch(ECHO, variables, {})
        assert client.connections == 0
    finally:
        await client.aclose()

    assert str(failure.value) == "answered with more than 2048 bytes, the limit of an answer"


async def test_aclose_closes_every_connection_and_refuses_later_requests(served: str) -> None:
    client = KeepAliveClient(max_connections=4)
    transport = _transport(client, f"{served}/echo")
    await asyncio.gather(*(transport.fetch(ECHO, {"n": n, "sleep": 0.01}, {}) for n in range(8)))
    assert client.idle_connections == 4

    await client.aclose()

    assert client.connections == 0
    with pytest.raises(SubgraphUnavailable, match="closed"):
        await transport.fetch(ECHO, {"n": 1}, {})


@pytest.mark.parametrize(
    ("url", "plain"),
    [
        ("http://127.0.0.1:4001/graphql", True),
        ("http://users/graphql?x=1", True),
        ("http://users:80/graphql", True),
        ("https://users.example.com/graphql", False),
        ("http://user:secret@users/graphql", False),
        ("http://users/graph ql", False),
        ("http:///graphql", False),
        ("http://users:99999/graphql", False),
        ("ftp://users/graphql", False),
    ],
)
def test_plain_http_urls_are_recognised(url: str, plain: bool) -> None:
    assert is_plain_http(url) is plain


def test_the_gateway_picks_the_keepalive_transport_for_plain_http_only() -> None:
    from tests.gateway.edge import topology_supergraph

    app = build_gateway_app(
        GatewayConfig(
            supergraph_sdl=topology_supergraph(),
            subgraphs={
                "accounts": "http://127.0.0.1:4001/graphql",
                "products": "https://products.example.com/graphql",
                "inventory": "http://inventory/graphql",
                "reviews": "http://reviews/graphql",
                "orders": "http://orders/graphql",
            },
        )
    )

    kinds = {name: type(t).__name__ for name, t in app.state.gateway.executor.transports.items()}
    assert kinds == {
        "accounts": "KeepAliveTransport",
        "products": "HttpTransport",
        "inventory": "KeepAliveTransport",
        "reviews": "KeepAliveTransport",
        "orders": "KeepAliveTransport",
    }


@pytest.fixture(scope="module")
def topology() -> Iterator[ServedTopology]:
    with serve_topology() as served:
        yield served


async def test_the_remote_gateway_answers_many_clients_over_few_connections(
    topology: ServedTopology,
) -> None:
    app = build_remote_gateway_app(Settings(), topology.urls)
    transports = app.state.gateway.executor.transports
    assert {type(t) for t in transports.values()} == {KeepAliveTransport}
    topology.request_log.clear()

    async with client_of(app) as gateway:
        responses = await asyncio.gather(
            *(gateway.post("/graphql", json={"query": STOREFRONT}) for _ in range(40))
        )

    bodies = [response.json() for response in responses]
    assert all("errors" not in body for body in bodies), bodies[0]
    assert len({orjson.dumps(body) for body in bodies}) == 1
    first = bodies[0]["data"]["topProducts"][0]
    assert (first["name"], first["stock"]) == ("Difference Engine Manual", 12)
    counts = topology.request_log.count_by_subgraph()
    assert counts == {"accounts": 40, "inventory": 40, "products": 40, "reviews": 40}


async def test_aclose_fails_the_requests_under_way_without_reconnecting(
    served: str, recorder: Recorder
) -> None:
    recorder.reset()
    client = KeepAliveClient(max_connections=1)
    await _transport(client, f"{served}/echo").fetch(ECHO, {"n": 1}, {})
    slow = _transport(client, f"{served}/slow")
    # One on the (reused) connection, two waiting for it.
    tasks = [asyncio.create_task(slow.fetch(ECHO, {}, {})) for _ in range(3)]
    await _until(recorder.slow_started.is_set)

    await client.aclose()

    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert [str(outcome) for outcome in outcomes] == ["the gateway's HTTP client is closed"] * 3
    assert client.connections == 0
    assert recorder.connections == 1
    await _until(recorder.disconnected.is_set)
