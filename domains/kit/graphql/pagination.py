"""Relay connection types (see domains.kit.pagination for the cursors)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

import strawberry

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT")


# Every subgraph defines the same PageInfo; federation requires it marked shareable.
@strawberry.federation.type(
    shareable=True, description="Information about pagination in a connection."
)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type(description="An edge in a connection.")
class Edge(Generic[NodeT]):
    node: NodeT
    cursor: str


# How a connection learns its total: a number already at hand (a stored counter), or a
# count to run only when a query selects `totalCount`, so a page never pays for it unasked.
TotalCount = int | Callable[[], Awaitable[int]]


@strawberry.type(description="A page of results with the cursors to fetch the next one.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    _total: strawberry.Private[TotalCount]

    @strawberry.field(description="How many items match, across all pages.")
    async def total_count(self) -> int:
        if isinstance(self._total, int):
            return self._total
        return await self._total()

    @strawberry.field(description="The nodes of this page, without cursors.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def build_connection(
    rows: Sequence[RowT],
    *,
    first: int,
    to_node: Callable[[RowT], NodeT],
    cursor_of: Callable[[RowT], str],
    has_previous_page: bool,
    total_count: TotalCount,
) -> Connection[NodeT]:
    """`rows` holds up to first + 1 rows: the extra one only tells whether a next page exists."""
    page = rows[:first]
    edges = [Edge(node=to_node(row), cursor=cursor_of(row)) for row in page]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        _total=total_count,
    )
