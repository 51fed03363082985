"""checkoutComplete: ask for the order, then wait a moment for the saga's decision."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from domains.carts import waiter
from domains.carts.admission import Gate
from domains.carts.config import CartsConfig
from domains.carts.errors import CartErrorCode
from domains.carts.graphql.mutations.inputs import (
    ParcelShippingChoiceInput,
    ShippingAddressInput,
    shipping_choices,
)
from domains.carts.graphql.pricing.changes import PriceChange
from domains.carts.graphql.types import CartError, CartsInfo, Order, OrderStatus, cart_errors
from domains.carts.models import Checkout, CheckoutStatus
from domains.carts.pricing.checkout import CheckoutPricer, PriceChanged, PricingChoices
from domains.carts.service import CheckoutRefused, checkouts, parse_id
from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work


@strawberry.type
class CheckoutCompletePayload:
    order: Order | None = strawberry.federation.field(
        default=None,
        provides=["status failureReason"],
        description="The order: AWAITING_PAYMENT when stock was reserved in time, PENDING "
        "when the decision took longer than the wait (poll `order(id)`, or retry with the "
        "same idempotency key). Null with errors, and null while the orders domain has not "
        "recorded the order yet (`orderId` is known all the same).",
    )
    order_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The order's id, known even before the orders domain has recorded it.",
    )
    status: CheckoutStatus | None = strawberry.field(
        default=None, description="The order's status as this answer was given."
    )
    errors: list[CartError] = strawberry.field(default_factory=list)


_REASONS = {
    "INSUFFICIENT_STOCK": (CartErrorCode.INSUFFICIENT_STOCK, "Not enough stock for {lines}."),
    "PRICE_CHANGED": (
        CartErrorCode.PRICE_CHANGED,
        "The price of {lines} changed since it was added: review the cart and retry.",
    ),
    "VARIANT_UNAVAILABLE": (CartErrorCode.VARIANT_UNAVAILABLE, "{lines} can no longer be bought."),
    "CURRENCY_MISMATCH": (
        CartErrorCode.CURRENCY_MISMATCH,
        "The cart's lines are priced in more than one currency.",
    ),
}


def answer(checkout: Checkout) -> CheckoutCompletePayload:
    status = CheckoutStatus(checkout.status)
    if status is not CheckoutStatus.FAILED:
        order_id = strawberry.ID(str(checkout.order_id))
        # The first OrderStatusChanged (sequence 1, PENDING) says the order row exists; an
        # Order reference before it would resolve to nothing in the orders subgraph.
        recorded = checkout.status_sequence > 0
        order = (
            Order(
                id=order_id,
                status=OrderStatus(status.value),
                failure_reason=checkout.failure_reason,
            )
            if recorded
            else None
        )
        return CheckoutCompletePayload(order=order, order_id=order_id, status=status)
    code, template = _REASONS.get(
        checkout.failure_reason or "", (CartErrorCode.INVALID, "The order could not be placed.")
    )
    variant_ids = [str(line["variant_id"]) for line in checkout.failed_lines]
    line_ids = [checkout.line_ids[v] for v in variant_ids if v in checkout.line_ids]
    return CheckoutCompletePayload(
        status=status,
        errors=[
            CartError(
                field="cartId",
                code=code,
                message=template.format(
                    lines=f"lines {', '.join(line_ids)}" if line_ids else "the cart"
                ),
                variant_ids=[strawberry.ID(v) for v in variant_ids],
                line_ids=[strawberry.ID(line_id) for line_id in line_ids],
            )
        ],
    )


def _price_changed(refused: PriceChanged) -> CheckoutCompletePayload:
    (error,) = cart_errors(refused)
    error.changes = [PriceChange.of(change) for change in refused.changes]
    error.variant_ids = [
        strawberry.ID(change.subject)
        for change in refused.changes
        if change.what.value in ("LINE_PRICE", "PROMOTION")
    ] or None
    return CheckoutCompletePayload(errors=[error])


async def checkout_complete(
    info: CartsInfo,
    cart_id: strawberry.ID,
    shipping_address: ShippingAddressInput,
    idempotency_key: str,
    shipping: Annotated[
        list[ParcelShippingChoiceInput] | None,
        strawberry.argument(
            description="A method per seller's parcel; the cheapest where none is given."
        ),
    ] = None,
    quote_token: Annotated[
        str | None,
        strawberry.argument(
            description="Cart.pricing's quoteToken: when anything priced changed since, "
            "the answer is PRICE_CHANGED saying what, and nothing is ordered."
        ),
    ] = None,
) -> CheckoutCompletePayload:
    resources = info.context.resources
    config = CartsConfig.from_env()
    pricer = CheckoutPricer.configured(
        config,
        PricingChoices(shipping=shipping_choices(shipping), quote_token=quote_token),
        resources.settings.stripe_api_key,
    )
    new_ids = (uuid.uuid4(), uuid.uuid4())
    with waiter.expecting(resources, *new_ids) as expected:
        try:
            # The gate outside the transaction: a refusal, or a commit that fails,
            # releases what the request was admitted for.
            async with (
                Gate(resources.redis, resources.settings, config.admission_margin) as gate,
                unit_of_work(info) as session,
            ):
                checkout = await checkouts.request(
                    session,
                    info.context.viewer,
                    parse_id(cart_id, "cartId"),
                    shipping_address.to_service(),
                    idempotency_key,
                    gate,
                    pricer=pricer,
                    new_ids=new_ids,
                )
        except PriceChanged as refused:
            return _price_changed(refused)
        except InputErrors as error:
            return CheckoutCompletePayload(errors=cart_errors(error))
        except CheckoutRefused as refused:
            return answer(refused.checkout)
        decided = await waiter.wait_for_decision(
            resources,
            checkout.id,
            config.checkout_wait,
            order_id=checkout.order_id,
            committed=(checkout, expected),
        )
    return answer(decided)
