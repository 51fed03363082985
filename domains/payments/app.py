"""The payments subgraph as a standalone ASGI app, with the Stripe webhook endpoint, its
outbox relay, its event consumer and the sweep of old parked webhooks."""

from __future__ import annotations

from domains.kit.app import SubgraphSpec, app_factories
from domains.kit.events.workers import event_workers
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
        *event_workers(EVENT_TABLES, domain="payments", subscriptions=subscriptions),
        run_parked_webhook_sweeper,
    ),
)


create_app, create_app_from_env = app_factories(SPEC)
