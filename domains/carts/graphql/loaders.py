"""One dataloader per relationship of the carts subgraph."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiodataloader import DataLoader

from domains.carts.models import Cart, CartLine
from domains.carts.repository import cart_repository, line_repository
from domains.kit.db import read_session
from domains.kit.graphql.loaders import loader, many_per_key, one_per_key
from domains.kit.resources import Resources


@dataclass
class CartLoaders:
    cart_by_id: DataLoader[uuid.UUID, Cart | None]
    lines_by_cart_id: DataLoader[uuid.UUID, list[CartLine]]
    open_cart_by_customer_id: DataLoader[uuid.UUID, Cart | None]


def make_loaders(resources: Resources) -> CartLoaders:
    factory = resources.read_session_factory

    async def carts(ids: list[uuid.UUID]) -> list[Cart | None]:
        async with read_session(factory) as session:
            rows = await cart_repository.get_by_ids(session, ids)
        return one_per_key(ids, rows, lambda row: row.id)

    async def lines(ids: list[uuid.UUID]) -> list[list[CartLine]]:
        async with read_session(factory) as session:
            rows = await line_repository.for_carts(session, ids)
        return many_per_key(ids, rows, lambda row: row.cart_id)

    async def open_carts(ids: list[uuid.UUID]) -> list[Cart | None]:
        async with read_session(factory) as session:
            rows = await cart_repository.open_for_customer(session, ids)
        return one_per_key(ids, rows, lambda row: row.customer_id)  # type: ignore[arg-type,return-value]

    return CartLoaders(
        cart_by_id=loader(carts),
        lines_by_cart_id=loader(lines),
        open_cart_by_customer_id=loader(open_carts),
    )
