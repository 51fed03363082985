"""The payments subgraph's subscription field: a payment each time its status changes.

Fed by PaymentStatusChanged, which every status change publishes in its own unit of work
(services/rules.py `set_status`), so a follower hears each change in commit order; the
stream has it only once that transaction has committed (domains/kit/events/live.py).
The event says when and which status; the row says the rest: each answer is the payment
as the primary database holds it, through fresh dataloaders, with the status the event
announced (the row may have moved on, as when changes committed while the relay was
down arrive together).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domains.kit.db import read_session
from domains.kit.errors import InputErrors, PermissionDenied, quoted
from domains.kit.events import decode_event
from domains.kit.events.live import live
from domains.payments import events
from domains.payments.graphql.types import Payment, PaymentsInfo
from domains.payments.models import PaymentStatus
from domains.payments.services.intents import intents
from domains.payments.services.rules import can_view, parse_id


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The payment each time its status is set (processing, captured, declined, "
        "cancelled, refunded, a refund failed), in commit order, with the status that change "
        "made: its order's customer, or staff."
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
        async with live(
            info.context.resources,
            [events.PaymentStatusChanged.name],
            match=("payment_id", str(wanted)),
        ) as entries:
            async for entry in entries:
                change = decode_event(events.PaymentStatusChanged, entry.payload)
                info.context.read_primary()
                model = await info.context.loaders.payment_by_id.load(wanted)
                if model is not None:
                    payment = Payment.from_model(model)
                    payment.status = PaymentStatus(change.status)
                    yield payment
