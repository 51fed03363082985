"""Inputs shared by promotionCreate and promotionUpdate."""

from __future__ import annotations

import strawberry

from domains.products.graphql.mutations.inputs import MoneyInput
from domains.products.services.variants import MoneyInput as Money


@strawberry.input(description="How much a promotion takes off each unit: exactly one of the two.")
class PromotionDiscountInput:
    basis_points: int | None = strawberry.field(
        default=None, description="A percentage of the list price in basis points: 2000 is 20 %."
    )
    amount_off: MoneyInput | None = strawberry.field(
        default=None,
        description="A fixed amount off each unit, for products priced in its currency.",
    )

    def parts(self) -> tuple[int | None, Money | None]:
        return self.basis_points, None if self.amount_off is None else self.amount_off.to_money()


def ids(values: list[strawberry.ID] | None) -> list[str] | None:
    return None if values is None else [str(value) for value in values]
