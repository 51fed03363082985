"""The `addressUpdate` mutation: change a saved address."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.mutations.address_input import AddressInput
from domains.users.graphql.types import Address, UserError, UsersInfo, user_errors
from domains.users.services.addresses import addresses
from domains.users.services.inputs import parse_id


@strawberry.type
class AddressUpdatePayload:
    address: Address | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def address_update(
    info: UsersInfo, id: strawberry.ID, input: AddressInput
) -> AddressUpdatePayload:
    try:
        async with unit_of_work(info) as session:
            address = await addresses.update(
                session, info.context.viewer, parse_id(id), input.to_fields()
            )
    except InputErrors as error:
        return AddressUpdatePayload(errors=user_errors(error))
    return AddressUpdatePayload(address=Address.from_model(address))
