"""The carts subgraph as a standalone ASGI app.

`shopgraph subgraph carts` serves it (with its outbox relay, its event consumer and the
guest cart sweeper); `uvicorn --factory domains.carts.app:create_app_from_env` too.
"""

from __future__ import annotations

from domains.carts.consumers import subscriptions
from domains.carts.graphql.loaders import make_loaders
from domains.carts.graphql.schema import schema
from domains.carts.models import EVENT_TABLES
from domains.carts.sweeper import run_cart_sweeper
from domains.kit.app import SubgraphSpec, app_factories
from domains.kit.events.workers import event_workers

SPEC = SubgraphSpec(
    name="carts",
    schema=schema,
    make_loaders=make_loaders,
    workers=(
        *event_workers(EVENT_TABLES, domain="carts", subscriptions=subscriptions),
        run_cart_sweeper,
    ),
)


create_app, create_app_from_env = app_factories(SPEC)
