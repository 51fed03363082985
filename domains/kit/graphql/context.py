"""The per-request context every subgraph's resolvers receive."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from domains.kit.auth import (
    ANONYMOUS,
    InvalidToken,
    Viewer,
    bearer_token,
    decode_access_token,
    viewer_from_claims,
)
from domains.kit.db import transaction
from domains.kit.errors import AuthenticationRequired
from domains.kit.resources import Resources
from domains.kit.revocation import TokenCheckUnavailable, Verdict
from domains.kit.tracing import client_ip_var

LoadersT = TypeVar("LoadersT")


@dataclass
class RequestContext(Generic[LoadersT]):
    request: Request | None
    resources: Resources
    make_loaders: Callable[[Resources], LoadersT]
    # A bad token does not fail the whole request: public fields still answer, and any
    # field that needs the viewer reports exactly what was wrong with the token.
    _viewer: Viewer = ANONYMOUS
    _auth_error: AuthenticationRequired | None = None
    # A signed token whose revocation Redis could not vouch for (UNAVAILABLE or
    # INCOMPLETE, domains/kit/revocation.py), for a subgraph holding the revocation record
    # to settle before execution. Without that, it is refused (TOKEN_CHECK_UNAVAILABLE).
    unverified: tuple[Viewer, Verdict] | None = None
    # Built on first use: an `_entities` fetch or a mutation that reads nothing through
    # a loader does not pay for them.
    _loaders: LoadersT | None = field(default=None, init=False, repr=False)

    @property
    def loaders(self) -> LoadersT:
        """This request's dataloaders, over its current resources."""
        if self._loaders is None:
            self._loaders = self.make_loaders(self.resources)
        return self._loaders

    def read_primary(self) -> None:
        """Read the primary from now on, with fresh loaders: nothing read before (from a
        replica, or before a write) is served from their per-request cache after this."""
        self.resources = self.resources.primary_only()
        self._loaders = None

    @property
    def viewer(self) -> Viewer:
        if self._auth_error is not None:
            raise self._auth_error
        return self._viewer

    @property
    def client_ip(self) -> str | None:
        """The client's address as the gateway saw it; None when not served through it."""
        return client_ip_var.get()

    def settle_token_check(self, *, revoked: bool | None) -> None:
        """Decide the unverified token from the revocation record (None: unreadable)."""
        if self.unverified is None:
            return
        viewer, _ = self.unverified
        self.unverified = None
        if revoked is None:
            self._viewer = ANONYMOUS
            self._auth_error = TokenCheckUnavailable()
        elif revoked:
            self._viewer = ANONYMOUS
            self._auth_error = InvalidToken("The access token has been revoked.")
        else:
            self._viewer = viewer
            self._auth_error = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work for one mutation; committed on success, rolled back on error.

        After a commit the request's loaders are replaced, so nothing read before the
        write is served from their per-request cache afterwards, and the rest of the
        request reads the primary: a replica may not have the write yet.
        """
        async with transaction(self.resources.session_factory) as session:
            yield session
        self.read_primary()


async def authenticate(resources: Resources, authorization: str | None) -> tuple[Viewer, Verdict]:
    """Resolve the Authorization header into a viewer and the revocation check's verdict;
    raise InvalidToken when the token is bad or revoked."""
    token = bearer_token(authorization)
    if token is None:
        return ANONYMOUS, Verdict.VALID
    claims = decode_access_token(token, resources.jwt_keys, issuer=resources.settings.jwt_issuer)
    viewer = viewer_from_claims(claims)
    verdict = await resources.revocations.check(viewer)
    if verdict is Verdict.REVOKED:
        raise InvalidToken("The access token has been revoked.")
    return viewer, verdict


async def build_context(
    request: Request | None,
    resources: Resources,
    make_loaders: Callable[[Resources], LoadersT],
    authorization: str | None,
) -> RequestContext[LoadersT]:
    try:
        viewer, verdict = await authenticate(resources, authorization)
    except AuthenticationRequired as error:
        return RequestContext(request, resources, make_loaders, _auth_error=error)
    if verdict in (Verdict.UNAVAILABLE, Verdict.INCOMPLETE):
        # Refused unless a subgraph holding the revocation record settles it first.
        return RequestContext(
            request,
            resources,
            make_loaders,
            _auth_error=TokenCheckUnavailable(),
            unverified=(viewer, verdict),
        )
    return RequestContext(request, resources, make_loaders, _viewer=viewer)
