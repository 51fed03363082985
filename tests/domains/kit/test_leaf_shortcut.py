"""The leaf shortcut answers exactly as graphql-core's full path does: same data, same
errors at the same paths, and it is taken for the fields it is meant for."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domains.kit.graphql import execution
from domains.kit.graphql.execution import LeafShortcutExecutor


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    note: str | None
    count: int
    colour: Colour
    created: datetime
    broken_count: int  # holds a value Int refuses
    missing: str  # holds None in a non-null field

    @strawberry.field
    def shout(self, loud: bool = True) -> str:
        return self.name.upper() if loud else self.name


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [_item(n) for n in range(3)]

    @strawberry.field
    async def later(self) -> Item:
        return _item(7)


def _item(n: int) -> Item:
    return Item(
        id=strawberry.ID(f"item-{n}"),
        name=f"name {n}",
        note=None if n % 2 else f"note {n}",
        count=n,
        colour=Colour.RED if n % 2 else Colour.BLUE,
        created=datetime(2026, 1, n + 1, tzinfo=UTC),
        broken_count="many",  # type: ignore[arg-type]
        missing=None,  # type: ignore[arg-type]
    )


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    stock = strawberry.Schema(
        query=Query, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    shortcut = strawberry.Schema(query=Query, execution_context_class=LeafShortcutExecutor)
    return stock, shortcut


def _outcome(result: Any) -> tuple[Any, list[Any]]:
    return result.data, [error.formatted for error in result.errors or []]


@pytest.mark.parametrize(
    "document",
    [
        "{ items { id name note count colour created } }",
        "{ items { ident: id n: name __typename shout quiet: shout(loud: false) } }",
        "{ items { id brokenCount } }",
        "{ items { id missing } }",
        "{ later { id name note colour created } }",
        "query { items { ...F } } fragment F on Item { count note @include(if: false) }",
    ],
)
async def test_answers_as_the_full_path_does(document: str) -> None:
    stock, shortcut = _schemas()

    expected = _outcome(await stock.execute(document))
    actual = _outcome(await shortcut.execute(document))

    assert actual == expected


async def test_plain_scalar_fields_take_the_shortcut_and_others_do_not() -> None:
    _, shortcut = _schemas()
    execution._shortcuts.clear()

    await shortcut.execute("{ items { id name note count colour created shout } }")

    taken = {name for (_, name), found in execution._shortcuts.items() if found is not None}
    refused = {name for (_, name), found in execution._shortcuts.items() if found is None}
    assert taken == {"id", "name", "note", "count", "colour", "created"}
    # A field with a resolver, and the root field (a resolver too), take the full path.
    assert {"shout", "items"} <= refused
