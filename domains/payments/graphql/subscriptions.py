"""The payments subgraph's subscription field: a payment each time its status changes.

The events say when; the row says what: each event is answered with the payment as the
primary database holds it, through fresh dataloaders, so its fields match a query.
Events reach their streams only after their transaction commits
(domains/kit/events/live.py). A payment's changes travel on one stream per event
(succeeded, failed, refunded, refund failed), so two changes in quick succession may
arrive in either order; each answer is read after its event, so the last one holds the
latest status.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domains.kit.db import read_session
from domains.kit.errors import InputErrors, PermissionDenied, quoted
from domains.kit.events.live import live
from domains.payments import events
from domains.payments.graphql.types import Payment, PaymentsInfo
from domains.payments.services.intents import intents
from domains.payments.services.rules import can_view, parse_id

# Every published event that moves a payment's status.
STATUS_EVENTS = tuple(event.name for event in events.PUBLISHED)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The payment each time its status changes (captured, declined, "
        "refunded, a refund failed): its order's customer, or staff."
    )
    async def payment_status_changed(
        self, info: PaymentsInfo, payment_id: strawberry.ID
    ) -> AsyncGenerator[Payment, None]:
        viewer = info.context.viewer
        viewer.require_user()
        refusal = f"No payment {quoted(payment_id)} that you may follow."
        try:
            wanted = parse_id(payment_id, "paymentId")
        except InputErrors:
            raise PermissionDenied(refusal) from None
        async with read_session(info.context.resources.session_factory) as session:
            found = await intents.get_by_ids(session, [wanted])
        # As the `payment` query: one the viewer may not see is refused as an unknown id.
        if not found or not can_view(viewer, found[0]):
            raise PermissionDenied(refusal)
        async with live(info.context.resources, STATUS_EVENTS) as entries:
            async for entry in entries:
                if entry.payload.get("payment_id") != str(wanted):
                    continue
                context = info.context
                context.resources = context.resources.primary_only()
                context.loaders = context.make_loaders(context.resources)
                model = await context.loaders.payment_by_id.load(wanted)
                if model is not None:
                    yield Payment.from_model(model)
