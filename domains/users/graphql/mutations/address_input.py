"""The address input shared by `addressCreate` and `addressUpdate`."""

from __future__ import annotations

import strawberry

from domains.users.services.addresses import AddressFields


@strawberry.input(
    description=(
        "An address. On create, firstName, lastName, streetAddress1, city and countryCode "
        "are required; on update, fields left out are not changed."
    )
)
class AddressInput:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    street_address_1: str | None = None
    street_address_2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country_code: str | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2, e.g. DE or US."
    )
    country_area: str | None = None
    phone: str | None = None
    is_default_shipping_address: bool | None = strawberry.field(
        default=None, description="Make this the default shipping address (only one is)."
    )
    is_default_billing_address: bool | None = strawberry.field(
        default=None, description="Make this the default billing address (only one is)."
    )

    def to_fields(self) -> AddressFields:
        return AddressFields(
            first_name=self.first_name,
            last_name=self.last_name,
            company=self.company,
            street_address_1=self.street_address_1,
            street_address_2=self.street_address_2,
            city=self.city,
            postal_code=self.postal_code,
            country_code=self.country_code,
            country_area=self.country_area,
            phone=self.phone,
            is_default_shipping=self.is_default_shipping_address,
            is_default_billing=self.is_default_billing_address,
        )
