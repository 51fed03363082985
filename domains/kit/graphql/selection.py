"""Reading what a query selects, and answering fields without an await when the data is
already loaded.

graphql-core completes an object synchronously only while every field of it returns a
plain value; one awaitable field anywhere makes the object, and the list holding it, go
through coroutines, `gather` and a task per item. A listing of 24 products with two
dataloader-backed fields each was 48 coroutines and a gather per page. A resolver that
first prefetches what its items will ask for (`selected_fields`, then `load_many`) lets
those fields answer from the loader's already-resolved futures (`now_or_later`), and the
whole page completes without leaving the resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.types import Info

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode
from graphql.language import SelectionSetNode

Loaded = TypeVar("Loaded")
Answer = TypeVar("Answer")


def selected_fields(info: Info[Any, Any], path: Sequence[str] = ()) -> set[str]:
    """The field names selected under `path` (GraphQL names, e.g. ("edges", "node")) below
    the field being resolved, through fragments. `@skip`/`@include` are not evaluated: a
    field they might drop counts as selected, so a prefetch can only be more than needed.
    """
    raw = info._raw_info
    fragments: Mapping[str, FragmentDefinitionNode] = raw.fragments
    nodes: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        nodes = [
            child
            for node in nodes
            for child in _fields(node.selection_set, fragments)
            if child.name.value == name
        ]
    return {child.name.value for node in nodes for child in _fields(node.selection_set, fragments)}


def _fields(
    selection_set: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)


def now_or_later(
    loading: Awaitable[Loaded], answer: Callable[[Loaded], Answer]
) -> Answer | Awaitable[Answer]:
    """`answer(value)` at once when `loading` (a dataloader's future) already has its
    value, else an awaitable of it. graphql-core awaits what a resolver returns when it
    is awaitable, so the field may declare the plain type (`graphql_type=`)."""
    if (
        isinstance(loading, asyncio.Future)
        and loading.done()
        and not loading.cancelled()
        and loading.exception() is None
    ):
        return answer(loading.result())

    async def later() -> Answer:
        return answer(await loading)

    return later()
