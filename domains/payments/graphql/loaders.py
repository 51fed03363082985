"""One dataloader per relationship of the payments subgraph."""

from __future__ import annotations

import uuid
from functools import cached_property

from aiodataloader import DataLoader

from domains.kit.graphql.loaders import by_id_loader, many_by_key_loader
from domains.kit.resources import Resources
from domains.payments.models import Payment, PaymentTransaction
from domains.payments.services.intents import intents


class PaymentLoaders:
    """The payments subgraph's loaders for one request, each built on its first use."""

    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    @cached_property
    def payment_by_id(self) -> DataLoader[uuid.UUID, Payment | None]:
        return by_id_loader(self._resources, intents.get_by_ids)

    @cached_property
    def payments_by_order_id(self) -> DataLoader[uuid.UUID, list[Payment]]:
        return many_by_key_loader(self._resources, intents.of_orders, lambda row: row.order_id)

    @cached_property
    def transactions_by_payment_id(self) -> DataLoader[uuid.UUID, list[PaymentTransaction]]:
        return many_by_key_loader(
            self._resources, intents.transactions_of, lambda row: row.payment_id
        )


def make_loaders(resources: Resources) -> PaymentLoaders:
    return PaymentLoaders(resources)
