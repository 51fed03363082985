"""The `addressUpdate` mutation: change a saved address."""

from __future__ import annotations

import strawberry

from domains.users.graphql.mutations.address_input import AddressInput
from domains.users.graphql.payloads import AddressPayload
from domains.users.graphql.types import UsersInfo
from domains.users.services.addresses import addresses
from domains.users.services.inputs import parse_id


@strawberry.type
class AddressUpdatePayload(AddressPayload):
    pass


async def address_update(
    info: UsersInfo, id: strawberry.ID, input: AddressInput
) -> AddressUpdatePayload:
    viewer = info.context.viewer
    return await AddressUpdatePayload.of_change(
        info, lambda session: addresses.update(session, viewer, parse_id(id), input.to_fields())
    )
