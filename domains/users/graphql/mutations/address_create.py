"""The `addressCreate` mutation: save an address."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.mutations.address_input import AddressInput
from domains.users.graphql.types import Address, UserError, UsersInfo, user_errors
from domains.users.services.addresses import addresses


@strawberry.type
class AddressCreatePayload:
    address: Address | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def address_create(info: UsersInfo, input: AddressInput) -> AddressCreatePayload:
    try:
        async with unit_of_work(info) as session:
            address = await addresses.create(session, info.context.viewer, input.to_fields())
    except InputErrors as error:
        return AddressCreatePayload(errors=user_errors(error))
    return AddressCreatePayload(address=Address.from_model(address))
