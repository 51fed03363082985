"""One dataloader per relationship of the orders subgraph."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiodataloader import DataLoader

from domains.kit.db import read_session
from domains.kit.graphql.loaders import loader, many_per_key, one_per_key
from domains.kit.resources import Resources
from domains.orders.models import Order, OrderLine, OrderStatusChange
from domains.orders.repository import history_repository, line_repository, order_repository


@dataclass
class OrderLoaders:
    order_by_id: DataLoader[uuid.UUID, Order | None]
    lines_by_order_id: DataLoader[uuid.UUID, list[OrderLine]]
    history_by_order_id: DataLoader[uuid.UUID, list[OrderStatusChange]]


def make_loaders(resources: Resources) -> OrderLoaders:
    factory = resources.read_session_factory

    async def orders(ids: list[uuid.UUID]) -> list[Order | None]:
        async with read_session(factory) as session:
            rows = await order_repository.get_by_ids(session, ids)
        return one_per_key(ids, rows, lambda row: row.id)

    async def lines(ids: list[uuid.UUID]) -> list[list[OrderLine]]:
        async with read_session(factory) as session:
            rows = await line_repository.for_orders(session, ids)
        return many_per_key(ids, rows, lambda row: row.order_id)

    async def history(ids: list[uuid.UUID]) -> list[list[OrderStatusChange]]:
        async with read_session(factory) as session:
            rows = await history_repository.for_orders(session, ids)
        return many_per_key(ids, rows, lambda row: row.order_id)

    return OrderLoaders(
        order_by_id=loader(orders),
        lines_by_order_id=loader(lines),
        history_by_order_id=loader(history),
    )
