"""`shopgraph payments reconcile`: re-read from the provider every payment still waiting
for its word (REQUIRES_ACTION, PROCESSING) and apply what happened, for webhooks that
never arrived. Each payment is its own unit of work."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from domains.kit.db import read_session, transaction
from domains.kit.resources import Resources
from domains.payments.providers import PaymentProvider, ProviderError
from domains.payments.repository import payment_repository
from domains.payments.services.intents import intents

logger = logging.getLogger("shopgraph.payments")


@dataclass(frozen=True)
class ReconcileReport:
    checked: int
    changed: int
    failed: int


async def reconcile_open_payments(
    resources: Resources, provider: PaymentProvider
) -> ReconcileReport:
    async with read_session(resources.session_factory) as session:
        ids = await payment_repository.open_for_provider(session, provider.name)
    changed = failed = 0
    for payment_id in ids:
        try:
            async with transaction(resources.session_factory) as session:
                changed += await intents.reconcile(session, provider, payment_id)
        except ProviderError:
            failed += 1
            logger.exception("reconciling payment %s failed", payment_id)
    return ReconcileReport(checked=len(ids), changed=changed, failed=failed)
