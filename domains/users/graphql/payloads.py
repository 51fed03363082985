"""What a users mutation answers: the object it changed, or why it refused the input.

A mutation's payload subclasses the one for the object it changes and runs the change
through `of_change` (the kit's ChangePayload): one unit of work, its result once
committed, or the refused input as `errors` with nothing committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Self

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.graphql.payloads import ChangePayload
from domains.users import models
from domains.users.graphql.types import (
    Address,
    SellerProfile,
    User,
    UserError,
    UsersInfo,
    user_errors,
)


@strawberry.type
class UserPayload(ChangePayload, node=User.from_model, errors=user_errors):
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
        payload = await super().of_change(info, change)
        if payload.user is not None:
            payload.user._owner_proven = owner_proven
        return payload


@strawberry.type
class AddressPayload(ChangePayload, node=Address.from_model, errors=user_errors):
    address: Address | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SellerProfilePayload(ChangePayload, node=SellerProfile.from_model, errors=user_errors):
    seller_profile: SellerProfile | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
