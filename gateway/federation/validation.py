"""Client documents parsed and checked before anything runs them: the token limit, shape
limits and introspection policy (gateway/limits), then validation against the API
schema. Checked documents are cached by source text, so a repeated query is checked once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from gateway.errors import formatted_error, graphql_error
from gateway.limits import Limits
from gateway.limits.document import check_document


@dataclass(frozen=True)
class DocumentPolicy:
    """What a document must satisfy beyond the schema; the defaults check nothing more."""

    limits: Limits | None = None
    introspection: bool = True
    # Validation's "Did you mean ...?" reveals the schema as introspection would.
    hide_suggestions: bool = False


class CheckedDocuments:
    """Parsed and checked documents by source text (bounded, least recently used out)."""

    def __init__(self, schema: GraphQLSchema, policy: DocumentPolicy, size: int = 1000) -> None:
        self._entries: OrderedDict[str, tuple[DocumentNode | None, list[dict[str, Any]]]] = (
            OrderedDict()
        )
        self._schema = schema
        self._policy = policy
        self._size = size

    def get(self, source: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        entry = self._entries.get(source)
        if entry is not None:
            self._entries.move_to_end(source)
            return entry
        entry = self._check(source)
        self._entries[source] = entry
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry

    def _check(self, source: str) -> tuple[DocumentNode | None, list[dict[str, Any]]]:
        limits = self._policy.limits
        try:
            document = parse(source, max_tokens=limits.max_tokens if limits else None)
        except GraphQLError as error:
            return None, [_parse_error(error, limits)]
        if limits is not None or not self._policy.introspection:
            # Shape limits first: they are linear, and keep a hostile document away from
            # validation rules that are not.
            refused = check_document(
                document, limits or _UNLIMITED, introspection=self._policy.introspection
            )
            if refused:
                return None, refused
        errors = validate(self._schema, document, hide_suggestions=self._policy.hide_suggestions)
        if errors:
            return None, [
                formatted_error(e.message, "GRAPHQL_VALIDATION_FAILED", e) for e in errors
            ]
        return document, []


_UNLIMITED = Limits(
    max_depth=2**31,
    max_aliases=2**31,
    max_field_repeats=2**31,
    max_directives=2**31,
    max_list_size=2**31,
)


def _parse_error(error: GraphQLError, limits: Limits | None) -> dict[str, Any]:
    # The parser enforces the token limit, and its own nesting limit (the recursion
    # limit of the interpreter); both are limits, not typos, so they say so.
    if limits is not None and "tokens. Parsing aborted" in error.message:
        return graphql_error(
            f"The document has more than {limits.max_tokens} tokens.",
            "MAX_TOKENS_EXCEEDED",
            maxTokens=limits.max_tokens,
        )
    if "nested too deeply" in error.message:
        return formatted_error(error.message, "MAX_DEPTH_EXCEEDED", error)
    return formatted_error(error.message, "GRAPHQL_PARSE_FAILED", error)
