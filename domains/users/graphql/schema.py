"""The users subgraph schema."""

from __future__ import annotations

import strawberry

from domains.users.graphql.mutations.account_confirm import account_confirm
from domains.users.graphql.mutations.account_register import account_register
from domains.users.graphql.mutations.account_update import account_update
from domains.users.graphql.mutations.address_create import address_create
from domains.users.graphql.mutations.address_delete import address_delete
from domains.users.graphql.mutations.address_update import address_update
from domains.users.graphql.mutations.password_change import password_change
from domains.users.graphql.mutations.password_reset import password_reset
from domains.users.graphql.mutations.request_password_reset import request_password_reset
from domains.users.graphql.mutations.seller_profile_create import seller_profile_create
from domains.users.graphql.mutations.seller_profile_update import seller_profile_update
from domains.users.graphql.mutations.token_create import token_create
from domains.users.graphql.mutations.token_refresh import token_refresh
from domains.users.graphql.mutations.token_revoke import token_revoke
from domains.users.graphql.queries import Query
from domains.users.graphql.revocation_check import UsersSchema
from domains.users.graphql.types import Address, SellerProfile, User


@strawberry.type
class Mutation:
    account_register = strawberry.mutation(
        resolver=account_register,
        description="Create a customer account and mail a confirmation link.",
    )
    account_confirm = strawberry.mutation(
        resolver=account_confirm, description="Confirm the email address with the mailed token."
    )
    account_update = strawberry.mutation(
        resolver=account_update, description="Change the signed-in account's profile."
    )
    password_change = strawberry.mutation(
        resolver=password_change,
        description=(
            "Change the password. Every other sign-in of the account is signed out: its "
            "refresh and access tokens stop working; this one stays signed in."
        ),
    )
    request_password_reset = strawberry.mutation(
        resolver=request_password_reset,
        description=(
            "Mail a single-use reset link valid for one hour. Answers the same whether or "
            "not the email has an account."
        ),
    )
    password_reset = strawberry.mutation(
        resolver=password_reset,
        description="Set a new password with a reset token; signs out every session.",
    )
    token_create = strawberry.mutation(
        resolver=token_create, description="Sign in: an access token and a refresh token."
    )
    token_refresh = strawberry.mutation(
        resolver=token_refresh,
        description=(
            "Exchange a refresh token for new tokens. Each refresh token works once; "
            "presenting a spent one revokes every token descended from the same sign-in."
        ),
    )
    token_revoke = strawberry.mutation(
        resolver=token_revoke,
        description="Sign out: revoke the refresh token's sign-in and this request's access token.",
    )
    address_create = strawberry.mutation(resolver=address_create, description="Save an address.")
    address_update = strawberry.mutation(resolver=address_update, description="Edit an address.")
    address_delete = strawberry.mutation(resolver=address_delete, description="Delete an address.")
    seller_profile_create = strawberry.mutation(
        resolver=seller_profile_create, description="Open a shop: the account becomes a seller."
    )
    seller_profile_update = strawberry.mutation(
        resolver=seller_profile_update, description="Edit a shop."
    )


schema = UsersSchema(query=Query, mutation=Mutation, types=[User, SellerProfile, Address])
