"""A small GraphQL-over-HTTP client for tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class GraphQLResponse:
    status_code: int
    body: dict[str, Any]

    @property
    def data(self) -> Any:
        return self.body.get("data")

    @property
    def errors(self) -> list[dict[str, Any]]:
        return list(self.body.get("errors") or [])

    @property
    def error_codes(self) -> list[str | None]:
        return [error.get("extensions", {}).get("code") for error in self.errors]

    def ok(self) -> Any:
        """The data, asserting the response carried no top-level errors."""
        assert not self.errors, self.errors
        return self.data


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, path: str = "/graphql") -> None:
        self.http = http
        self.path = path

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> GraphQLResponse:
        request_headers = dict(headers or {})
        if token is not None:
            request_headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            self.path, json={"query": query, "variables": variables or {}}, headers=request_headers
        )
        return GraphQLResponse(response.status_code, response.json())
