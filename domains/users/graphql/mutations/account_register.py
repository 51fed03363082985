"""The `accountRegister` mutation: create a customer account."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import User, UserError, UsersInfo, user_errors
from domains.users.services.accounts import account
from domains.users.throttle import Throttle


@strawberry.input(description="A new customer account.")
class AccountRegisterInput:
    email: str
    password: str = strawberry.field(
        description="At least 10 characters, and not the email address."
    )
    name: str


@strawberry.type(
    description="The same answer whether or not the email already had an account, so that "
    "registering cannot be used to learn which emails do: the confirmation mail, or for "
    "an existing account a notice to its owner, is what tells them apart."
)
class AccountRegisterPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def account_register(info: UsersInfo, input: AccountRegisterInput) -> AccountRegisterPayload:
    throttle = Throttle.of(info.context.resources)
    client_ip = info.context.client_ip
    try:
        await throttle.check_account_request(input.email, client_ip)
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
    await throttle.account_request_made(input.email, client_ip)
    return AccountRegisterPayload(user=User.from_model(user, owner_proven=True))
