"""The orders subgraph as a standalone ASGI app, with its outbox relay, its event
consumer and the expiry of unpaid orders."""

from __future__ import annotations

from domains.kit.app import SubgraphSpec, app_factories
from domains.kit.events.workers import event_workers
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
        *event_workers(EVENT_TABLES, domain="orders", subscriptions=subscriptions),
        run_order_sweeper,
    ),
)


create_app, create_app_from_env = app_factories(SPEC)
