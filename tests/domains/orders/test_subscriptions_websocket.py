"""The orders subgraph served on its own answers subscriptions over graphql-transport-ws
on its /graphql WebSocket, to the gateway's token alone."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from domains.kit.app import Runtime
from domains.kit.edge import GATEWAY_TOKEN_HEADER
from domains.kit.resources import Resources
from tests.domains.orders.live_helpers import (
    customer,
    pay,
    place_order,
    registered,
    relay,
    seller,
)

TOKEN = "subgraph-token-for-tests"
STATUS = "subscription($id: ID!) { orderStatusChanged(orderId: $id) { id status } }"
STARTUP_TURNS = 2_000


@contextlib.asynccontextmanager
async def served_orders(resources: Resources) -> AsyncIterator[str]:
    """The orders subgraph on 127.0.0.1, in this event loop (it shares the test's
    database pool), requiring the gateway's token; yields its WebSocket URL."""
    from domains.orders.app import create_app

    settings = dataclasses.replace(resources.settings, subgraph_token=TOKEN)
    app = create_app(Runtime(settings, resources), manage_resources=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, lifespan="on", log_config=None, log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(STARTUP_TURNS):
            if server.started or task.done():
                break
            await asyncio.sleep(0.005)
        if task.done():
            task.result()
        assert server.started
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/graphql"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(await ws.recv())
    assert isinstance(message, dict)
    return message


async def test_the_gateway_subscribes_over_graphql_transport_ws(resources: Resources) -> None:
    buyer, shop = customer(resources), seller(resources)
    placed = await place_order(resources, buyer, [shop])
    await relay(resources).relay_once()
    async with (
        served_orders(resources) as url,
        connect(
            url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            additional_headers={
                GATEWAY_TOKEN_HEADER: TOKEN,
                "authorization": f"Bearer {buyer.token}",
            },
        ) as ws,
    ):
        assert ws.subprotocol == "graphql-transport-ws"
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await _receive(ws))["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": STATUS, "variables": {"id": str(placed.order_id)}},
                }
            )
        )
        await registered(resources, "OrderStatusChanged", 1)
        await pay(resources, placed.order_id)
        await relay(resources).relay_once()
        message = await _receive(ws)
        paid = {"orderStatusChanged": {"id": str(placed.order_id), "status": "PAID"}}
        assert message == {"id": "1", "type": "next", "payload": {"data": paid}}
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
    await registered_none(resources)


async def registered_none(resources: Resources) -> None:
    from domains.kit.events import stream_key
    from domains.kit.events.live import live_streams

    key = stream_key(resources.settings, "OrderStatusChanged")
    for _ in range(STARTUP_TURNS):
        if live_streams(resources).subscribers(key) == 0:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the closed subscription still holds its queue")


async def test_a_handshake_without_the_gateway_token_is_refused(resources: Resources) -> None:
    async with served_orders(resources) as url:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, subprotocols=["graphql-transport-ws"]):  # type: ignore[list-item]
                pass
    assert refused.value.response.status_code == 403
