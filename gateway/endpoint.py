"""`/graphql`: one request through the edge, in the order that refuses cheapest first.

1. HTTP: method, media types, parameters (gateway/protocol.py); a browser gets GraphiQL.
2. Who is asking: the access token is verified (401 before any planning), the partner
   API key and the first-party client key recognised, the shopper's address found.
3. Which document: sent, or persisted by hash; a partner only from its manifest.
4. The document: parsed within the token limit, shape limits, validation, variables;
   mutations only over POST; a GET with a document in it must be preflighted.
5. Its cost, against the per-operation limit, then against the caller's rate limit.
6. Execution, with only the headers subgraphs should see; errors masked in production;
   Cache-Control public only for anonymous persisted queries over public fields.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from gateway.auth.tokens import TokenIdentity, TokenVerifier
from gateway.caching import NO_STORE, PublicCache
from gateway.clients import CLIENT_KEY_HEADER, FORWARDED_FOR_HEADER, FirstPartyClients
from gateway.errors import INTERNAL_ERROR_MESSAGE, Refusal, mask_errors, request_error
from gateway.federation.gateway import Gateway, GatewayResponse, PreparedOperation
from gateway.federation.plan_printer import plan_as_dict
from gateway.graphiql import GraphiQL, wants_html
from gateway.limits import Limits
from gateway.middleware.request_id import HEADER as REQUEST_ID_HEADER
from gateway.partners.service import PartnerIdentity, PartnerKeys
from gateway.persisted.documents import PersistedDocuments
from gateway.protocol import GRAPHQL_RESPONSE_JSON, JSON, negotiate, read_params
from gateway.ratelimit import Bucket, RateLimiter
from gateway.transport.http import CLIENT_IP_HEADER, FORWARDED_HEADERS

logger = logging.getLogger("shopgraph.gateway")

PLAN_HEADER = "x-shopgraph-plan"
API_KEY_HEADER = "x-api-key"
# What makes a browser preflight a cross-origin GET (Apollo Server's CSRF prevention):
# a cross-site <form> or <img> cannot send either.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
_SIMPLE_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


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
class GraphQLEndpoint:
    gateway: Gateway
    documents: PersistedDocuments
    limits: Limits | None = None
    verifier: TokenVerifier | None = None
    partners: PartnerKeys | None = None
    limiter: RateLimiter | None = None
    clients: FirstPartyClients = field(default_factory=FirstPartyClients)
    public_cache: PublicCache = field(default_factory=PublicCache)
    graphiql: GraphiQL | None = None
    production: bool = False
    expose_plans: bool = False

    async def handle(self, request: Request) -> Response:
        if request.method == "GET" and self.graphiql is not None and wants_html(request):
            return self.graphiql.page()
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            return _respond({"errors": [_not_acceptable()]}, 406, JSON, dict(NO_STORE))
        legacy = media_type == JSON
        request_id: str = request.scope.get("state", {}).get("request_id", "-")
        try:
            return await self._handle(request, media_type, request_id)
        except Refusal as refusal:
            errors = refusal.errors
            if self.production and refusal.status >= 500:
                errors = mask_errors(errors, request_id)
            return _respond(
                {"errors": errors},
                refusal.status_for(legacy),
                media_type,
                {**NO_STORE, **refusal.headers},
            )
        except Exception:
            logger.exception("request %s failed", request_id)
            error = {
                "message": INTERNAL_ERROR_MESSAGE,
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
            }
            return _respond({"errors": [error]}, 500, media_type, dict(NO_STORE))

    async def _handle(self, request: Request, media_type: str, request_id: str) -> Response:
        params = await read_params(request)
        caller = await self._caller(request)
        resolved = await self.documents.resolve(params, caller.partner)
        is_get = request.method == "GET"
        prepared = self.gateway.prepare(
            resolved.query,
            params.variables,
            params.operation_name,
            allowed_operations=("query",) if is_get else ("query", "mutation"),
        )
        if isinstance(prepared, GatewayResponse):
            await self._spend(caller, 1)
            raise _refusal_of(prepared)
        if is_get and not resolved.persisted and not _preflighted(request):
            raise Refusal.of(
                "A GET request that carries its document must also carry the header "
                "`apollo-require-preflight: true` (or send a persisted document), so that "
                "no cross-site page can make a browser run it.",
                "PREFLIGHT_REQUIRED",
            )
        if prepared.operation_name in self.documents.known_names:
            request.scope.setdefault("state", {})["operation"] = prepared.operation_name
        cost = self.gateway.cost(prepared)
        if self.limits is not None and cost > self.limits.max_cost:
            await self._spend(caller, 1)
            raise request_error(
                f"The operation costs {cost}; the limit is {self.limits.max_cost}. "
                "Ask for fewer items (first/last) or fewer nested lists.",
                "MAX_COST_EXCEEDED",
                cost=cost,
                maxCost=self.limits.max_cost,
            )
        await self._spend(caller, cost)
        if resolved.register is not None:
            await self.documents.store.put(resolved.register, resolved.query)
        result = await self.gateway.run(
            prepared, _forwarded(request.headers, request_id, caller.ip)
        )
        return self._result(
            request, media_type, request_id, result, prepared, resolved.persisted, caller
        )

    async def _caller(self, request: Request) -> Caller:
        authorization = request.headers.get("authorization", "").strip() or None
        token = None
        if authorization is not None and self.verifier is not None:
            token = await self.verifier.verify(authorization)
        partner = None
        api_key = request.headers.get(API_KEY_HEADER, "").strip()
        if api_key:
            partner = await self._partner(api_key)
        client = None
        client_key = request.headers.get(CLIENT_KEY_HEADER, "").strip()
        if client_key:
            client = self._first_party(client_key)
        peer = request.client.host if request.client else "unknown"
        forwarded_for = ",".join(request.headers.getlist(FORWARDED_FOR_HEADER)) or None
        address = self.clients.address(peer, forwarded_for, first_party=client is not None)
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

    async def _spend(self, caller: Caller, cost: int) -> None:
        if self.limiter is None:
            return
        decision = await self.limiter.consume(caller.buckets(), cost)
        if decision.allowed:
            return
        kind = decision.bucket.kind.replace("_", " ") if decision.bucket else "caller"
        raise Refusal.of(
            f"Rate limit reached for this {kind}: retry in {decision.retry_after} s.",
            "RATE_LIMITED",
            status=429,
            headers={"Retry-After": str(decision.retry_after)},
            retryAfter=decision.retry_after,
            limit=decision.limit,
            cost=cost,
        )

    def _result(
        self,
        request: Request,
        media_type: str,
        request_id: str,
        result: GatewayResponse,
        prepared: PreparedOperation,
        persisted: bool,
        caller: Caller,
    ) -> Response:
        body = result.body
        if self.production and body.get("errors"):
            body["errors"] = mask_errors(body["errors"], request_id)
        if self.expose_plans and request.headers.get(PLAN_HEADER) and result.plan is not None:
            body.setdefault("extensions", {})["queryPlan"] = plan_as_dict(result.plan)
        headers = self.public_cache.headers(
            method=request.method,
            persisted=persisted,
            operation_kind=prepared.kind,
            root_fields=prepared.root_fields,
            anonymous=caller.anonymous,
            has_errors=bool(body.get("errors")),
        )
        return _respond(body, result.status_code, media_type, headers)


def _refusal_of(response: GatewayResponse) -> Refusal:
    """A failure of preparing the operation, as the HTTP status its kind calls for."""
    errors = response.body["errors"]
    if response.status_code == 405:
        return Refusal(errors, 405, None, {"Allow": "POST"})
    if response.status_code >= 500:
        return Refusal(errors, response.status_code)
    return Refusal(errors, 400, 200)


def _preflighted(request: Request) -> bool:
    if any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return True
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return bool(content_type) and content_type not in _SIMPLE_CONTENT_TYPES


def _forwarded(headers: Mapping[str, str], request_id: str, client_ip: str) -> dict[str, str]:
    """What subgraphs see of the request: an allowlist, so no client header can pose as
    one the gateway sets (the verified token is forwarded as is; subgraphs verify it)."""
    forwarded = {
        name: value
        for name, value in headers.items()
        if name in FORWARDED_HEADERS and name not in (REQUEST_ID_HEADER, CLIENT_IP_HEADER)
    }
    forwarded[REQUEST_ID_HEADER] = request_id
    if client_ip != "unknown":
        forwarded[CLIENT_IP_HEADER] = client_ip
    return forwarded


def _not_acceptable() -> dict[str, Any]:
    return {
        "message": f"Accept {GRAPHQL_RESPONSE_JSON} or {JSON}.",
        "extensions": {"code": "NOT_ACCEPTABLE"},
    }


def _respond(
    body: dict[str, Any], status: int, media_type: str, headers: Mapping[str, str]
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=dict(headers),
    )
