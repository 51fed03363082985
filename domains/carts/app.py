"""The carts subgraph as a standalone ASGI app.

`shopgraph subgraph carts` serves it (with its outbox relay, its event consumer and the
guest cart sweeper); `uvicorn --factory domains.carts.app:create_app_from_env` too.
"""

from __future__ import annotations

from starlette.applications import Starlette

from domains.carts.consumers import subscriptions
from domains.carts.graphql.loaders import make_loaders
from domains.carts.graphql.schema import schema
from domains.carts.models import EVENT_TABLES
from domains.carts.sweeper import run_cart_sweeper
from domains.kit.app import Runtime, SubgraphSpec, build_subgraph_app
from domains.kit.config import Settings
from domains.kit.events.workers import consumer_worker, relay_worker

SPEC = SubgraphSpec(
    name="carts",
    schema=schema,
    make_loaders=make_loaders,
    workers=(
        relay_worker(EVENT_TABLES, producer="carts"),
        consumer_worker(EVENT_TABLES, group="carts", subscriptions=subscriptions),
        run_cart_sweeper,
    ),
)


def create_app(runtime: Runtime, *, manage_resources: bool = True) -> Starlette:
    return build_subgraph_app(SPEC, runtime, manage_resources=manage_resources)


def create_app_from_env() -> Starlette:
    return create_app(Runtime(Settings.from_env()))
