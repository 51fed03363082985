"""Running a compiled operation (plan.py) for one request, answering as graphql-core's
executor does.

The request's graphql-core executor (built by the schema's execution context class, so
Strawberry's resolve info) still holds the request: its coerced variables, its error
list, its background settling. This module replaces only the walk over the fields:

- a plain field reads its attribute, a leaf coerces it with its type's
  `coerce_output_value`; neither builds a resolve info or a path unless it fails;
- a field with a resolver gets a real resolve info and its arguments, as graphql-core
  gives them; a Strawberry resolver without arguments (and without field extensions or
  exception handlers) is called directly, with the `self` and Info that Strawberry's
  wrapper would hand it, and no resolve info at all when it asks for no Info;
- every method below mirrors the graphql-core method named in its docstring, in what it
  returns, raises and collects, and in where awaitables are created and gathered: a
  field list's or a list's awaitables are gathered together (one awaitable is awaited
  alone), so dataloaders see the same loads in the same loop iterations and batch as
  they do under graphql-core.

Errors are located with graphql-core's `located_error` on the field's nodes and path,
raised through non-null fields up to the nearest nullable one (the spec's null
propagation) and collected in the executor's `CollectedErrors`, which drops errors
under an already nulled position.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from domains.kit.graphql.compiled.plan import (
    Completion,
    CompletionKind,
    FieldStep,
    ObjectPlan,
    OperationPlan,
    StepKind,
)
from graphql import ExecutionResult, GraphQLError, GraphQLList, located_error
from graphql.execution import Executor
from graphql.execution.executor import collect_iterator_awaitables, invalid_return_type_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import (
    AwaitableOrValue,
    Path,
    Undefined,
    gather_with_cancel,
    inspect,
    is_iterable,
)

# Values of these types are never awaitable: the check is skipped for them (completed
# objects are dicts, completed lists lists, nulls None).
_NOT_AWAITABLE = frozenset({str, int, float, bool, list, dict, tuple, type(None)})

_PLAIN_LEAF = StepKind.PLAIN_LEAF
_RESOLVER = StepKind.RESOLVER
_DIRECT = StepKind.DIRECT
_TYPENAME = StepKind.TYPENAME
_LEAF = CompletionKind.LEAF
_OBJECT = CompletionKind.OBJECT
_LIST = CompletionKind.LIST


class Run:
    """One request's execution of a compiled operation."""

    __slots__ = (
        "build_info",
        "errors",
        "executor",
        "hide_suggestions",
        "is_async_iterable",
        "is_awaitable",
        "propagate",
        "variable_values",
    )

    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor
        self.is_awaitable: Callable[[Any], bool] = executor.is_awaitable
        self.is_async_iterable: Callable[[Any], bool] = executor.is_async_iterable
        self.errors = executor.collected_errors
        self.propagate = executor.error_propagation
        self.build_info = executor.build_resolve_info
        self.variable_values = executor.variable_values
        self.hide_suggestions = executor.hide_suggestions

    # -- the operation ----------------------------------------------------------------

    def operation(self, plan: OperationPlan) -> AwaitableOrValue[ExecutionResult]:
        """`Executor.execute_operation`, from the collected root fields on."""
        try:
            root_value = self.executor.root_value
            if plan.serial:
                result = self.execute_fields_serially(plan.root, root_value)
            else:
                result = self.execute_fields(plan.root, root_value, None)
            if self.is_awaitable(result):
                return self._await_operation(result)
            data = cast("dict[str, Any]", result)
        except GraphQLError as error:
            self.errors.add(error, None)
            return self._response(None)
        return self._response(data)

    async def _await_operation(self, result: Awaitable[dict[str, Any]]) -> ExecutionResult:
        try:
            data = await result
        except GraphQLError as error:
            self.errors.add(error, None)
            return self._response(None)
        except Exception:
            await self.executor.cancel_incremental_work()
            self.executor.run_async_work_finished_hook()
            raise
        return self._response(data)

    def _response(self, data: dict[str, Any] | None) -> ExecutionResult:
        return cast("ExecutionResult", self.executor.build_response(data))

    # -- selection sets ---------------------------------------------------------------

    def execute_fields(self, plan: ObjectPlan, source: Any, path: Path | None) -> Any:
        """`Executor.execute_fields`, with plain leaf fields answered in line (the bulk of
        an answer), as `_plain_leaf` does."""
        results: dict[str, Any] = {}
        awaitable_keys: list[str] = []
        is_awaitable = self.is_awaitable
        type_name = plan.type_name
        try:
            for step in plan.steps:
                kind = step.kind
                key = step.key
                if kind is _PLAIN_LEAF:
                    try:
                        read = step.read
                        value = (
                            getattr(source, step.attribute)
                            if read is None
                            else read(source, step.attribute)
                        )
                        if value is None or value is Undefined:
                            if step.completion.non_null:
                                raise TypeError(step.null_message)
                            results[key] = None
                        elif type(value) not in _NOT_AWAITABLE and is_awaitable(value):
                            results[key] = self._complete_awaitable(
                                step.completion, step, None, Path(path, key, type_name), value
                            )
                            awaitable_keys.append(key)
                        else:
                            if isinstance(value, Exception):
                                raise value
                            coerced = step.coerce(value)  # type: ignore[misc]
                            if coerced is None or coerced is Undefined:
                                raise _refused_leaf(step.completion, value, coerced)
                            results[key] = coerced
                    except Exception as raw_error:
                        self._field_error(
                            raw_error, step.completion, step, Path(path, key, type_name)
                        )
                        results[key] = None
                    continue
                if kind is _TYPENAME:
                    results[key] = type_name
                    continue
                result = self.execute_field(step, source, Path(path, key, type_name))
                if result is Undefined:
                    continue
                results[key] = result
                if type(result) not in _NOT_AWAITABLE and is_awaitable(result):
                    awaitable_keys.append(key)
        except Exception:
            if awaitable_keys:
                # Settle the siblings' pending work: its errors must still be observed.
                self.executor.settle_in_background([results[key] for key in awaitable_keys])
            raise

        if not awaitable_keys:
            return results
        return self._gather_fields(results, awaitable_keys)

    async def _gather_fields(self, results: dict[str, Any], keys: list[str]) -> dict[str, Any]:
        if len(keys) == 1:
            # One awaitable is awaited alone, as graphql-core does: no task, no gather.
            key = keys[0]
            results[key] = await results[key]
        else:
            awaited = await gather_with_cancel(*(results[key] for key in keys))
            results.update(zip(keys, awaited, strict=True))
        return results

    def execute_fields_serially(self, plan: ObjectPlan, source: Any) -> Any:
        """`Executor.execute_fields_serially` (a mutation's root fields): each field starts
        once the one before it has finished."""
        results: dict[str, Any] = {}
        steps = plan.steps
        for position, step in enumerate(steps):
            result = self.execute_field(step, source, Path(None, step.key, plan.type_name))
            if result is Undefined:
                continue
            if self.is_awaitable(result):
                rest = steps[position + 1 :]
                return self._continue_serially(results, step, result, rest, plan, source)
            results[step.key] = result
        return results

    async def _continue_serially(
        self,
        results: dict[str, Any],
        step: FieldStep,
        pending: Awaitable[Any],
        rest: tuple[FieldStep, ...],
        plan: ObjectPlan,
        source: Any,
    ) -> dict[str, Any]:
        results[step.key] = await pending
        for later in rest:
            result = self.execute_field(later, source, Path(None, later.key, plan.type_name))
            if result is Undefined:
                continue
            results[later.key] = await result if self.is_awaitable(result) else result
        return results

    # -- fields -----------------------------------------------------------------------

    def execute_field(self, step: FieldStep, source: Any, path: Path) -> Any:
        """`Executor.execute_field` for one step of any kind."""
        kind = step.kind
        if kind is _TYPENAME:
            return step.parent_type.name
        if kind is _PLAIN_LEAF:
            return self._plain_leaf(step, source, path)
        if kind is StepKind.DELEGATED:
            return self.executor.execute_field(
                step.parent_type, source, step.field_details_list, path, None
            )
        completion = step.completion
        info = None
        if kind is _RESOLVER or step.needs_info or step.info_parameter is not None:
            info = self.build_info(step.field_def, step.field_nodes, step.parent_type, path)
        try:
            if kind is _DIRECT:
                # What Strawberry's resolver wrapper would pass: the source, its Info.
                function = step.function
                assert function is not None
                info_parameter = step.info_parameter
                if info_parameter is None:
                    result = function(source) if step.passes_source else function()
                else:
                    assert step.make_info is not None
                    strawberry_info = step.make_info(_raw_info=info, _field=step.strawberry_field)
                    info_argument = {info_parameter: strawberry_info}
                    result = (
                        function(source, **info_argument)
                        if step.passes_source
                        else function(**info_argument)
                    )
            elif kind is _RESOLVER:
                arguments = step.constant_arguments
                if arguments is None:
                    arguments = get_argument_values(
                        step.field_def,
                        step.field_nodes[0],
                        self.variable_values,
                        None,
                        self.hide_suggestions,
                    )
                assert step.resolve is not None
                result = step.resolve(source, info, **arguments)
            else:
                read = step.read
                result = (
                    getattr(source, step.attribute)
                    if read is None
                    else read(source, step.attribute)
                )
            if self.is_awaitable(result):
                return self._complete_awaitable(completion, step, info, path, result)
            completed = self.complete_value(completion, step, info, path, result)
            if type(completed) not in _NOT_AWAITABLE and self.is_awaitable(completed):
                return self._await_completed(completed, completion, step, path)
        except Exception as raw_error:
            self._field_error(raw_error, completion, step, path)
            return None
        return completed

    def _plain_leaf(self, step: FieldStep, source: Any, path: Path) -> Any:
        """A plain leaf field outside `execute_fields` (a mutation's root field)."""
        try:
            read = step.read
            value = (
                getattr(source, step.attribute) if read is None else read(source, step.attribute)
            )
            if self.is_awaitable(value):
                return self._complete_awaitable(step.completion, step, None, path, value)
            return self.complete_value(step.completion, step, None, path, value)
        except Exception as raw_error:
            self._field_error(raw_error, step.completion, step, path)
            return None

    def _field_error(
        self, raw_error: Exception, completion: Completion, step: FieldStep, path: Path
    ) -> None:
        """`Executor.handle_field_error`: raised on through a non-null position,
        collected (and the position nulled) at a nullable one."""
        error = located_error(raw_error, step.field_nodes, path.as_list())
        if self.propagate and completion.non_null:
            raise error
        self.errors.add(error, path)

    async def _complete_awaitable(
        self, completion: Completion, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        """`Executor.complete_awaitable_value` and `complete_awaitable_list_item_value`."""
        try:
            resolved = await result
            completed = self.complete_value(completion, step, info, path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self._field_error(raw_error, completion, step, path)
            return None
        return completed

    async def _await_completed(
        self, completed: Awaitable[Any], completion: Completion, step: FieldStep, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self._field_error(raw_error, completion, step, path)
            return None

    # -- values -----------------------------------------------------------------------

    def complete_value(
        self, completion: Completion, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        """`Executor.complete_value`."""
        if isinstance(result, Exception):
            raise result
        if result is None or result is Undefined:
            if completion.non_null:
                raise TypeError(step.null_message)
            return None
        kind = completion.kind
        if kind is _OBJECT:
            plan = completion.object_plan
            assert plan is not None
            if plan.is_type_of is None:
                return self.execute_fields(plan, result, path)
            return self._complete_checked_object(plan, step, info, path, result)
        if kind is _LEAF:
            return _complete_leaf(completion, result)
        if kind is _LIST:
            return self._complete_list(completion, step, info, path, result)
        return self._complete_abstract(completion, step, info, path, result)

    def _complete_list(
        self, completion: Completion, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        """`Executor.complete_list_value` and `complete_iterable_value`."""
        if type(result) is not list:
            if self.is_async_iterable(result):
                # A resolver streaming its list: graphql-core's own completion.
                list_type = completion.graphql_type
                if completion.non_null:
                    list_type = cast("Any", list_type).of_type
                return self.executor.complete_list_value(
                    cast("GraphQLList[Any]", list_type),
                    step.field_details_list,
                    info
                    or self.build_info(step.field_def, step.field_nodes, step.parent_type, path),
                    path,
                    result,
                    None,
                )
            if not is_iterable(result):
                raise GraphQLError(
                    "Expected Iterable, but did not find one for field"
                    f" '{step.parent_type}.{step.field_name}'."
                )
        item_completion = completion.item
        assert item_completion is not None
        is_awaitable = self.is_awaitable
        completed_results: list[Any] = []
        append_completed = completed_results.append
        awaitable_indices: list[int] = []
        iterator = iter(result)
        index = 0
        try:
            for item in iterator:
                item_path = Path(path, index, None)
                if type(item) not in _NOT_AWAITABLE and is_awaitable(item):
                    append_completed(
                        self._complete_awaitable(item_completion, step, info, item_path, item)
                    )
                    awaitable_indices.append(index)
                else:
                    try:
                        completed_item = self.complete_value(
                            item_completion, step, info, item_path, item
                        )
                        if type(completed_item) not in _NOT_AWAITABLE and is_awaitable(
                            completed_item
                        ):
                            append_completed(
                                self._await_completed(
                                    completed_item, item_completion, step, item_path
                                )
                            )
                            awaitable_indices.append(index)
                        else:
                            append_completed(completed_item)
                    except Exception as raw_error:
                        self._field_error(raw_error, item_completion, step, item_path)
                        append_completed(None)
                index += 1
        except Exception:
            pending = [completed_results[index] for index in awaitable_indices]
            pending.extend(collect_iterator_awaitables(iterator, is_awaitable))
            if pending:
                self.executor.settle_in_background(pending)
            raise

        if not awaitable_indices:
            return completed_results
        return self._gather_items(completed_results, awaitable_indices)

    async def _gather_items(self, results: list[Any], indices: list[int]) -> list[Any]:
        if len(indices) == 1:
            index = indices[0]
            results[index] = await results[index]
        else:
            awaited = await gather_with_cancel(*(results[index] for index in indices))
            for index, item in zip(indices, awaited, strict=True):
                results[index] = item
        return results

    def _complete_abstract(
        self, completion: Completion, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        """`Executor.complete_abstract_value`."""
        abstract_type = completion.abstract_type
        assert abstract_type is not None
        resolve_type = abstract_type.resolve_type or self.executor.type_resolver
        runtime_type = resolve_type(result, info, abstract_type)
        if self.is_awaitable(runtime_type):
            return self._complete_abstract_later(
                completion, step, info, path, result, cast("Awaitable[Any]", runtime_type)
            )
        plan = self._runtime_plan(completion, runtime_type, step, info, result)
        return self._complete_object(plan, step, info, path, result)

    async def _complete_abstract_later(
        self,
        completion: Completion,
        step: FieldStep,
        info: Any,
        path: Path,
        result: Any,
        runtime_type: Awaitable[Any],
    ) -> Any:
        plan = self._runtime_plan(completion, await runtime_type, step, info, result)
        value = self._complete_object(plan, step, info, path, result)
        if self.is_awaitable(value):
            return await value
        return value

    def _runtime_plan(
        self, completion: Completion, runtime_type: Any, step: FieldStep, info: Any, result: Any
    ) -> ObjectPlan:
        assert completion.abstract_type is not None
        object_type = self.executor.ensure_valid_runtime_type(
            runtime_type, completion.abstract_type, step.field_details_list, info, result
        )
        return completion.plans_by_type[object_type]

    def _complete_object(
        self, plan: ObjectPlan, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        if plan.is_type_of is None:
            return self.execute_fields(plan, result, path)
        return self._complete_checked_object(plan, step, info, path, result)

    def _complete_checked_object(
        self, plan: ObjectPlan, step: FieldStep, info: Any, path: Path, result: Any
    ) -> Any:
        """`Executor.complete_object_value` for a type with an is_type_of."""
        assert plan.is_type_of is not None
        checked = plan.is_type_of(result, info)
        if self.is_awaitable(checked):
            return self._complete_object_once_checked(checked, plan, step, path, result)
        if not checked:
            raise invalid_return_type_error(plan.object_type, result, step.field_details_list)
        return self.execute_fields(plan, result, path)

    async def _complete_object_once_checked(
        self, checked: Awaitable[Any], plan: ObjectPlan, step: FieldStep, path: Path, result: Any
    ) -> Any:
        if not await checked:
            raise invalid_return_type_error(plan.object_type, result, step.field_details_list)
        fields = self.execute_fields(plan, result, path)
        if self.is_awaitable(fields):
            return await fields
        return fields


def _complete_leaf(completion: Completion, result: Any) -> Any:
    """`Executor.complete_leaf_value` (after complete_value's own checks)."""
    if isinstance(result, Exception):
        raise result
    leaf = completion.leaf
    assert leaf is not None
    coerced = leaf.coerce_output_value(result)
    if coerced is None or coerced is Undefined:
        raise _refused_leaf(completion, result, coerced)
    return coerced


def _refused_leaf(completion: Completion, result: Any, coerced: Any) -> TypeError:
    """graphql-core's error for a value its leaf type coerced to nothing."""
    return TypeError(
        f"Expected `{inspect(completion.leaf)}.coerce_output_value("
        f"{inspect(result)})` to return non-nullable value, returned:"
        f" {inspect(coerced)}"
    )
