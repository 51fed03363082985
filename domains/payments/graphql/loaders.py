"""One dataloader per relationship of the payments subgraph."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiodataloader import DataLoader

from domains.kit.db import read_session
from domains.kit.graphql.loaders import loader, many_per_key, one_per_key
from domains.kit.resources import Resources
from domains.payments.models import Payment, PaymentTransaction
from domains.payments.repository import payment_repository, transaction_repository


@dataclass
class PaymentLoaders:
    payment_by_id: DataLoader[uuid.UUID, Payment | None]
    payments_by_order_id: DataLoader[uuid.UUID, list[Payment]]
    transactions_by_payment_id: DataLoader[uuid.UUID, list[PaymentTransaction]]


def make_loaders(resources: Resources) -> PaymentLoaders:
    factory = resources.session_factory

    async def payments(ids: list[uuid.UUID]) -> list[Payment | None]:
        async with read_session(factory) as session:
            rows = await payment_repository.get_by_ids(session, ids)
        return one_per_key(ids, rows, lambda row: row.id)

    async def payments_of_orders(ids: list[uuid.UUID]) -> list[list[Payment]]:
        async with read_session(factory) as session:
            rows = await payment_repository.for_orders(session, ids)
        return many_per_key(ids, rows, lambda row: row.order_id)

    async def transactions(ids: list[uuid.UUID]) -> list[list[PaymentTransaction]]:
        async with read_session(factory) as session:
            rows = await transaction_repository.for_payments(session, ids)
        return many_per_key(ids, rows, lambda row: row.payment_id)

    return PaymentLoaders(
        payment_by_id=loader(payments),
        payments_by_order_id=loader(payments_of_orders),
        transactions_by_payment_id=loader(transactions),
    )
