"""Input types shared by several mutations."""

from __future__ import annotations

import strawberry

from domains.products.services.variants import MoneyInput as Money


@strawberry.input(description="An amount in minor units (1999 USD is 19.99) and its currency.")
class MoneyInput:
    amount: int = strawberry.field(description="Minor units; must not be negative.")
    currency: str = strawberry.field(description="ISO 4217, e.g. USD.")

    def to_money(self) -> Money:
        return Money(amount=self.amount, currency=self.currency)


@strawberry.input(description="One option that tells variants apart, such as Size: M.")
class VariantOptionInput:
    name: str
    value: str
