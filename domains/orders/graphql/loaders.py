"""One dataloader per relationship of the orders subgraph."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiodataloader import DataLoader

from domains.kit.graphql.loaders import by_id_loader, many_by_key_loader
from domains.kit.resources import Resources
from domains.orders.models import Order, OrderLine, OrderStatusChange
from domains.orders.repository import history_repository, line_repository, order_repository


@dataclass
class OrderLoaders:
    order_by_id: DataLoader[uuid.UUID, Order | None]
    lines_by_order_id: DataLoader[uuid.UUID, list[OrderLine]]
    history_by_order_id: DataLoader[uuid.UUID, list[OrderStatusChange]]


def make_loaders(resources: Resources) -> OrderLoaders:
    return OrderLoaders(
        order_by_id=by_id_loader(resources, order_repository.get_by_ids),
        lines_by_order_id=many_by_key_loader(
            resources, line_repository.for_orders, lambda row: row.order_id
        ),
        history_by_order_id=many_by_key_loader(
            resources, history_repository.for_orders, lambda row: row.order_id
        ),
    )
