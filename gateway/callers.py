"""Who is asking: the access token verified, the partner API key and the first-party
client key recognised, and the address the request is counted as.

A bad token, key or client key is refused (401) before any planning; without the
database a partner key cannot be told from a guess, so it is refused (503) too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from gateway.auth.tokens import TokenIdentity, TokenVerifier
from gateway.clients import FirstPartyClients
from gateway.errors import Refusal
from gateway.partners.service import PartnerIdentity, PartnerKeys
from gateway.ratelimit import Bucket

logger = logging.getLogger("shopgraph.gateway")


@dataclass(frozen=True)
class Credentials:
    """What a request says of its sender, as read off its headers and connection."""

    authorization: str | None = None
    api_key: str = ""
    client_key: str = ""
    peer: str = "unknown"
    forwarded_for: str | None = None


@dataclass(frozen=True)
class Caller:
    ip: str
    token: TokenIdentity | None
    partner: PartnerIdentity | None
    authorization: str | None
    # The first-party client (the storefront's server) sending on a shopper's behalf.
    client: str | None = None
    # `ip` is the shopper's, named by the first-party client or a trusted proxy.
    forwarded: bool = False

    @property
    def anonymous(self) -> bool:
        return self.token is None and self.partner is None and not self.authorization

    def buckets(self) -> list[Bucket]:
        # A partner is known by its key and spends the key's budget, not its address's:
        # partners call from a few servers that would exhaust any per-IP budget.
        # A first-party client that names no shopper (a catalog read it caches for all of
        # them) spends its own budget; naming one, it spends that shopper's.
        if self.partner is not None:
            buckets = [Bucket("api_key", str(self.partner.id))]
        elif self.client is not None and not self.forwarded:
            buckets = [Bucket("client", self.client)]
        else:
            buckets = [Bucket("ip", self.ip)]
        if self.token is not None:
            buckets.append(Bucket("user", self.token.subject))
        return buckets


@dataclass
class Callers:
    verifier: TokenVerifier | None = None
    partners: PartnerKeys | None = None
    clients: FirstPartyClients = field(default_factory=FirstPartyClients)

    async def identify(self, credentials: Credentials) -> Caller:
        authorization = credentials.authorization
        token = None
        if authorization is not None and self.verifier is not None:
            token = await self.verifier.verify(authorization)
        partner = None
        if credentials.api_key:
            partner = await self._partner(credentials.api_key)
        client = None
        if credentials.client_key:
            client = self._first_party(credentials.client_key)
        address = self.clients.address(
            credentials.peer, credentials.forwarded_for, first_party=client is not None
        )
        return Caller(address.ip, token, partner, authorization, client, address.forwarded)

    def _first_party(self, client_key: str) -> str:
        if not self.clients.configured:
            raise Refusal.of(
                "This gateway has no first-party clients: drop the client key, or configure "
                "it on the gateway (GATEWAY_FIRST_PARTY_KEYS).",
                "UNAUTHENTICATED",
                status=401,
            )
        client = self.clients.identify(client_key)
        if client is None:
            raise Refusal.of("The client key is not valid.", "UNAUTHENTICATED", status=401)
        return client

    async def _partner(self, api_key: str) -> PartnerIdentity:
        if self.partners is None:
            raise Refusal.of(
                "This gateway does not accept API keys.", "UNAUTHENTICATED", status=401
            )
        try:
            partner = await self.partners.identify(api_key)
        except (SQLAlchemyError, OSError) as error:
            # Failing closed: without the database a key cannot be told from a guess.
            logger.error("partner keys unavailable: %s", error)
            raise Refusal.of(
                "API keys cannot be checked right now; retry shortly.",
                "SERVICE_UNAVAILABLE",
                status=503,
                headers={"Retry-After": "5"},
            ) from None
        if partner is None:
            raise Refusal.of(
                "The API key is not valid (unknown or revoked).", "UNAUTHENTICATED", status=401
            )
        return partner
