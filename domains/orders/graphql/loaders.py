"""One dataloader per relationship of the orders subgraph."""

from __future__ import annotations

import uuid
from functools import cached_property

from aiodataloader import DataLoader

from domains.kit.graphql.loaders import by_id_loader, many_by_key_loader
from domains.kit.resources import Resources
from domains.orders.models import Order, OrderLine, OrderParcel, OrderStatusChange
from domains.orders.service import orders


class OrderLoaders:
    """The orders subgraph's loaders for one request, each built on its first use."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    @cached_property
    def order_by_id(self) -> DataLoader[uuid.UUID, Order | None]:
        return by_id_loader(self._resources, orders.get_by_ids)

    @cached_property
    def lines_by_order_id(self) -> DataLoader[uuid.UUID, list[OrderLine]]:
        return many_by_key_loader(self._resources, orders.lines_of, lambda row: row.order_id)

    @cached_property
    def parcels_by_order_id(self) -> DataLoader[uuid.UUID, list[OrderParcel]]:
        return many_by_key_loader(self._resources, orders.parcels_of, lambda row: row.order_id)

    @cached_property
    def history_by_order_id(self) -> DataLoader[uuid.UUID, list[OrderStatusChange]]:
        return many_by_key_loader(self._resources, orders.history_of, lambda row: row.order_id)


def make_loaders(resources: Resources) -> OrderLoaders:
    return OrderLoaders(resources)
