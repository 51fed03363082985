"""`/graphql` over HTTP: methods, media types, the body, status codes and headers.

A browser asking for HTML gets GraphiQL. Otherwise the response's media type is
negotiated (406 when the client accepts neither JSON type), the parameters are read from
the URL or the JSON body (gateway/protocol.py), and the request goes through the
pipeline (gateway/pipeline.py). A refusal answers with the status its kind calls for
(application/json clients get 200 for errors in a well-formed request) and no-store; an
unexpected failure with 500 and the request id, its details only in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from gateway.caching import NO_STORE
from gateway.callers import Credentials
from gateway.clients import CLIENT_KEY_HEADER, FORWARDED_FOR_HEADER
from gateway.errors import INTERNAL_ERROR_MESSAGE, Refusal
from gateway.graphiql import GraphiQL, wants_html
from gateway.incremental import MULTIPART_MIXED, multipart_body
from gateway.pipeline import GraphQLRequest, Pipeline
from gateway.protocol import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    GraphQLParams,
    accepts_multipart,
    negotiate,
    read_params,
)
from gateway.subscriptions.hub import SubscriptionHub
from gateway.subscriptions.sse import credentials_of, start_stream, wants_event_stream

logger = logging.getLogger("shopgraph.gateway")

PLAN_HEADER = "x-shopgraph-plan"
API_KEY_HEADER = "x-api-key"
# What makes a browser preflight a cross-origin GET (Apollo Server's CSRF prevention):
# a cross-site <form> or <img> cannot send either.
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
_SIMPLE_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


@dataclass
class GraphQLEndpoint:
    pipeline: Pipeline
    graphiql: GraphiQL | None = None
    subscriptions: SubscriptionHub | None = None

    async def handle(self, request: Request) -> Response:
        if request.method == "GET" and self.graphiql is not None and wants_html(request):
            return self.graphiql.page()
        if self.subscriptions is not None and wants_event_stream(request):
            return await self._event_stream(request, self.subscriptions)
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            return _respond({"errors": [_not_acceptable()]}, 406, JSON, dict(NO_STORE))
        legacy = media_type == JSON
        request_id: str = request.scope.get("state", {}).get("request_id", "-")
        graphql_request: GraphQLRequest | None = None
        try:
            params = await read_params(request)
            graphql_request = _graphql_request(request, params, request_id)
            answer = await self.pipeline.answer(graphql_request)
            if answer.subsequent is not None:
                return StreamingResponse(
                    multipart_body(answer.body, answer.subsequent),
                    status_code=answer.status_code,
                    media_type=MULTIPART_MIXED,
                    headers=answer.headers,
                )
            return _respond(answer.body, answer.status_code, media_type, answer.headers)
        except Refusal as refusal:
            return _respond(
                {"errors": refusal.errors},
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
        finally:
            if graphql_request is not None and graphql_request.known_operation is not None:
                # The request metrics' operation label (gateway/middleware/request_metrics.py).
                request.scope.setdefault("state", {})["operation"] = graphql_request.known_operation

    async def _event_stream(self, request: Request, hub: SubscriptionHub) -> Response:
        """A subscription over Server-Sent Events (gateway/subscriptions/sse.py)."""
        request_id: str = request.scope.get("state", {}).get("request_id", "-")
        try:
            params = await read_params(request)
            connection = await hub.connect(credentials_of(request), request.headers, request_id)
            return await start_stream(hub, connection, params)
        except Refusal as refusal:
            return _respond(
                {"errors": refusal.errors},
                refusal.status,
                JSON,
                {**NO_STORE, **refusal.headers},
            )


def _graphql_request(request: Request, params: GraphQLParams, request_id: str) -> GraphQLRequest:
    headers = request.headers
    credentials = Credentials(
        authorization=headers.get("authorization", "").strip() or None,
        api_key=headers.get(API_KEY_HEADER, "").strip(),
        client_key=headers.get(CLIENT_KEY_HEADER, "").strip(),
        peer=request.client.host if request.client else "unknown",
        forwarded_for=",".join(headers.getlist(FORWARDED_FOR_HEADER)) or None,
    )
    return GraphQLRequest(
        method=request.method,
        params=params,
        credentials=credentials,
        headers=headers,
        request_id=request_id,
        preflighted=_preflighted(request),
        wants_plan=bool(headers.get(PLAN_HEADER)),
        incremental=accepts_multipart(headers.get("accept")),
    )


def _preflighted(request: Request) -> bool:
    if any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return True
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return bool(content_type) and content_type not in _SIMPLE_CONTENT_TYPES


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
