"""One dataloader per relationship of the orders subgraph."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiodataloader import DataLoader

from domains.kit.graphql.loaders import by_id_loader, many_by_key_loader
from domains.kit.resources import Resources
from domains.orders.models import Order, OrderLine, OrderParcel, OrderStatusChange
from domains.orders.service import orders


@dataclass
class OrderLoaders:
    order_by_id: DataLoader[uuid.UUID, Order | None]
    lines_by_order_id: DataLoader[uuid.UUID, list[OrderLine]]
    parcels_by_order_id: DataLoader[uuid.UUID, list[OrderParcel]]
    history_by_order_id: DataLoader[uuid.UUID, list[OrderStatusChange]]


def make_loaders(resources: Resources) -> OrderLoaders:
    return OrderLoaders(
        order_by_id=by_id_loader(resources, orders.get_by_ids),
        lines_by_order_id=many_by_key_loader(resources, orders.lines_of, lambda row: row.order_id),
        parcels_by_order_id=many_by_key_loader(
            resources, orders.parcels_of, lambda row: row.order_id
        ),
        history_by_order_id=many_by_key_loader(
            resources, orders.history_of, lambda row: row.order_id
        ),
    )
