"""Errors the gateway's edge answers with, and what production hides of the others.

A refusal at the edge (bad token, unknown persisted query, a limit, the rate limit) is a
`Refusal`: a GraphQL error with a code, plus how it maps onto HTTP. Refusals are meant
for the client and keep their message everywhere. Errors that come from running an
operation are masked in production when their code says "something broke" (or they have
none): the client gets a generic message and the request id that finds the log line,
never exception text that may carry SQL, paths or secrets.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError

logger = logging.getLogger("shopgraph.gateway")

INTERNAL_ERROR_MESSAGE = "Internal server error."

# Codes that mean "the server failed", whose messages describe the server, not the request.
_MASKED_CODES = frozenset(
    {
        "INTERNAL_SERVER_ERROR",
        "DOWNSTREAM_SERVICE_ERROR",
        "SUBGRAPH_ERROR",
        "QUERY_PLANNING_FAILED",
    }
)
# Never sent in production, whatever the code: debugging aids some servers attach.
_DEBUG_EXTENSIONS = ("exception", "stacktrace", "stackTrace")


def graphql_error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extensions}}


# graphql-core quotes names as 'name', graphql-js (and so Apollo's gateway) as "name".
_QUOTED_NAME = re.compile(r"'([^'\s]+)'")


def formatted_error(message: str, code: str, error: GraphQLError | None = None) -> dict[str, Any]:
    """A GraphQL error (graphql-core's, with its locations, or a message) with a code."""
    formatted: dict[str, Any] = dict(error.formatted) if error is not None else {"message": message}
    if code in ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"):
        formatted["message"] = _QUOTED_NAME.sub(r'"\1"', str(formatted["message"]))
    extensions = dict(formatted.get("extensions") or {})
    extensions.setdefault("code", code)
    formatted["extensions"] = extensions
    return formatted


@dataclass
class Refusal(Exception):
    """The request is refused before (or instead of) execution.

    `status` is the HTTP status for clients that accept application/graphql-response+json;
    `legacy_status` for application/json clients, which expect 200 for any well-formed
    request (None: the same as `status`, for refusals at the HTTP level such as 401 or 429).
    """

    errors: list[dict[str, Any]]
    status: int = 400
    legacy_status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        message: str,
        code: str,
        *,
        status: int = 400,
        legacy_status: int | None = None,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> Refusal:
        return cls(
            [graphql_error(message, code, **extensions)],
            status,
            legacy_status,
            dict(headers or {}),
        )

    @property
    def code(self) -> str:
        return str(self.errors[0]["extensions"]["code"])

    def status_for(self, legacy: bool) -> int:
        return self.legacy_status if legacy and self.legacy_status is not None else self.status


def request_error(message: str, code: str, **extensions: Any) -> Refusal:
    """An error in a well-formed request (an unknown field, a limit): 400, or 200 for JSON."""
    return Refusal.of(message, code, status=400, legacy_status=200, **extensions)


def mask_errors(errors: list[dict[str, Any]], request_id: str) -> list[dict[str, Any]]:
    """Production's view of execution errors: failures of the server become generic."""
    masked = []
    for error in errors:
        extensions = dict(error.get("extensions") or {})
        for name in _DEBUG_EXTENSIONS:
            extensions.pop(name, None)
        code = extensions.get("code")
        if code is None or code in _MASKED_CODES:
            logger.warning(
                "masked error (request %s): %s %s", request_id, code, error.get("message")
            )
            replacement: dict[str, Any] = {"message": INTERNAL_ERROR_MESSAGE}
            for key in ("locations", "path"):
                if key in error:
                    replacement[key] = error[key]
            replacement["extensions"] = {
                "code": "INTERNAL_SERVER_ERROR",
                "requestId": request_id,
            }
            masked.append(replacement)
        else:
            masked.append({**error, "extensions": extensions})
    return masked
