"""GraphQL types of vouchers: the Voucher staff and sellers manage, its payload, and a
page of them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry

from domains.carts.graphql.types import CartError, CartsInfo, cart_errors
from domains.carts.pricing.money import DiscountKind, VoucherScope
from domains.carts.pricing.vouchers import models
from domains.carts.pricing.vouchers.definitions import definitions
from domains.kit.db import read_session
from domains.kit.graphql.pagination import Connection, build_connection
from domains.kit.graphql.payloads import ChangePayload
from domains.kit.pagination import decode_cursor, encode_cursor, page_size


@strawberry.enum(
    description="PERCENTAGE: `value` is basis points (1000 = 10 %). FIXED: "
    "`value` is minor units of the voucher's currency."
)
class VoucherKind(Enum):
    PERCENTAGE = "PERCENTAGE"
    FIXED = "FIXED"

    def to_engine(self) -> DiscountKind:
        return DiscountKind(self.value)


@strawberry.enum(
    name="VoucherScope",
    description="Which lines a voucher discounts: ORDER every line; SELLER one seller's; "
    "CATEGORIES lines in the given categories (or below them); PRODUCTS lines of the "
    "given products. A seller's voucher only ever reaches that seller's lines.",
)
class VoucherScopeChoice(Enum):
    ORDER = "ORDER"
    SELLER = "SELLER"
    CATEGORIES = "CATEGORIES"
    PRODUCTS = "PRODUCTS"

    def to_engine(self) -> VoucherScope:
        return VoucherScope(self.value)


@strawberry.type(
    description="A discount code. Amounts are minor units of `currency`; rates are basis points."
)
class Voucher:
    id: strawberry.ID
    code: str = strawberry.field(description="Unique, upper-case; matched case-insensitively.")
    name: str = strawberry.field(description="What the order shows for this discount.")
    kind: VoucherKind
    value: int
    scope: VoucherScopeChoice
    seller_id: strawberry.ID | None = strawberry.field(
        description="The seller profile funding it (its lines only); null: the platform's."
    )
    category_ids: list[strawberry.ID]
    product_ids: list[strawberry.ID]
    min_subtotal: int = strawberry.field(
        description="Eligible goods after promotions must reach this; 0: no minimum."
    )
    currency: str | None = strawberry.field(
        description="Of a FIXED value and of the minimum; null: any (a percentage without minimum)."
    )
    starts_at: datetime | None
    ends_at: datetime | None
    usage_limit: int | None = strawberry.field(description="Uses in all; null: unlimited.")
    per_customer_limit: int | None = strawberry.field(
        description="Uses per customer; null: unlimited. Such a voucher needs a signed-in cart."
    )
    combinable: bool = strawberry.field(
        description="Whether it combines with other vouchers; one that does not also skips "
        "lines on promotion."
    )
    uses_held: int = strawberry.field(
        description="Uses reserved by checkouts awaiting payment plus uses by paid orders."
    )
    ended_at: datetime | None = strawberry.field(description="When it was ended (voucherEnd).")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, model: models.Voucher) -> Voucher:
        return cls(
            id=strawberry.ID(str(model.id)),
            code=model.code,
            name=model.name,
            kind=VoucherKind(model.kind),
            value=model.value,
            scope=VoucherScopeChoice(model.scope),
            seller_id=None if model.seller_id is None else strawberry.ID(str(model.seller_id)),
            category_ids=[strawberry.ID(str(id)) for id in model.category_ids],
            product_ids=[strawberry.ID(str(id)) for id in model.product_ids],
            min_subtotal=model.min_subtotal,
            currency=model.currency,
            starts_at=model.starts_at,
            ends_at=model.ends_at,
            usage_limit=model.usage_limit,
            per_customer_limit=model.per_customer_limit,
            combinable=model.combinable,
            uses_held=model.uses_held,
            ended_at=model.ended_at,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )


@strawberry.type
class VoucherPayload(ChangePayload, node=Voucher.from_model, errors=cart_errors):
    """What a mutation that changes one voucher answers: the voucher, or why not."""

    voucher: Voucher | None = None
    errors: list[CartError] = strawberry.field(default_factory=list)


def _cursor(voucher: models.Voucher) -> str:
    return encode_cursor("Voucher", [voucher.created_at.isoformat(), str(voucher.id)])


def _decode(after: str | None) -> tuple[datetime, uuid.UUID] | None:
    if after is None:
        return None
    created_at, voucher_id = decode_cursor("Voucher", after, arity=2)
    return datetime.fromisoformat(created_at), uuid.UUID(voucher_id)


async def voucher_connection(
    info: CartsInfo, first: int | None, after: str | None
) -> Connection[Voucher]:
    """A page of the vouchers the viewer manages, newest first."""
    viewer = info.context.viewer
    size = page_size(first)
    session_factory = info.context.resources.read_session_factory
    async with read_session(session_factory) as session:
        rows = await definitions.page(session, viewer, limit=size + 1, after=_decode(after))

    async def total() -> int:
        async with read_session(session_factory) as session:
            return await definitions.count(session, viewer)

    return build_connection(
        rows,
        first=size,
        to_node=Voucher.from_model,
        cursor_of=_cursor,
        has_previous_page=after is not None,
        total_count=total,
    )
