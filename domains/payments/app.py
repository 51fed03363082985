"""The payments subgraph as a standalone ASGI app, with the Stripe webhook endpoint, its
outbox relay, its event consumer and the sweep of old parked webhooks."""

from __future__ import annotations

from starlette.applications import Starlette

from domains.kit.app import Runtime, SubgraphSpec, build_subgraph_app
from domains.kit.config import Settings
from domains.kit.events.workers import consumer_worker, relay_worker
from domains.payments.consumers import subscriptions
from domains.payments.graphql.loaders import make_loaders
from domains.payments.graphql.schema import schema
from domains.payments.models import EVENT_TABLES
from domains.payments.sweeper import run_parked_webhook_sweeper
from domains.payments.webhooks import stripe_webhook_route

SPEC = SubgraphSpec(
    name="payments",
    schema=schema,
    make_loaders=make_loaders,
    routes=(stripe_webhook_route,),
    workers=(
        relay_worker(EVENT_TABLES, producer="payments"),
        consumer_worker(EVENT_TABLES, group="payments", subscriptions=subscriptions),
        run_parked_webhook_sweeper,
    ),
)


def create_app(runtime: Runtime, *, manage_resources: bool = True) -> Starlette:
    return build_subgraph_app(SPEC, runtime, manage_resources=manage_resources)


def create_app_from_env() -> Starlette:
    return create_app(Runtime(Settings.from_env()))
