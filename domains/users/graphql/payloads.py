"""What a users mutation answers: the object it changed, or why it refused the input.

A mutation's payload subclasses the one for the object it changes and runs the change
through `of_change`: one unit of work, its result once committed, or the refused input
as `errors` with nothing committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Self, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import mutate
from domains.users import models
from domains.users.graphql.types import (
    Address,
    SellerProfile,
    User,
    UserError,
    UsersInfo,
    user_errors,
)

ResultT = TypeVar("ResultT")
PayloadT = TypeVar("PayloadT")


async def _answer(
    info: UsersInfo,
    change: Callable[[AsyncSession], Awaitable[ResultT]],
    answered: Callable[[ResultT], PayloadT],
    refused: Callable[..., PayloadT],
) -> PayloadT:
    outcome = await mutate(info, change)
    if isinstance(outcome, InputErrors):
        return refused(errors=user_errors(outcome))
    return answered(outcome)


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    async def of_change(
        cls,
        info: UsersInfo,
        change: Callable[[AsyncSession], Awaitable[models.User]],
        *,
        owner_proven: bool = False,
    ) -> Self:
        """`owner_proven`: the change itself proved the caller owns the account (see
        User._owner_proven)."""
        return await _answer(
            info,
            change,
            lambda user: cls(user=User.from_model(user, owner_proven=owner_proven)),
            cls,
        )


@strawberry.type
class AddressPayload:
    address: Address | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    async def of_change(
        cls, info: UsersInfo, change: Callable[[AsyncSession], Awaitable[models.Address]]
    ) -> Self:
        return await _answer(
            info, change, lambda address: cls(address=Address.from_model(address)), cls
        )


@strawberry.type
class SellerProfilePayload:
    seller_profile: SellerProfile | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    async def of_change(
        cls, info: UsersInfo, change: Callable[[AsyncSession], Awaitable[models.SellerProfile]]
    ) -> Self:
        return await _answer(
            info, change, lambda profile: cls(seller_profile=SellerProfile.from_model(profile)), cls
        )
