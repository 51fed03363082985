"""Two small Strawberry subgraphs for the gateway's subscription tests, as fixtures (not
domain code): `clock` owns `Subscription.ticks` (a Tick entity per event), `labels`
adds `Tick.label` through `_entities`, so a subscription's selection spans both.

Each is served in-process (execute and subscribe, as the platform's subgraphs are) or
as an ASGI app answering graphql-transport-ws on its own /graphql.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult, Info

from gateway.federation.composition import compose


@strawberry.federation.type(keys=["id"])
class Tick:
    id: strawberry.ID
    n: int
    padding: str


@strawberry.type
class ClockQuery:
    @strawberry.field
    def started(self) -> bool:
        return True


@strawberry.type
class ClockSubscription:
    @strawberry.subscription
    async def ticks(
        self, count: int, size: int = 0, interval: float = 0.0
    ) -> AsyncGenerator[Tick, None]:
        for n in range(count):
            yield Tick(id=strawberry.ID(f"t{n}"), n=n, padding="x" * size)
            await asyncio.sleep(interval)

    @strawberry.subscription
    async def authorization(self, info: Info) -> AsyncGenerator[str, None]:
        headers = info.context.get("headers") or {}
        yield str(headers.get("authorization", ""))


@strawberry.federation.type(keys=["id"], name="Tick")
class LabelledTick:
    id: strawberry.ID

    @strawberry.field
    def label(self) -> str:
        return f"label of {self.id}"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> LabelledTick:
        return LabelledTick(id=id)


@strawberry.type
class LabelsQuery:
    @strawberry.field
    def labels_ready(self) -> bool:
        return True


CLOCK = strawberry.federation.Schema(query=ClockQuery, subscription=ClockSubscription, types=[Tick])
LABELS = strawberry.federation.Schema(query=LabelsQuery, types=[LabelledTick])
SCHEMAS = {"clock": CLOCK, "labels": LABELS}


def sdl_of(schema: strawberry.federation.Schema) -> str:
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.data is not None
    return str(result.data["_service"]["sdl"])


def supergraph(urls: Mapping[str, str] | None = None) -> str:
    urls = urls or {}
    return compose(
        {
            name: (urls.get(name, f"http://{name}.invalid/graphql"), sdl_of(schema))
            for name, schema in SCHEMAS.items()
        }
    )


def _formatted(result: ExecutionResult) -> dict[str, Any]:
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        response["errors"] = [error.formatted for error in result.errors]
    return response


class LocalSchema:
    """A fixture subgraph executed in this process."""

    def __init__(self, schema: strawberry.federation.Schema) -> None:
        self.schema = schema

    async def execute(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> dict[str, Any]:
        result = await self.schema.execute(
            document, variable_values=dict(variables), context_value={"headers": headers}
        )
        return _formatted(result)

    async def subscribe(
        self, document: str, variables: Mapping[str, Any], headers: Mapping[str, str]
    ) -> AsyncGenerator[dict[str, Any], None]:
        results = await self.schema.subscribe(
            document, variable_values=dict(variables), context_value={"headers": headers}
        )
        if isinstance(results, ExecutionResult):
            yield _formatted(results)
            return
        async for result in results:
            yield _formatted(result)


class _Served(GraphQL):  # type: ignore[type-arg]
    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"headers": dict(request.headers), "request": request}


def served_app(schema: strawberry.federation.Schema) -> Starlette:
    """The schema at /graphql over HTTP POST and graphql-transport-ws."""
    app = _Served(schema, graphql_ide=None, subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])
    return Starlette(
        routes=[Route("/graphql", app, methods=["POST"]), WebSocketRoute("/graphql", app)]
    )


def fixture_gateway(urls: Mapping[str, str] | None = None, **overrides: Any) -> Starlette:
    """Our gateway over the two fixture subgraphs: in-process, or at `urls`."""
    from gateway.app import GatewayConfig, build_gateway_app

    subgraphs: dict[str, Any] = (
        dict(urls) if urls else {name: LocalSchema(schema) for name, schema in SCHEMAS.items()}
    )
    return build_gateway_app(
        GatewayConfig(supergraph_sdl=supergraph(urls), subgraphs=subgraphs, **overrides)
    )


if __name__ == "__main__":
    # `python -m tests.support.subscription_subgraphs PORT`: the gateway over the fixture
    # subgraphs, served by uvicorn in the main thread as `shopgraph serve` is (signals).
    import sys

    import uvicorn

    uvicorn.run(fixture_gateway(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
