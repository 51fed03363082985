"""The `addressDelete` mutation: remove a saved address."""

from __future__ import annotations

import strawberry

from domains.kit.errors import InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import Address, UserError, UsersInfo, user_errors
from domains.users.services.addresses import addresses
from domains.users.services.inputs import parse_id


@strawberry.type
class AddressDeletePayload:
    address: Address | None = strawberry.field(default=None, description="The deleted address.")
    errors: list[UserError] = strawberry.field(default_factory=list)


async def address_delete(info: UsersInfo, id: strawberry.ID) -> AddressDeletePayload:
    try:
        async with unit_of_work(info) as session:
            address = await addresses.delete(session, info.context.viewer, parse_id(id))
    except InputErrors as error:
        return AddressDeletePayload(errors=user_errors(error))
    return AddressDeletePayload(address=Address.from_model(address))
