"""One dataloader per relationship of the carts subgraph."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiodataloader import DataLoader

from domains.carts.models import Cart, CartLine
from domains.carts.pricing.vouchers import service as vouchers
from domains.carts.pricing.vouchers.repository import AppliedCode
from domains.carts.service import carts
from domains.kit.graphql.loaders import by_id_loader, many_by_key_loader
from domains.kit.resources import Resources


@dataclass
class CartLoaders:
    cart_by_id: DataLoader[uuid.UUID, Cart | None]
    lines_by_cart_id: DataLoader[uuid.UUID, list[CartLine]]
    open_cart_by_customer_id: DataLoader[uuid.UUID, Cart | None]
    vouchers_by_cart_id: DataLoader[uuid.UUID, list[AppliedCode]]


def make_loaders(resources: Resources) -> CartLoaders:
    return CartLoaders(
        cart_by_id=by_id_loader(resources, carts.get_by_ids),
        lines_by_cart_id=many_by_key_loader(resources, carts.lines_of, lambda row: row.cart_id),
        open_cart_by_customer_id=by_id_loader(
            resources,
            carts.open_for_customers,
            lambda row: row.customer_id,  # type: ignore[arg-type,return-value]
        ),
        vouchers_by_cart_id=many_by_key_loader(
            resources, vouchers.applied_to_carts, lambda row: row.cart_id
        ),
    )
