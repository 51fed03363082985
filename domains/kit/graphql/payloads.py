"""Mutation payloads of one changed object: the object once committed, or why not.

A domain declares one payload type per object its mutations change, with two fields:
the object (nullable) and `errors`. It names, in the class statement, how a committed
row becomes that object (`node`) and how refused input becomes `errors`:

    @strawberry.type
    class CartPayload(ChangePayload, node=Cart.from_model, errors=cart_errors):
        cart: Cart | None = None
        errors: list[CartError] = strawberry.field(default_factory=list)

and each mutation's payload subclasses it and answers `await XPayload.of_change(info,
change)`: one unit of work, the refused input as `errors` with nothing committed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Self, cast

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from domains.kit.errors import InputErrors
from domains.kit.graphql.context import RequestContext
from domains.kit.graphql.unit_of_work import mutate


class ChangePayload:
    _node: ClassVar[Callable[[Any], Any]]
    _errors: ClassVar[Callable[[InputErrors], list[Any]]]

    def __init_subclass__(
        cls,
        *,
        node: Callable[[Any], Any] | None = None,
        errors: Callable[[InputErrors], list[Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        # A mutation's own payload inherits its object's conversions.
        if node is not None:
            cls._node = staticmethod(node)
        if errors is not None:
            cls._errors = staticmethod(errors)

    @classmethod
    async def of_change(
        cls,
        info: Info[RequestContext[Any], Any],
        change: Callable[[AsyncSession], Awaitable[Any]],
    ) -> Self:
        outcome = await mutate(info, change)
        make = cast(Callable[..., Self], cls)
        if isinstance(outcome, InputErrors):
            return make(errors=cls._errors(outcome))
        node_field = next(
            field.name for field in dataclasses.fields(cast(Any, cls)) if field.name != "errors"
        )
        return make(**{node_field: cls._node(outcome)})
