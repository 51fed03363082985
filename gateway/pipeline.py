"""One GraphQL request, from its parameters to its answer, in the order that refuses
cheapest first. `Pipeline.answer` reads top to bottom:

1. Who is asking (gateway/callers.py): the access token verified (401 before any
   planning), the partner API key and the first-party client key recognised, the
   shopper's address found.
2. Which document: sent, or persisted by hash; a partner only from its manifest.
3. Parse it within the token limit, check its shape limits, validate it
   (gateway/federation/validation.py, cached per document).
4. Select the operation; mutations only over POST.
5. Coerce its variables (list sizes first). A GET that carries its document must have
   been preflighted.
6. Price it against the per-operation cost limit, then 7. spend that cost from the
   caller's rate limit.
8. Plan it, 9. execute the plan, with only the headers subgraphs should see.
10. Shape the answer: errors masked in production, the plan when asked for,
    Cache-Control public only for anonymous persisted queries over public fields.

The HTTP around it (methods, media types, body, status codes) is gateway/endpoint.py's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode
from graphql.execution.values import VariableValues

from gateway.caching import PublicCache
from gateway.callers import Caller, Callers, Credentials
from gateway.errors import Refusal, formatted_error, mask_errors, request_error
from gateway.federation.defer import DeferPlanner, has_defer, with_defer, without_defer
from gateway.federation.executor import PlanExecutor
from gateway.federation.operations import PreparedOperation, coerce_variables, select_operation
from gateway.federation.plan import PlanningError, QueryPlan
from gateway.federation.plan_printer import plan_as_dict
from gateway.federation.planner import QueryPlanner
from gateway.federation.supergraph import Supergraph
from gateway.federation.validation import CheckedDocuments, DocumentPolicy
from gateway.incremental import execute_deferred, map_payloads
from gateway.limits.cost import operation_cost
from gateway.limits.document import list_size_error, longest_list
from gateway.middleware.request_id import HEADER as REQUEST_ID_HEADER
from gateway.persisted.documents import PersistedDocuments, Resolved
from gateway.persisted.store import MemoryDocumentStore
from gateway.protocol import GraphQLParams
from gateway.ratelimit import RateLimiter
from gateway.transport.http import CLIENT_IP_HEADER, FORWARDED_HEADERS
from gateway.transport.types import Transport


@dataclass
class GraphQLRequest:
    """What the endpoint read off one HTTP request."""

    method: str
    params: GraphQLParams
    credentials: Credentials
    headers: Mapping[str, str]
    request_id: str
    # Sent with a header, or a content type, that a cross-site page cannot send unasked.
    preflighted: bool = True
    wants_plan: bool = False
    # The client reads multipart/mixed incremental delivery, so @defer may defer.
    incremental: bool = False
    # Set once the operation is known to be a registered one: a bounded metric label.
    known_operation: str | None = None


@dataclass
class OperationResult:
    status_code: int
    body: dict[str, Any]
    plan: QueryPlan | None = None
    # With @defer, answered incrementally: the parts after `body` (gateway/incremental.py).
    subsequent: AsyncIterator[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]
    subsequent: AsyncIterator[dict[str, Any]] | None = None


@dataclass
class Edge:
    """What the edge holds a request to besides its document."""

    documents: PersistedDocuments = field(
        default_factory=lambda: PersistedDocuments({}, MemoryDocumentStore())
    )
    callers: Callers = field(default_factory=Callers)
    limiter: RateLimiter | None = None
    public_cache: PublicCache = field(default_factory=PublicCache)
    production: bool = False
    expose_plans: bool = False


class Pipeline:
    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
        *,
        timeout: float = 30.0,
        timeouts: Mapping[str, float] | None = None,
        policy: DocumentPolicy | None = None,
        edge: Edge | None = None,
    ) -> None:
        missing = set(supergraph.subgraphs) - set(transports)
        if missing:
            raise ValueError(
                f"no transport configured for subgraph(s): {', '.join(sorted(missing))}"
            )
        self.supergraph = supergraph
        self.schema = supergraph.api_schema
        self.planner = QueryPlanner(supergraph)
        self.defer_planner = DeferPlanner(supergraph, self.schema, self.planner)
        self.executor = PlanExecutor(self.schema, transports, timeout=timeout, timeouts=timeouts)
        self.policy = policy or DocumentPolicy()
        self.edge = edge or Edge()
        # Documents may use @defer; introspection, like Apollo Gateway's, does not list it.
        self._documents = CheckedDocuments(with_defer(self.schema), self.policy)

    # -- one request, in order ---------------------------------------------------------

    async def answer(self, request: GraphQLRequest) -> Answer:
        try:
            return await self._answer(request)
        except Refusal as refusal:
            if self.edge.production and refusal.status >= 500:
                refusal.errors = mask_errors(refusal.errors, request.request_id)
            raise

    async def _answer(self, request: GraphQLRequest) -> Answer:
        caller = await self.edge.callers.identify(request.credentials)
        resolved = await self.edge.documents.resolve(request.params, caller.partner)
        is_get = request.method == "GET"
        try:
            prepared = self.prepare(
                resolved.query,
                request.params.variables,
                request.params.operation_name,
                allowed_operations=("query",) if is_get else ("query", "mutation"),
            )
        except Refusal:
            await self._spend(caller, 1)
            raise
        if is_get and not resolved.persisted and not request.preflighted:
            raise Refusal.of(
                "A GET request that carries its document must also carry the header "
                "`apollo-require-preflight: true` (or send a persisted document), so that "
                "no cross-site page can make a browser run it.",
                "PREFLIGHT_REQUIRED",
            )
        if prepared.operation_name in self.edge.documents.known_names:
            request.known_operation = prepared.operation_name
        await self.admit(prepared, caller)
        if resolved.register is not None:
            await self.edge.documents.store.put(resolved.register, resolved.query)
        result = await self.run(
            prepared,
            forwarded_headers(request.headers, request.request_id, caller.ip),
            incremental=request.incremental,
        )
        return self._shape(request, result, prepared, resolved, caller)

    def prepare(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        allowed_operations: tuple[str, ...] = ("query", "mutation"),
    ) -> PreparedOperation:
        """Parse, check and validate the document, pick the operation, coerce variables."""
        document = self._parse(query)
        operation = self._select(document, operation_name, allowed_operations)
        raw_variables = dict(variables or {})
        coerced = self._coerce(operation, raw_variables)
        return PreparedOperation(document, operation, operation_name, raw_variables, coerced)

    def _parse(self, query: str) -> DocumentNode:
        document, errors = self._documents.get(query)
        if document is None:
            raise _request_refusal(errors)
        return document

    def _select(
        self,
        document: DocumentNode,
        operation_name: str | None,
        allowed_operations: tuple[str, ...],
    ) -> OperationDefinitionNode:
        try:
            operation = select_operation(document, operation_name)
        except PlanningError as error:
            raise _request_refusal([formatted_error(str(error), "INVALID_GRAPHQL")]) from None
        kind = operation.operation.value
        if kind not in allowed_operations:
            # Only GET narrows the operations (a mutation must not ride on a cacheable,
            # replayable request), so the way out is always the same: POST.
            if kind == "mutation":
                message = f"{kind} operations cannot be sent with GET: send them with POST."
                errors = [formatted_error(message, "BAD_REQUEST")]
                raise Refusal(errors, 405, None, {"Allow": "POST"})
            message = f"{kind} operations are not supported by this endpoint."
            if kind == "subscription":
                message = (
                    "Subscriptions are served over WebSocket (graphql-transport-ws) or "
                    "Server-Sent Events (send `Accept: text/event-stream`)."
                )
            raise _request_refusal([formatted_error(message, "BAD_REQUEST")])
        return operation

    def _coerce(
        self, operation: OperationDefinitionNode, raw_variables: dict[str, Any]
    ) -> VariableValues:
        limits = self.policy.limits
        if limits is not None and (size := longest_list(raw_variables)) > limits.max_list_size:
            raise _request_refusal([list_size_error(size, limits.max_list_size)])
        coerced = coerce_variables(self.schema, operation, raw_variables)
        if isinstance(coerced, list):
            raise _request_refusal(coerced)
        return coerced

    async def admit(self, prepared: PreparedOperation, caller: Caller) -> None:
        """Price the operation against the cost limit and spend it from the rate limit."""
        cost = await self._price(prepared, caller)
        await self._spend(caller, cost)

    def cost(self, prepared: PreparedOperation) -> int:
        return operation_cost(
            self.schema, prepared.fragments, prepared.operation, prepared.coerced.coerced
        )

    async def _price(self, prepared: PreparedOperation, caller: Caller) -> int:
        cost = self.cost(prepared)
        limits = self.policy.limits
        if limits is not None and cost > limits.max_cost:
            await self._spend(caller, 1)
            raise request_error(
                f"The operation costs {cost}; the limit is {limits.max_cost}. "
                "Ask for fewer items (first/last) or fewer nested lists.",
                "MAX_COST_EXCEEDED",
                cost=cost,
                maxCost=limits.max_cost,
            )
        return cost

    async def _spend(self, caller: Caller, cost: int) -> None:
        limiter = self.edge.limiter
        if limiter is None:
            return
        decision = await limiter.consume(caller.buckets(), cost)
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

    async def run(
        self, prepared: PreparedOperation, headers: Mapping[str, str], *, incremental: bool = False
    ) -> OperationResult:
        """Plan the operation and execute the plan (with @defer, incrementally if asked)."""
        document = prepared.document
        if has_defer(document):
            if incremental:
                deferred = await self._run_deferred(prepared, headers)
                if deferred is not None:
                    return deferred
            document = without_defer(document)
        try:
            plan = self.planner.plan(document, prepared.operation_name)
        except PlanningError as error:
            errors = [formatted_error(str(error), "QUERY_PLANNING_FAILED")]
            return OperationResult(500, {"errors": errors})
        body = await self.executor.execute(plan, prepared.variables, prepared.coerced, headers)
        return OperationResult(200, body, plan)

    async def _run_deferred(
        self, prepared: PreparedOperation, headers: Mapping[str, str]
    ) -> OperationResult | None:
        try:
            split = self.defer_planner.plan(
                prepared.document, prepared.operation_name, prepared.coerced
            )
        except PlanningError as error:
            errors = [formatted_error(str(error), "QUERY_PLANNING_FAILED")]
            return OperationResult(500, {"errors": errors})
        if not split.deferred:
            return None  # nothing could be deferred: answered at once
        initial, rest = await execute_deferred(
            self.executor, split, prepared.variables, prepared.coerced, headers
        )
        return OperationResult(200, initial, split.primary, rest)

    def _shape(
        self,
        request: GraphQLRequest,
        result: OperationResult,
        prepared: PreparedOperation,
        resolved: Resolved,
        caller: Caller,
    ) -> Answer:
        body = result.body
        subsequent = result.subsequent
        if self.edge.production:
            if body.get("errors"):
                body["errors"] = mask_errors(body["errors"], request.request_id)
            if subsequent is not None:
                subsequent = map_payloads(subsequent, _masking(request.request_id))
        if self.edge.expose_plans and request.wants_plan and result.plan is not None:
            body.setdefault("extensions", {})["queryPlan"] = plan_as_dict(result.plan)
        headers = self.edge.public_cache.headers(
            method=request.method,
            persisted=resolved.persisted,
            operation_kind=prepared.kind,
            root_fields=prepared.root_fields,
            anonymous=caller.anonymous,
            has_errors=bool(body.get("errors")),
        )
        return Answer(result.status_code, body, headers, subsequent)

    # -- for callers inside the platform -----------------------------------------------

    def plan(self, query: str, operation_name: str | None = None) -> QueryPlan:
        document, errors = self._documents.get(query)
        if document is None:
            raise PlanningError("; ".join(error["message"] for error in errors))
        return self.planner.plan(document, operation_name)

    async def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        allowed_operations: tuple[str, ...] = ("query", "mutation"),
    ) -> OperationResult:
        """Prepare and run an operation without the edge's checks of its sender."""
        try:
            prepared = self.prepare(
                query, variables, operation_name, allowed_operations=allowed_operations
            )
        except Refusal as refusal:
            return OperationResult(refusal.status, {"errors": refusal.errors})
        return await self.run(prepared, headers or {})


def _masking(request_id: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def mask(payload: dict[str, Any]) -> dict[str, Any]:
        for entry in payload.get("incremental", ()):
            if entry.get("errors"):
                entry["errors"] = mask_errors(entry["errors"], request_id)
        return payload

    return mask


def _request_refusal(errors: list[dict[str, Any]]) -> Refusal:
    """An error in a well-formed request: 400, or 200 for application/json clients."""
    return Refusal(errors, 400, 200)


def forwarded_headers(
    headers: Mapping[str, str], request_id: str, client_ip: str
) -> dict[str, str]:
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
