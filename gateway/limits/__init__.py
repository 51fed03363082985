"""How much one request may ask for: its size, shape and cost.

`document.py` measures a parsed document before the (costlier) validation runs: depth,
aliases, directives, list arguments, introspection. `cost.py` prices a validated
operation with its variables, where `first`/`last` multiply what is below them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    # Fields nested in fields; introspection's own nesting is bounded by graphql-core's
    # MaxIntrospectionDepthRule instead, so GraphiQL's schema query fits.
    max_depth: int = 12
    max_aliases: int = 30
    # One field asked for again and again in one selection set (directly or in inline
    # fragments): validation compares every pair of them, so 1,000 copies of
    # `topProducts { name }` take seconds to validate although they cost little.
    max_field_repeats: int = 20
    # Directive uses in an operation (counted as if its fragments were written inline).
    max_directives: int = 50
    # Lexical tokens, enforced by the parser itself so a huge document is never built.
    max_tokens: int = 5000
    # Items in one list argument, written inline or passed in a variable.
    max_list_size: int = 100
    max_cost: int = 10_000
    max_body_bytes: int = 1_048_576
