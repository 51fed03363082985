"""GraphQL types of the carts subgraph."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TypeAlias

import strawberry
from strawberry.types import Info

from domains.carts import models
from domains.carts.errors import CartErrorCode
from domains.carts.graphql.loaders import CartLoaders
from domains.carts.graphql.pricing.cart_pricing import cart_pricing
from domains.carts.graphql.pricing.changes import PriceChange
from domains.carts.graphql.pricing.inputs import ParcelShippingChoiceInput, PricingAddressInput
from domains.carts.graphql.pricing.quote_types import CartPricing
from domains.carts.graphql.vouchers.applied import AppliedVoucher
from domains.carts.models import CartStatus, CheckoutStatus
from domains.carts.service import can_open, parse_id
from domains.kit.errors import InputErrors, uuid_or_none
from domains.kit.graphql.context import RequestContext
from domains.kit.graphql.entities import EntityStub
from domains.kit.graphql.errors import payload_errors
from domains.kit.graphql.payloads import ChangePayload

CartsInfo: TypeAlias = Info[RequestContext[CartLoaders], None]

strawberry.enum(
    CartErrorCode, name="CartErrorCode", description="Why a carts-domain mutation refused."
)
strawberry.enum(
    CartStatus,
    name="CartStatus",
    description="OPEN: being filled. MERGED: a guest cart folded into a customer's cart. "
    "CHECKED_OUT: its order awaits payment. EXPIRED: an abandoned guest cart.",
)
strawberry.enum(
    CheckoutStatus,
    name="CheckoutStatus",
    description="Where the order a checkout asked for stands: PENDING while the saga "
    "decides, then AWAITING_PAYMENT or FAILED, then the order's later states.",
)


@strawberry.type(description="A problem with a carts mutation's input.")
class CartError:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase, dotted for nested input such as "
        "`lines.0.quantity`), or null when the input as a whole is."
    )
    code: CartErrorCode
    message: str
    variant_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The variants at fault (INSUFFICIENT_STOCK, PRICE_CHANGED).",
    )
    line_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The cart lines at fault (INSUFFICIENT_STOCK, PRICE_CHANGED)."
    )
    changes: list[PriceChange] | None = strawberry.field(
        default=None,
        description="PRICE_CHANGED against a quote token: what differs from the quote shown.",
    )


def cart_errors(error: InputErrors) -> list[CartError]:
    return payload_errors(error, CartError, CartErrorCode)


# Stubs of other subgraphs' entities: their key, plus what this subgraph adds.
@strawberry.federation.type(keys=["id"])
class ProductVariant(EntityStub):
    pass


@strawberry.enum(name="OrderStatus")
class OrderStatus(StrEnum):
    """The orders domain's statuses, as carts provides them on the order checkoutComplete
    answers with (the order's values; CheckoutStatus follows the same)."""

    PENDING = "PENDING"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    FULFILLED = "FULFILLED"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"


@strawberry.federation.type(keys=["id"])
class Order(EntityStub):
    # The orders domain's fields, which carts knows on one path only: the order a
    # checkout answers with (CheckoutCompletePayload.order @provides them). The status is
    # the decision the answer was given on; elsewhere the orders subgraph resolves both.
    status: OrderStatus = strawberry.federation.field(external=True, default=OrderStatus.PENDING)
    failure_reason: str | None = strawberry.federation.field(external=True, default=None)


@strawberry.type(description="A variant and how many of it.")
class CartLine:
    id: strawberry.ID
    quantity: int = strawberry.field(description="1 to 999.")
    variant: ProductVariant = strawberry.field(
        description="Name, price and stock come from the products domain."
    )

    @classmethod
    def from_model(cls, model: models.CartLine) -> CartLine:
        return cls(
            id=strawberry.ID(str(model.id)),
            quantity=model.quantity,
            variant=ProductVariant(id=strawberry.ID(str(model.variant_id))),
        )


@strawberry.federation.type(
    keys=["id"],
    description="A shopping cart: a guest's (opened by its id, which only the guest "
    "knows) or a customer's (opened by its customer only).",
)
class Cart:
    id: strawberry.ID
    status: CartStatus
    currency: str | None = strawberry.field(
        description="ISO 4217; set by the first line whose price is known. One per cart."
    )
    created_at: datetime
    updated_at: datetime
    _cart_id: strawberry.Private[uuid.UUID]
    _customer_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_model(cls, model: models.Cart) -> Cart:
        return cls(
            id=strawberry.ID(str(model.id)),
            status=CartStatus(model.status),
            currency=model.currency,
            created_at=model.created_at,
            updated_at=model.updated_at,
            _cart_id=model.id,
            _customer_id=model.customer_id,
        )

    @classmethod
    async def resolve_reference(cls, info: CartsInfo, id: strawberry.ID) -> Cart | None:
        return await load_cart(info, id)

    @strawberry.field(description="Oldest first.")
    async def lines(self, info: CartsInfo) -> list[CartLine]:
        rows = await info.context.loaders.lines_by_cart_id.load(self._cart_id)
        return [CartLine.from_model(row) for row in rows]

    @strawberry.field(description="Units across all lines.")
    async def total_quantity(self, info: CartsInfo) -> int:
        rows = await info.context.loaders.lines_by_cart_id.load(self._cart_id)
        return sum(row.quantity for row in rows)

    @strawberry.field(description="Whether this is a guest cart (no customer yet).")
    def is_guest(self) -> bool:
        return self._customer_id is None

    @strawberry.field(
        description="What checking out would cost sent to `address`: discounts by name, "
        "each seller's parcel with its shipping options (the choice given in `shipping`, "
        "else the cheapest), tax, and a quoteToken for checkoutComplete. Null for an "
        "empty cart."
    )
    async def pricing(
        self,
        info: CartsInfo,
        address: PricingAddressInput,
        shipping: list[ParcelShippingChoiceInput] | None = None,
    ) -> CartPricing | None:
        return await cart_pricing(info, self._cart_id, address, shipping)

    @strawberry.field(
        description="Voucher codes applied (cartVoucherApply), in the order they apply."
    )
    async def vouchers(self, info: CartsInfo) -> list[AppliedVoucher]:
        rows = await info.context.loaders.vouchers_by_cart_id.load(self._cart_id)
        return [AppliedVoucher.from_row(row) for row in rows]


@strawberry.type
class CartPayload(ChangePayload, node=Cart.from_model, errors=cart_errors):
    """What a mutation that changes one cart answers: the cart, or why not."""

    cart: Cart | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


async def load_cart(info: CartsInfo, raw_id: str) -> Cart | None:
    # The viewer first, for every id alike: a bad token fails the same way whether or
    # not the id names a cart.
    viewer = info.context.viewer
    cart_id = uuid_or_none(raw_id)
    if cart_id is None:
        return None
    model = await info.context.loaders.cart_by_id.load(cart_id)
    if model is None:
        return None
    # Another customer's cart is null, as an unknown id is: ids cannot be confirmed.
    if not can_open(model, viewer):
        return None
    return Cart.from_model(model)


@strawberry.federation.type(keys=["id"])
class User(EntityStub):
    @strawberry.field(description="The account's open cart: the account itself (or staff).")
    async def cart(self, info: CartsInfo) -> Cart | None:
        user_id = parse_id(self.id)
        info.context.viewer.require_self_or_staff(user_id)
        model = await info.context.loaders.open_cart_by_customer_id.load(user_id)
        return None if model is None else Cart.from_model(model)
