"""graphql-core's `execute`, answering from compiled operations where it can.

`CompiledExecutor.execute` takes exactly the arguments of graphql-core's `execute`, so a
Strawberry schema can hand it to its operation in place of graphql-core's (FederatedSchema
does, errors.py): parsing, validation (cached), the schema extensions and error
processing all stay Strawberry's. It builds the request's executor with the schema's
execution context class, as graphql-core would (operation selection, variable coercion
and their errors are graphql-core's own), then runs the compiled plan of the document
(cache.py) with it (runner.py).

What it does not compile runs through graphql-core's executor, whole:

- per request: custom default field or type resolvers, an abort signal or execution
  hooks, a synchronous execution (`execute_sync`), field middleware (a schema extension
  with `resolve`: it wraps every resolver), a schema with `@defer`/`@stream` enabled;
- per document (compiler.py): a subscription, fragment variables, `@defer`, selections
  nested too deeply for the collector, a `@skip`/`@include` variable without a Boolean
  value, more condition combinations than are kept.

`fallbacks()` lists them for a document; `CompiledExecutor.runs` counts the requests
answered each way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from typing import Any, TypeGuard

from domains.kit.graphql.compiled.cache import OperationCache
from domains.kit.graphql.compiled.compiler import NotCompiled
from domains.kit.graphql.compiled.runner import Run
from graphql import (
    DocumentNode,
    ExecutionResult,
    ExperimentalIncrementalExecutionResults,
    GraphQLError,
    GraphQLFieldResolver,
    GraphQLSchema,
    GraphQLTypeResolver,
    MiddlewareManager,
    execute,
)
from graphql.execution import Executor
from graphql.execution.executor import UNEXPECTED_MULTIPLE_PAYLOADS
from graphql.execution.incremental import IncrementalExecutor
from graphql.pyutils import AwaitableOrValue

COMPILED = "compiled"
DEFAULT_CACHE_SIZE = 256


class CompiledExecutor:
    """Compiled operations of one schema, and the `execute` that runs them."""

    def __init__(self, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.operations = OperationCache(cache_size)
        # Requests answered compiled (COMPILED), or through graphql-core, by reason.
        self.runs: Counter[str] = Counter()

    def execute(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        root_value: Any = None,
        context_value: Any = None,
        variable_values: dict[str, Any] | None = None,
        operation_name: str | None = None,
        field_resolver: GraphQLFieldResolver | None = None,
        type_resolver: GraphQLTypeResolver | None = None,
        subscribe_field_resolver: GraphQLFieldResolver | None = None,
        max_coercion_errors: int = 50,
        enable_early_execution: bool = False,
        middleware: Any = None,
        executor_class: type[Executor[Any]] | None = None,
        is_awaitable: Callable[[Any], TypeGuard[Awaitable[Any]]] | None = None,
        is_async_iterable: Callable[[Any], TypeGuard[AsyncIterable[Any]]] | None = None,
        hide_suggestions: bool = False,
        abort_signal: Any = None,
        hooks: Any = None,
        **custom_context_args: Any,
    ) -> AwaitableOrValue[ExecutionResult]:
        reason = request_fallback(
            schema,
            custom_resolvers=bool(field_resolver or type_resolver or subscribe_field_resolver),
            middleware=middleware,
            executor_class=executor_class,
            synchronous=is_async_iterable is not None,
            abort_signal=abort_signal,
            hooks=hooks,
        )
        if reason is not None:
            self.runs[reason] += 1
            return execute(
                schema,
                document,
                root_value,
                context_value,
                variable_values,
                operation_name,
                field_resolver,
                type_resolver,
                subscribe_field_resolver,
                max_coercion_errors,
                enable_early_execution,
                middleware,
                executor_class,
                is_awaitable,
                is_async_iterable,
                hide_suggestions=hide_suggestions,
                abort_signal=abort_signal,
                hooks=hooks,
                **custom_context_args,
            )
        executor = (executor_class or IncrementalExecutor).build(
            schema,
            document,
            root_value,
            context_value,
            variable_values,
            operation_name,
            max_coercion_errors=max_coercion_errors,
            enable_early_execution=enable_early_execution,
            middleware=middleware,
            is_awaitable=is_awaitable,
            hide_suggestions=hide_suggestions,
            **custom_context_args,
        )
        if isinstance(executor, list):  # no such operation, or bad variables
            return ExecutionResult(None, errors=executor)
        found = self.operations.get(document, operation_name).plan_for(executor)
        if isinstance(found, NotCompiled):
            self.runs[found.reason] += 1
            return _single_result(executor.execute_operation())
        self.runs[COMPILED] += 1
        return Run(executor).operation(found)

    def fallbacks(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variable_values: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        executor_class: type[Executor[Any]] | None = None,
    ) -> list[str]:
        """What of this document runs through graphql-core, and why: `document: <why>`
        for a whole document, `<Type.field>: <why>` for a field; empty when all of it is
        compiled. The variables matter only for `@skip`/`@include` conditions."""
        executor = (executor_class or IncrementalExecutor).build(
            schema,
            document,
            raw_variable_values=dict(variable_values or {}),
            operation_name=operation_name,
        )
        if isinstance(executor, list):
            return [f"document: {error.message}" for error in executor]
        found = self.operations.get(document, operation_name).plan_for(executor)
        if isinstance(found, NotCompiled):
            return [f"document: {found.reason}"]
        return list(found.delegated)


def request_fallback(
    schema: GraphQLSchema,
    *,
    custom_resolvers: bool,
    middleware: Any,
    executor_class: type[Executor[Any]] | None,
    synchronous: bool,
    abort_signal: Any,
    hooks: Any,
) -> str | None:
    """Why this request, whatever its document, runs through graphql-core; None if not."""
    if schema.get_directive("defer") or schema.get_directive("stream"):
        return "@defer/@stream enabled on the schema"
    if custom_resolvers:
        return "custom default resolvers"
    if _wraps_resolvers(middleware):
        return "field middleware (a schema extension implementing resolve)"
    if executor_class is not None and not issubclass(executor_class, Executor):
        return "an execution context that is not a graphql-core Executor"
    if synchronous:
        # execute_sync passes is_async_iterable; graphql-core keeps that case.
        return "synchronous execution"
    if abort_signal is not None or hooks is not None:
        return "an abort signal or execution hooks"
    return None


def _wraps_resolvers(middleware: Any) -> bool:
    if middleware is None:
        return False
    if isinstance(middleware, MiddlewareManager):
        return bool(middleware.middlewares)
    return bool(middleware)


def _single_result(
    result: AwaitableOrValue[ExecutionResult | ExperimentalIncrementalExecutionResults],
) -> AwaitableOrValue[ExecutionResult]:
    """What graphql-core's `execute` makes of `execute_operation`'s result."""
    if isinstance(result, ExecutionResult):
        return result
    if isinstance(result, ExperimentalIncrementalExecutionResults):
        raise GraphQLError(UNEXPECTED_MULTIPLE_PAYLOADS)

    async def await_result() -> ExecutionResult:
        awaited = await result
        if isinstance(awaited, ExecutionResult):
            return awaited
        raise GraphQLError(UNEXPECTED_MULTIPLE_PAYLOADS)

    return await_result()
