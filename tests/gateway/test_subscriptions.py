"""Subscriptions through our gateway over the two fixture subgraphs (clock owns
`Subscription.ticks`, labels adds `Tick.label`), served for real by uvicorn: graphql-ws
and SSE, in-process and with subgraphs deployed apart, and the plan behind them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from domains.kit.auth import AUDIENCE, JwtKeys
from gateway.app import EdgeAuth
from gateway.federation.plan import FetchNode
from gateway.limits import Limits
from gateway.subscriptions.hub import SubscriptionLimits
from gateway.subscriptions.runner import split_plan
from tests.gateway import tokens
from tests.gateway.edge import serve_app
from tests.support.subscription_subgraphs import SCHEMAS, fixture_gateway, served_app
from tests.support.subscriptions import Closed, StalledClient, bearer, graphql_ws, sse_events

TICKS = "subscription($count: Int!) { ticks(count: $count) { n label } }"
EXPECTED = [{"data": {"ticks": {"n": n, "label": f"label of t{n}"}}} for n in range(3)]


def test_the_plan_subscribes_to_the_owner_and_joins_each_event_by_entity_fetches() -> None:
    app = fixture_gateway()
    pipeline = app.state.gateway
    planned = split_plan(pipeline.plan(TICKS))
    assert planned.source.subgraph == "clock"
    assert planned.source.document.startswith("subscription")
    assert "__typename" in planned.source.document
    assert isinstance(planned.rest, FetchNode)
    assert planned.rest.subgraph == "labels"
    assert planned.rest.is_entity_fetch


async def test_graphql_ws_delivers_every_event_with_fields_of_both_subgraphs() -> None:
    with serve_app(fixture_gateway(), ws="auto") as url:
        async with graphql_ws(url + "/graphql") as client:
            await client.subscribe("1", TICKS, {"count": 3})
            payloads, ending = await client.until_done("1")
            await client.send({"type": "ping"})
            pong = await client.receive()
    assert (payloads, ending) == (EXPECTED, "complete")
    assert pong == {"type": "pong"}


async def test_sse_delivers_every_event_then_complete() -> None:
    with serve_app(fixture_gateway()) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            status, events = await sse_events(http, TICKS, {"count": 3})
            get = await http.get(
                "/graphql",
                params={"query": "subscription { ticks(count: 1) { n } }"},
                headers={"accept": "text/event-stream"},
            )
    assert status == 200
    assert events == [*(("next", payload) for payload in EXPECTED), ("complete", None)]
    assert get.headers["content-type"].startswith("text/event-stream")
    assert "event: next" in get.text
    assert "event: complete" in get.text


async def test_subgraphs_deployed_apart_are_subscribed_over_graphql_ws() -> None:
    with (
        serve_app(served_app(SCHEMAS["clock"]), ws="auto") as clock,
        serve_app(served_app(SCHEMAS["labels"])) as labels,
    ):
        urls = {"clock": clock + "/graphql", "labels": labels + "/graphql"}
        with serve_app(fixture_gateway(urls), ws="auto") as url:
            async with graphql_ws(url + "/graphql") as client:
                await client.subscribe("a", TICKS, {"count": 3})
                payloads, ending = await client.until_done("a")
    assert (payloads, ending) == (EXPECTED, "complete")


async def test_a_query_over_http_is_told_where_subscriptions_are_served() -> None:
    with serve_app(fixture_gateway()) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.post(
                "/graphql",
                json={"query": TICKS, "variables": {"count": 1}},
                headers={"accept": "application/graphql-response+json"},
            )
    assert response.status_code == 400
    assert "text/event-stream" in response.json()["errors"][0]["message"]


async def test_the_protocol_s_close_codes() -> None:
    cases: dict[str, tuple[list[dict[str, Any] | str], int]] = {
        "subscribe before the ack": (
            [{"id": "1", "type": "subscribe", "payload": {"query": TICKS}}],
            4401,
        ),
        "not JSON": (["{nope"], 4400),
        "unknown type": ([{"type": "connection_init"}, {"type": "hello"}], 4400),
        "second init": ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
    }
    with serve_app(fixture_gateway(), ws="auto") as url:
        for name, (messages, code) in cases.items():
            async with graphql_ws(url + "/graphql", init=False) as client:
                for message in messages:
                    if isinstance(message, str):
                        await client.connection.send(message)
                    else:
                        await client.send(message)
                ending = None
                while ending is None or not hasattr(ending, "code"):
                    ending = await client.receive()
                assert getattr(ending, "code", None) == code, name


async def test_an_id_already_running_closes_with_4409() -> None:
    slow = "subscription { ticks(count: 100, interval: 0.5) { n } }"
    with serve_app(fixture_gateway(), ws="auto") as url:
        async with graphql_ws(url + "/graphql") as client:
            await client.subscribe("x", slow)
            await client.subscribe("x", slow)
            _payloads, ending = await client.until_done("x")
    assert ending == "closed 4409"


async def test_a_client_complete_stops_its_subscription() -> None:
    slow = "subscription { ticks(count: 100, interval: 0.2) { n } }"
    with serve_app(fixture_gateway(), ws="auto") as url:
        async with graphql_ws(url + "/graphql") as client:
            await client.subscribe("s", slow)
            first = await client.receive()
            await client.send({"id": "s", "type": "complete"})
            await client.subscribe("t", TICKS, {"count": 1})
            payloads, ending = await client.until_done("t")
    assert first == {"id": "s", "type": "next", "payload": {"data": {"ticks": {"n": 0}}}}
    assert (payloads, ending) == (EXPECTED[:1], "complete")


@pytest.mark.parametrize("transport", ["graphql-ws", "sse"])
async def test_invalid_subscriptions_are_refused_with_an_error(transport: str) -> None:
    query = "subscription { ticks(count: 1) { nope } }"
    with serve_app(fixture_gateway(), ws="auto") as url:
        if transport == "graphql-ws":
            async with graphql_ws(url + "/graphql") as client:
                await client.subscribe("1", query)
                payloads, ending = await client.until_done("1")
            assert ending == "error"
            errors = payloads[-1]["errors"]
        else:
            async with httpx.AsyncClient(base_url=url) as http:
                status, events = await sse_events(http, query)
            assert status == 400
            errors = events[0][1]["errors"]
    assert errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "nope" in errors[0]["message"]


def _authenticated_gateway(keys: JwtKeys, **overrides: Any) -> Any:
    auth = EdgeAuth(issuer="shopgraph", audience=AUDIENCE, jwks=keys.jwks())
    return fixture_gateway(auth=auth, **overrides)


async def test_the_connection_s_token_is_checked_and_reaches_the_subgraph() -> None:
    keys = JwtKeys.generate()
    good = tokens.signed(keys)
    who = "subscription { authorization }"
    with serve_app(_authenticated_gateway(keys), ws="auto") as url:
        async with graphql_ws(url + "/graphql", bearer(good)) as client:
            await client.subscribe("1", who)
            payloads, _ending = await client.until_done("1")
        async with graphql_ws(url + "/graphql", {"token": good}) as client:
            await client.subscribe("1", who)
            by_token, _ending = await client.until_done("1")
        async with graphql_ws(url + "/graphql", init=False) as client:
            await client.send({"type": "connection_init", "payload": bearer(tokens.alg_none())})
            refused = await client.receive()
        async with httpx.AsyncClient(base_url=url) as http:
            status, events = await sse_events(http, who, token=tokens.signed(JwtKeys.generate()))
            sse_status, sse_ok = await sse_events(http, who, token=good)
    assert payloads == by_token == [{"data": {"authorization": f"Bearer {good}"}}]
    assert isinstance(refused, Closed)
    assert refused.code == 4403
    assert status == 401
    assert events[0][1]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (sse_status, sse_ok[0]) == (200, ("next", payloads[0]))


async def test_a_token_that_expires_closes_the_connection_with_4403() -> None:
    keys = JwtKeys.generate()
    soon = tokens.signed(keys, exp=int(time.time()) + 2)
    slow = "subscription { ticks(count: 100, interval: 0.5) { n } }"
    with serve_app(_authenticated_gateway(keys), ws="auto") as url:
        async with graphql_ws(url + "/graphql", bearer(soon)) as client:
            await client.subscribe("1", slow)
            payloads, ending = await client.until_done("1")
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            soon = tokens.signed(keys, exp=int(time.time()) + 2)
            _status, events = await sse_events(http, slow, token=soon)
    assert ending == "closed 4403"
    assert 0 < len(payloads) < 100
    assert events[-1] == ("complete", None)
    assert events[-2][1]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_subscriptions_per_connection_and_per_user_are_limited() -> None:
    keys = JwtKeys.generate()
    ada = tokens.signed(keys, sub="ada")
    slow = "subscription { ticks(count: 100, interval: 0.5) { n } }"
    limits = SubscriptionLimits(per_connection=2, per_user=3)
    with serve_app(_authenticated_gateway(keys, subscriptions=limits), ws="auto") as url:
        async with (
            graphql_ws(url + "/graphql", bearer(ada)) as first,
            graphql_ws(url + "/graphql", bearer(ada)) as second,
        ):
            for operation_id in ("1", "2", "3"):
                await first.subscribe(operation_id, slow)
            _payloads, connection_ending = await first.until_done("3")
            await second.subscribe("4", slow)
            await second.subscribe("5", slow)
            user_payloads, user_ending = await second.until_done("5")
    assert connection_ending == "error"
    assert _payloads[-1]["errors"][0]["extensions"] == {
        "code": "TOO_MANY_SUBSCRIPTIONS",
        "limit": 2,
        "scope": "connection",
    }
    assert user_ending == "error"
    assert user_payloads[-1]["errors"][0]["extensions"]["scope"] == "user"


@pytest.mark.parametrize(
    ("limits", "code"),
    [(Limits(max_cost=0), "MAX_COST_EXCEEDED"), (Limits(max_depth=1), "MAX_DEPTH_EXCEEDED")],
)
async def test_depth_and_cost_limits_apply_to_subscriptions(limits: Limits, code: str) -> None:
    with serve_app(fixture_gateway(limits=limits), ws="auto") as url:
        async with graphql_ws(url + "/graphql") as client:
            await client.subscribe("1", TICKS, {"count": 1})
            payloads, ending = await client.until_done("1")
    assert ending == "error"
    assert payloads[-1]["errors"][0]["extensions"]["code"] == code


async def test_a_client_that_stops_reading_is_dropped_with_1013() -> None:
    flood = "subscription { ticks(count: 100000, size: 50000) { n padding } }"
    limits = SubscriptionLimits(outbox_size=8)
    with serve_app(fixture_gateway(subscriptions=limits), ws="auto") as url:
        client = StalledClient(url + "/graphql")
        await client.open({"id": "1", "type": "subscribe", "payload": {"query": flood}})
        await asyncio.sleep(2.0)  # not reading: the socket's buffers fill, then the outbox
        received, code = await client.read_to_close()
    assert code == 1013
    assert received < 100000
