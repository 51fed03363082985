from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.service import account


@strawberry.input(description="A new customer account.")
class AccountRegisterInput:
    email: str
    password: str = strawberry.field(
        description="At least 10 characters, and not the email address."
    )
    name: str


@strawberry.type
class AccountRegisterPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def account_register(info: UsersInfo, input: AccountRegisterInput) -> AccountRegisterPayload:
    try:
        async with unit_of_work(info) as session:
            user = await account.register(
                session,
                info.context.resources.settings,
                email=input.email,
                password=input.password,
                name=input.name,
            )
    except InputErrors as error:
        return AccountRegisterPayload(errors=user_errors(error))
    return AccountRegisterPayload(user=User.from_model(user, owner_proven=True))
