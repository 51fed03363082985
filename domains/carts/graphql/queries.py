"""The carts subgraph's root query fields."""

from __future__ import annotations

import strawberry

from domains.carts.graphql.types import Cart, CartsInfo, load_cart


@strawberry.type
class Query:
    @strawberry.field(
        description="A cart by id: a guest cart for whoever holds its id, a customer's "
        "cart for its customer (or staff)."
    )
    async def cart(self, info: CartsInfo, id: strawberry.ID) -> Cart | None:
        return await load_cart(info, id)
