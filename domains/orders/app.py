"""The orders subgraph as a standalone ASGI app, with its outbox relay, its event
consumer and the expiry of unpaid orders."""

from __future__ import annotations

from starlette.applications import Starlette

from domains.kit.app import Runtime, SubgraphSpec, build_subgraph_app
from domains.kit.config import Settings
from domains.kit.events.workers import consumer_worker, relay_worker
from domains.orders.consumers import subscriptions
from domains.orders.graphql.loaders import make_loaders
from domains.orders.graphql.schema import schema
from domains.orders.models import EVENT_TABLES
from domains.orders.sweeper import run_order_sweeper

SPEC = SubgraphSpec(
    name="orders",
    schema=schema,
    make_loaders=make_loaders,
    workers=(
        relay_worker(EVENT_TABLES, producer="orders"),
        consumer_worker(EVENT_TABLES, group="orders", subscriptions=subscriptions),
        run_order_sweeper,
    ),
)


def create_app(runtime: Runtime, *, manage_resources: bool = True) -> Starlette:
    return build_subgraph_app(SPEC, runtime, manage_resources=manage_resources)


def create_app_from_env() -> Starlette:
    return create_app(Runtime(Settings.from_env()))
