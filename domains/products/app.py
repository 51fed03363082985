"""The products subgraph as a standalone ASGI app.

`shopgraph subgraph products` serves it; with DATABASE_URL, REDIS_URL, the JWT public
key and optionally MEDIA_BASE_URL and STOREFRONT_URL (with its secret) in the environment
it also runs under any ASGI server: `uvicorn --factory domains.products.app:create_app_from_env`.
"""

from __future__ import annotations

from starlette.applications import Starlette

from domains.kit.app import Runtime, SubgraphSpec, build_subgraph_app
from domains.kit.config import Settings
from domains.kit.events.workers import consumer_worker, relay_worker
from domains.kit.resources import Resources
from domains.products import media
from domains.products.consumers import subscriptions
from domains.products.graphql.loaders import make_loaders
from domains.products.graphql.schema import schema
from domains.products.models import EVENT_TABLES
from domains.products.storefront import revalidation_worker
from domains.products.sweeper import run_reservation_sweeper


async def reservation_sweeper(resources: Resources) -> None:
    await run_reservation_sweeper(resources)


def configure(settings: Settings) -> None:
    media.configure(settings.media_base_url)


SPEC = SubgraphSpec(
    name="products",
    schema=schema,
    make_loaders=make_loaders,
    workers=(
        reservation_sweeper,
        relay_worker(EVENT_TABLES, producer="products"),
        consumer_worker(EVENT_TABLES, group="products", subscriptions=subscriptions),
        revalidation_worker(),
    ),
    configure=configure,
)


def create_app(runtime: Runtime, *, manage_resources: bool = True) -> Starlette:
    return build_subgraph_app(SPEC, runtime, manage_resources=manage_resources)


def create_app_from_env() -> Starlette:
    return create_app(Runtime(Settings.from_env()))
