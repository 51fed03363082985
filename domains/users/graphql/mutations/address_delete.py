"""The `addressDelete` mutation: remove a saved address."""

from __future__ import annotations

import strawberry

from domains.users.graphql.payloads import AddressPayload
from domains.users.graphql.types import Address, UsersInfo
from domains.users.services.addresses import addresses
from domains.users.services.inputs import parse_id


@strawberry.type
class AddressDeletePayload(AddressPayload):
    address: Address | None = strawberry.field(default=None, description="The deleted address.")


async def address_delete(info: UsersInfo, id: strawberry.ID) -> AddressDeletePayload:
    viewer = info.context.viewer
    return await AddressDeletePayload.of_change(
        info, lambda session: addresses.delete(session, viewer, parse_id(id))
    )
