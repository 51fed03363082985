"""How failures reach the client.

Expected failures (DomainError) keep their message and gain `extensions.code`; anything
else is logged with its traceback and shown only as "Internal server error", so raw
exception text (SQL, file paths) never leaks to clients.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any, TypeVar

import strawberry
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.types import ExecutionContext

from domains.kit.errors import DomainError, InputErrors
from domains.kit.graphql.compiled import CompiledExecutor, compiled_execution_enabled
from domains.kit.graphql.execution import LeafShortcutExecutor
from domains.kit.graphql.input_text import RefuseUnstorableText
from graphql import GraphQLError, execute

logger = logging.getLogger("shopgraph.graphql")

INTERNAL_ERROR_MESSAGE = "Internal server error."

PayloadErrorT = TypeVar("PayloadErrorT")


def payload_errors(
    error: InputErrors,
    make: Callable[..., PayloadErrorT],
    codes: Callable[[Any], Enum],
) -> list[PayloadErrorT]:
    """Refused input as a mutation payload's `errors { field code message }`: one
    `make(field=, code=, message=)` per problem, its code as the domain's schema enum."""
    return [
        make(field=item.field, code=codes(item.code.value), message=item.message)
        for item in error.errors
    ]


def _with_code(error: GraphQLError, code: str, message: str | None = None) -> GraphQLError:
    extensions = dict(error.extensions or {})
    extensions["code"] = code
    return GraphQLError(
        message=message if message is not None else error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def classify_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None:
        # Raised by graphql-core itself: parse or validation failure, bad variables.
        if error.extensions and "code" in error.extensions:
            return error
        code = "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_USER_INPUT"
        return _with_code(error, code)
    if isinstance(original, GraphQLError):
        return classify_error(original)
    if isinstance(original, DomainError):
        return _with_code(error, original.code, str(original))
    logger.error("unexpected error in a resolver", exc_info=original)
    return _with_code(error, "INTERNAL_SERVER_ERROR", INTERNAL_ERROR_MESSAGE)


class ClassifyErrors(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [classify_error(error) for error in errors]


class FederatedSchema(strawberry.federation.Schema):
    """A federation schema whose errors are classified (and logged) by ClassifyErrors,
    and which refuses text Postgres cannot store before any resolver runs.

    Strawberry would otherwise log every error with a traceback, including expected ones
    such as a wrong password, burying the unexpected ones.
    """

    def __init__(self, **kwargs: Any) -> None:
        # The gateway sends the same few documents over and over: parse and validate
        # each once.
        extensions = [
            *kwargs.pop("extensions", ()),
            ClassifyErrors,
            ParserCache,
            ValidationCache,
            # Every subgraph refuses text Postgres cannot store (input_text.py).
            RefuseUnstorableText,
        ]
        super().__init__(
            extensions=extensions,
            federation_version="2.7",
            # Plain scalar fields answered without the per-field machinery (execution.py).
            execution_context_class=LeafShortcutExecutor,
            **kwargs,
        )
        # Operations compiled once per document (domains/kit/graphql/compiled/), unless
        # the caller chose graphql-core's executor for this call (GRAPHQL_COMPILED=off).
        self.compiled_executor = CompiledExecutor()

    def _get_execute_function(self) -> Callable[..., Any]:
        # Strawberry's one hook for the function that executes a validated document:
        # everything around it (parsing, validation, extensions, error processing) stays
        # Strawberry's.
        execute_function: Callable[..., Any] = super()._get_execute_function()
        if execute_function is execute and compiled_execution_enabled():
            return self.compiled_executor.execute
        return execute_function

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None
