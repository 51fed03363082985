"""The `addressCreate` mutation: save an address."""

from __future__ import annotations

import strawberry

from domains.users.graphql.mutations.address_input import AddressInput
from domains.users.graphql.payloads import AddressPayload
from domains.users.graphql.types import UsersInfo
from domains.users.services.addresses import addresses


@strawberry.type
class AddressCreatePayload(AddressPayload):
    pass


async def address_create(info: UsersInfo, input: AddressInput) -> AddressCreatePayload:
    viewer = info.context.viewer
    return await AddressCreatePayload.of_change(
        info, lambda session: addresses.create(session, viewer, input.to_fields())
    )
