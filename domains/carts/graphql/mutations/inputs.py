"""Input types shared by the carts mutations."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.pricing.inputs import ParcelShippingChoiceInput, shipping_choices
from domains.carts.service import AddressInput, LineInput, LineUpdate

# Checkout's shipping choice is pricing's input type, named here beside the address.
__all__ = [
    "CartLineInput",
    "CartLineUpdateInput",
    "ParcelShippingChoiceInput",
    "ShippingAddressInput",
    "shipping_choices",
]


@strawberry.input(description="A variant to put in the cart.")
class CartLineInput:
    variant_id: strawberry.ID
    quantity: int = strawberry.field(default=1, description="1 to 999.")

    def to_service(self) -> LineInput:
        return LineInput(variant_id=str(self.variant_id), quantity=self.quantity)


@strawberry.input(description="A new quantity for a line of the cart.")
class CartLineUpdateInput:
    line_id: strawberry.ID
    quantity: int = strawberry.field(description="1 to 999; remove a line with cartLinesRemove.")

    def to_service(self) -> LineUpdate:
        return LineUpdate(line_id=str(self.line_id), quantity=self.quantity)


@strawberry.input(description="Where the order goes; copied into the order as it is now.")
class ShippingAddressInput:
    first_name: str
    last_name: str
    street_address_1: str
    city: str
    postal_code: str
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    company: str = ""
    street_address_2: str = ""
    country_area: str = ""
    phone: str = ""

    def to_service(self) -> AddressInput:
        return AddressInput(
            first_name=self.first_name,
            last_name=self.last_name,
            street_address_1=self.street_address_1,
            city=self.city,
            postal_code=self.postal_code,
            country_code=self.country_code,
            company=self.company,
            street_address_2=self.street_address_2,
            country_area=self.country_area,
            phone=self.phone,
        )
