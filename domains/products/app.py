"""The products subgraph as a standalone ASGI app.

`shopgraph subgraph products` serves it; with DATABASE_URL, REDIS_URL, the JWT public
key and optionally MEDIA_BASE_URL and STOREFRONT_URL (with its secret) in the environment
it also runs under any ASGI server: `uvicorn --factory domains.products.app:create_app_from_env`.
"""

from __future__ import annotations

from domains.kit.app import SubgraphSpec, app_factories
from domains.kit.config import Settings
from domains.kit.events.workers import event_workers
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
        *event_workers(EVENT_TABLES, domain="products", subscriptions=subscriptions),
        revalidation_worker(),
    ),
    configure=configure,
)


create_app, create_app_from_env = app_factories(SPEC)
