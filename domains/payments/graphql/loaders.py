"""One dataloader per relationship of the payments subgraph."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiodataloader import DataLoader

from domains.kit.graphql.loaders import by_id_loader, many_by_key_loader
from domains.kit.resources import Resources
from domains.payments.models import Payment, PaymentTransaction
from domains.payments.services.intents import intents


@dataclass
class PaymentLoaders:
    payment_by_id: DataLoader[uuid.UUID, Payment | None]
    payments_by_order_id: DataLoader[uuid.UUID, list[Payment]]
    transactions_by_payment_id: DataLoader[uuid.UUID, list[PaymentTransaction]]


def make_loaders(resources: Resources) -> PaymentLoaders:
    return PaymentLoaders(
        payment_by_id=by_id_loader(resources, intents.get_by_ids),
        payments_by_order_id=many_by_key_loader(
            resources, intents.of_orders, lambda row: row.order_id
        ),
        transactions_by_payment_id=many_by_key_loader(
            resources, intents.transactions_of, lambda row: row.payment_id
        ),
    )
