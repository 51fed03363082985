"""Cache-Control for GraphQL responses: public only when provably public.

A CDN may keep a response only when all of these hold: it answers a GET for a persisted
document (the URL names the operation and its variables, and stays short), the
operation is a query, the request carried no identity (no Authorization, no API key),
it produced no errors, and every root field is one configured as public data (product
listings). Everything else, any private data included, is `no-store`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class PublicCache:
    # Root query fields whose answer is the same for every anonymous caller.
    fields: frozenset[str] = field(default_factory=frozenset)
    max_age: int = 60

    def headers(
        self,
        *,
        method: str,
        persisted: bool,
        operation_kind: str,
        root_fields: Collection[str],
        anonymous: bool,
        has_errors: bool,
    ) -> dict[str, str]:
        public = (
            method == "GET"
            and persisted
            and operation_kind == "query"
            and anonymous
            and not has_errors
            and self.max_age > 0
            and bool(root_fields)
            and all(name in self.fields or name == "__typename" for name in root_fields)
        )
        if not public:
            return dict(NO_STORE)
        # The same URL with a token or key is a different request: a cache must not
        # answer it with the anonymous response.
        return {
            "Cache-Control": f"public, max-age={self.max_age}",
            "Vary": "Accept, Authorization, X-Api-Key",
        }
