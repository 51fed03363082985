"""GraphQL over HTTP: reading a request's parameters and choosing the response's media type.

Follows the GraphQL-over-HTTP specification (graphql.github.io/graphql-over-http): POST
with an `application/json` body, or GET with URL parameters; the response is
`application/graphql-response+json` when the client accepts it (request errors then get
4xx), else `application/json` (200 for any well-formed request, as older clients
expect). Persisted documents are named by `documentId` (the persisted-documents
proposal) or by Apollo's `extensions.persistedQuery`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request

from gateway.errors import Refusal

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


@dataclass(frozen=True)
class GraphQLParams:
    query: str | None
    document_id: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None

    @property
    def persisted_hash(self) -> str | None:
        """The sha256 hex of Apollo's automatic persisted query extension, if sent."""
        persisted = (self.extensions or {}).get("persistedQuery")
        if persisted is None:
            return None
        if not isinstance(persisted, dict) or not isinstance(persisted.get("sha256Hash"), str):
            raise _bad_request("`extensions.persistedQuery` must be {version, sha256Hash}.")
        if persisted.get("version") != 1:
            raise Refusal.of(
                "Only version 1 of persisted queries is supported.",
                "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
            )
        return str(persisted["sha256Hash"]).lower()


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither JSON type.

    No Accept header, `*/*` or `application/*` mean application/json: the specification
    keeps legacy clients, which send one of those, on the format they understand.
    """
    if accept is None or not accept.strip():
        return JSON
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(accept.split(",")):
        media_type, _, parameters = item.strip().partition(";")
        media_type = media_type.strip().lower()
        quality = _quality(parameters)
        if quality <= 0:
            continue
        if media_type == GRAPHQL_RESPONSE_JSON:
            chosen = GRAPHQL_RESPONSE_JSON
        elif media_type in (JSON, "application/*", "*/*"):
            chosen = JSON
        else:
            continue
        # Highest quality wins; on a tie, the earlier entry.
        candidate = (quality, -position, chosen)
        if best is None or candidate > best:
            best = candidate
    return best[2] if best else None


def accepts_multipart(accept: str | None) -> bool:
    """Whether the client reads `multipart/mixed` incremental delivery (`@defer`).

    Apollo Client asks with `multipart/mixed;deferSpec=20220824`; a `deferSpec` other
    than that one is a format this gateway does not write.
    """
    for item in (accept or "").split(","):
        media_type, _, parameters = item.strip().partition(";")
        if media_type.strip().lower() != "multipart/mixed" or _quality(parameters) <= 0:
            continue
        spec = next(
            (
                value.strip().strip('"')
                for name, _, value in (p.strip().partition("=") for p in parameters.split(";"))
                if name.strip().lower() == "deferspec"
            ),
            "20220824",
        )
        if spec == "20220824":
            return True
    return False


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


async def read_params(request: Request) -> GraphQLParams:
    if request.method == "GET":
        return params_from(_get_parameters(request.query_params))
    content_type = request.headers.get("content-type", "")
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != JSON:
        # text/plain, form encodings and multipart are what a cross-site <form> can send
        # without a preflight; refusing them is also what keeps such forms out.
        raise Refusal.of(
            f"POST requests must have content-type {JSON} (got {content_type or 'none'!r}).",
            "BAD_REQUEST",
            status=415,
        )
    charset = parameters.strip().lower().removeprefix("charset=")
    if parameters.strip() and charset.strip('"') not in ("utf-8", "utf8"):
        raise Refusal.of("Request bodies must be UTF-8.", "BAD_REQUEST", status=415)
    body = await request.body()
    if not body.strip():
        raise _bad_request("The request body is empty.")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _bad_request("The request body is not valid JSON.") from None
    if isinstance(payload, list):
        raise Refusal.of(
            "Batched requests (a JSON array) are not supported: send one operation per request.",
            "BATCHING_NOT_SUPPORTED",
        )
    if not isinstance(payload, dict):
        raise _bad_request("The request body must be a JSON object.")
    return params_from(payload)


def _get_parameters(query_params: Mapping[str, str]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for name in ("query", "documentId", "operationName"):
        if name in query_params:
            parameters[name] = query_params[name]
    for name in ("variables", "extensions"):
        raw = query_params.get(name)
        if raw:
            try:
                parameters[name] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise _bad_request(f"`{name}` is not valid JSON.") from None
    return parameters


def params_from(payload: Mapping[str, Any]) -> GraphQLParams:
    query = _optional(payload, "query", str, "a string")
    document_id = _optional(payload, "documentId", str, "a string")
    variables = _optional(payload, "variables", dict, "an object")
    operation_name = _optional(payload, "operationName", str, "a string")
    extensions = _optional(payload, "extensions", dict, "an object")
    params = GraphQLParams(query, document_id, variables, operation_name, extensions)
    if query is None and document_id is None and params.persisted_hash is None:
        raise _bad_request("The request has no `query` (nor a `documentId`).")
    if query is not None and document_id is not None:
        raise _bad_request("Send either `query` or `documentId`, not both.")
    return params


def _optional(payload: Mapping[str, Any], name: str, kind: type, described: str) -> Any:
    value = payload.get(name)
    if value is not None and not isinstance(value, kind):
        raise _bad_request(f"`{name}` must be {described}.")
    return value


def _bad_request(message: str) -> Refusal:
    return Refusal.of(message, "BAD_REQUEST", status=400)
