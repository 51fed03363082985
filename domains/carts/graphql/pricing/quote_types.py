"""GraphQL types of a cart's price quote (Cart.pricing): totals, discounts by name, each
seller's parcel with its shipping options, each line's share, and the quote token."""

from __future__ import annotations

from enum import Enum

import strawberry

from domains.carts.events import AppliedDiscount
from domains.carts.pricing.money import ShippingOption
from domains.carts.pricing.quote import Quote
from domains.kit.graphql.entities import EntityStub


@strawberry.federation.type(keys=["id"])
class SellerProfile(EntityStub):
    pass


@strawberry.enum(name="AppliedDiscountKind", description="Where a discount comes from.")
class AppliedDiscountKind(Enum):
    PROMOTION = "PROMOTION"
    VOUCHER = "VOUCHER"


@strawberry.type(description="One discount of the quote, over every line it touches.")
class PricingDiscount:
    kind: AppliedDiscountKind
    name: str
    code: str | None = strawberry.field(description="The voucher code; null for a promotion.")
    amount: int = strawberry.field(description="Minor units.")

    @classmethod
    def of(cls, discount: AppliedDiscount) -> PricingDiscount:
        return cls(
            kind=AppliedDiscountKind(discount.kind),
            name=discount.name,
            code=discount.code,
            amount=discount.amount,
        )


@strawberry.type(name="ShippingOption", description="A method offered for one parcel.")
class ShippingOptionType:
    method_id: strawberry.ID | None = strawberry.field(
        description="Choose it with ParcelShippingChoiceInput; null for the built-in "
        "standard shipping of a platform that configured none (nothing to choose)."
    )
    name: str
    price: int = strawberry.field(description="The rate for the destination, minor units.")
    free_above: int | None = strawberry.field(
        description="The parcel ships free when its goods after discounts reach this."
    )
    min_days: int
    max_days: int

    @classmethod
    def of(cls, option: ShippingOption) -> ShippingOptionType:
        return cls(
            method_id=None if option.method_id is None else strawberry.ID(str(option.method_id)),
            name=option.name,
            price=option.price,
            free_above=option.free_above,
            min_days=option.min_days,
            max_days=option.max_days,
        )


@strawberry.type(description="One seller's parcel: how it can ship, and how it does.")
class ParcelPricing:
    seller: SellerProfile
    options: list[ShippingOptionType] = strawberry.field(description="Cheapest first.")
    chosen: ShippingOptionType = strawberry.field(
        description="The option asked for, or the cheapest."
    )
    price: int = strawberry.field(description="Shipping charged: 0 when free above.")
    tax: int = strawberry.field(description="Tax on that shipping.")


@strawberry.type(description="One line's share of the quote.")
class CartLinePricing:
    line_id: strawberry.ID
    variant_id: strawberry.ID
    quantity: int
    list_unit_price: int = strawberry.field(description="Before any promotion.")
    unit_price: int = strawberry.field(description="After the promotion.")
    discount: int = strawberry.field(description="Promotion and vouchers on this line.")
    shipping: int = strawberry.field(description="This line's share of its parcel's shipping.")
    tax: int
    total: int = strawberry.field(description="What refunding this line gives back.")


@strawberry.type(
    description="What checking out would cost, in minor units of `currency`: total = "
    "subtotal - discount + shipping + tax (tax not added when taxIncluded)."
)
class CartPricing:
    currency: str
    tax_included: bool = strawberry.field(description="Prices already contain the tax.")
    subtotal: int = strawberry.field(description="Lines at their list prices.")
    discount: int
    shipping: int
    tax: int
    total: int
    discounts: list[PricingDiscount]
    parcels: list[ParcelPricing]
    lines: list[CartLinePricing]
    quote_token: str = strawberry.field(
        description="Pass it to checkoutComplete: a price, promotion, voucher, shipping "
        "rate or tax rate changed since answers PRICE_CHANGED saying what."
    )

    @classmethod
    def of(cls, quote: Quote, token: str) -> CartPricing:
        pricing = quote.pricing
        options = {parcel.seller_id: parcel for parcel in quote.parcels}
        return cls(
            currency=pricing.currency,
            tax_included=pricing.tax_included,
            subtotal=pricing.subtotal,
            discount=pricing.discount,
            shipping=pricing.shipping,
            tax=pricing.tax,
            total=pricing.total,
            discounts=[PricingDiscount.of(discount) for discount in pricing.discounts],
            parcels=[
                ParcelPricing(
                    seller=SellerProfile(id=strawberry.ID(str(parcel.seller_id))),
                    options=[ShippingOptionType.of(o) for o in options[parcel.seller_id].options],
                    chosen=ShippingOptionType.of(options[parcel.seller_id].chosen),
                    price=parcel.price,
                    tax=parcel.tax,
                )
                for parcel in pricing.parcels
            ],
            lines=[
                CartLinePricing(
                    line_id=strawberry.ID(str(quote.line_ids[line.variant_id])),
                    variant_id=strawberry.ID(str(line.variant_id)),
                    quantity=line.quantity,
                    list_unit_price=line.list_unit_price,
                    unit_price=line.unit_price,
                    discount=line.discount,
                    shipping=line.shipping,
                    tax=line.tax,
                    total=line.total,
                )
                for line in pricing.lines
            ],
            quote_token=token,
        )
