"""One dataloader per relationship of the carts subgraph."""

from __future__ import annotations

import uuid
from functools import cached_property

from aiodataloader import DataLoader

from domains.carts.models import Cart, CartLine
from domains.carts.pricing.vouchers import service as vouchers
from domains.carts.pricing.vouchers.repository import AppliedCode
from domains.carts.service import carts
from domains.kit.graphql.loaders import by_id_loader, many_by_key_loader
from domains.kit.resources import Resources


class CartLoaders:
    """The carts subgraph's loaders for one request, each built on its first use."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    @cached_property
    def cart_by_id(self) -> DataLoader[uuid.UUID, Cart | None]:
        return by_id_loader(self._resources, carts.get_by_ids)

    @cached_property
    def lines_by_cart_id(self) -> DataLoader[uuid.UUID, list[CartLine]]:
        return many_by_key_loader(self._resources, carts.lines_of, lambda row: row.cart_id)

    @cached_property
    def open_cart_by_customer_id(self) -> DataLoader[uuid.UUID, Cart | None]:
        return by_id_loader(
            self._resources,
            carts.open_for_customers,
            lambda row: row.customer_id,
        )

    @cached_property
    def vouchers_by_cart_id(self) -> DataLoader[uuid.UUID, list[AppliedCode]]:
        return many_by_key_loader(
            self._resources, vouchers.applied_to_carts, lambda row: row.cart_id
        )


def make_loaders(resources: Resources) -> CartLoaders:
    return CartLoaders(resources)
