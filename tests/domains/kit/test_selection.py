"""selected_fields reads a query's selection through fragments; now_or_later answers at
once from a resolved loader future and awaits otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import pytest
import strawberry
from strawberry.types import Info

from domains.kit.graphql.selection import now_or_later, selected_fields

seen: list[set[str]] = []


@strawberry.type
class Node:
    name: str
    price: int
    image: str


@strawberry.type
class Edge:
    node: Node


@strawberry.type
class Connection:
    edges: list[Edge]


@strawberry.type
class Query:
    @strawberry.field
    def listing(self, info: Info[Any, Any]) -> Connection:
        seen.append(selected_fields(info, ("edges", "node")))
        return Connection(edges=[Edge(node=Node(name="a", price=1, image="i"))])


schema = strawberry.Schema(query=Query)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{ listing { edges { node { name } } } }", {"name"}),
        (
            "query { listing { edges { node { ...Card ... on Node { image } } } } }"
            " fragment Card on Node { price name }",
            {"price", "name", "image"},
        ),
        ("{ listing { edges { __typename } } }", set()),
        # A field @skip might drop counts as selected: a prefetch may be more, never less.
        ("{ listing { edges { node { price @skip(if: true) } } } }", {"price"}),
    ],
)
def test_selected_fields_follow_fragments(document: str, expected: set[str]) -> None:
    seen.clear()
    result = schema.execute_sync(document)

    assert result.errors is None
    assert seen == [expected]


async def test_now_or_later_answers_a_resolved_future_at_once() -> None:
    loop = asyncio.get_running_loop()
    resolved: asyncio.Future[int] = loop.create_future()
    resolved.set_result(20)
    pending: asyncio.Future[int] = loop.create_future()
    failed: asyncio.Future[int] = loop.create_future()
    failed.set_exception(LookupError("no such row"))

    now = now_or_later(resolved, lambda value: value + 1)
    later = now_or_later(pending, lambda value: value + 1)
    pending.set_result(40)
    answer_later = await _awaited(later)
    failure = now_or_later(failed, lambda value: value + 1)

    assert now == 21
    assert answer_later == 41
    with pytest.raises(LookupError, match="no such row"):
        await _awaited(failure)


async def _awaited(value: int | Awaitable[int]) -> int:
    assert isinstance(value, Awaitable)
    return await value
