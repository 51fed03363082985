"""The `tokenRevoke` mutation: sign out."""

from __future__ import annotations

import strawberry

from domains.kit.auth import ANONYMOUS
from domains.kit.errors import AuthenticationRequired, InputErrors
from domains.kit.graphql.unit_of_work import unit_of_work
from domains.users.graphql.types import UserError, UsersInfo, user_errors
from domains.users.revocations import revocations
from domains.users.services.tokens import tokens


@strawberry.type
class TokenRevokePayload:
    revoked: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


async def token_revoke(info: UsersInfo, refresh_token: str) -> TokenRevokePayload:
    context = info.context
    # Sign out the access token of this request too, until it would have expired anyway.
    # One that is expired, revoked or forged opens nothing already: the sign-out of the
    # refresh token stands and is reported as done.
    try:
        viewer = context.viewer
    except AuthenticationRequired:
        viewer = ANONYMOUS
    token = None
    if viewer.token_id is not None and viewer.token_expires_at is not None:
        token = (viewer.token_id, viewer.token_expires_at)
    try:
        # One transaction: the refresh token's family and the revocation of its access
        # tokens are both committed, or (Redis unreachable: RevocationUnavailable)
        # neither is.
        async with unit_of_work(info) as session:
            session_id = await tokens.revoke(session, refresh_token=refresh_token)
            await revocations.revoke(
                session, context.resources.revocations, sessions=[session_id], token=token
            )
    except InputErrors as error:
        return TokenRevokePayload(errors=user_errors(error))
    return TokenRevokePayload(revoked=True)
