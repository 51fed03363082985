"""The compiled executor answers as graphql-core's does, failures included, and runs
the same dataloader batches; what it does not compile falls back, and says so.

A small federation schema built on the platform's FederatedSchema (so errors are
classified and masked as in every subgraph) exercises what the domains' schemas use and
more: plain and resolved fields, aliases, fragments, `@skip`/`@include`, arguments as
literals and variables, lists, unions and interfaces, `_entities`, dataloaders, async
resolvers, mutations, introspection. Every document runs on both executors; the JSON of
the answers must be identical: data, and every error's message, locations, path and
extensions, in order.
"""

from __future__ import annotations

import asyncio
import copy
import enum
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, NewType

import httpx
import pytest
import strawberry
from aiodataloader import DataLoader
from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from domains.kit.app import LocalSubgraph, Runtime, SubgraphSpec, build_subgraph_app
from domains.kit.config import ConfigError, Settings
from domains.kit.errors import NotFound
from domains.kit.graphql.compiled import COMPILED, compiled_execution
from domains.kit.graphql.compiled.cache import MAX_CONDITION_VARIANTS
from domains.kit.graphql.compiled.compiler import compile_operation
from domains.kit.graphql.compiled.plan import StepKind
from domains.kit.graphql.errors import FederatedSchema
from domains.kit.graphql.execution import LeafShortcutExecutor
from tests.support.compiled_differential import as_response, encoded


@dataclass
class Batches:
    """The keys of every batch the test loaders ran, in order."""

    calls: list[list[Any]] = field(default_factory=list)


def _loader(batches: Batches) -> DataLoader[int, Any]:
    async def load(keys: list[int]) -> list[Any]:
        batches.calls.append(list(keys))
        return [_shelf(key) for key in keys]

    return DataLoader(load)


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


# A scalar that serialises every value to nothing.
Vanishing = NewType("Vanishing", str)
CONFIG = StrawberryConfig(
    scalar_map={
        Vanishing: strawberry.scalar(
            name="Vanishing", serialize=lambda _value: None, parse_value=lambda value: value
        )
    }
)


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Tag(Named):
    weight: int


@strawberry.type
class Price:
    amount: str
    currency: str


@strawberry.type
class Shelf:
    id: strawberry.ID
    label: str


@strawberry.federation.type(keys=["id"])
class Item(Named):
    id: strawberry.ID
    note: str | None
    count: int
    colour: Colour
    created: datetime
    price: Price
    tags: list[Tag]
    numbers: list[int | None]
    broken_count: int  # holds a value Int refuses
    missing: str  # holds None in a non-null field
    vanishing: Vanishing | None
    shelf_id: strawberry.Private[int]

    @strawberry.field
    def shout(self, loud: bool = True, suffix: str = "") -> str:
        return (self.name.upper() if loud else self.name) + suffix

    @strawberry.field
    def secret(self) -> str | None:
        raise NotFound(f"no secret for {self.id}")

    @strawberry.field
    def crash(self) -> str | None:
        raise RuntimeError("the database said something private")

    @strawberry.field
    async def later_crash(self) -> str | None:
        await asyncio.sleep(0)
        raise NotFound(f"later: nothing for {self.id}")

    @strawberry.field
    async def required_later(self) -> str:
        await asyncio.sleep(0)
        if self.count % 2:
            raise NotFound(f"odd item {self.id}")
        return f"even {self.id}"

    @strawberry.field
    async def shelf(self, info: Info) -> Shelf:
        loader: DataLoader[int, Shelf] = info.context["shelves"]
        return await loader.load(self.shelf_id)

    @strawberry.field
    def echo(self, words: list[str]) -> list[str]:
        words.append("changed")  # a resolver changing its argument in place
        return words

    @strawberry.field
    def streamed(self) -> list[int]:
        # An async iterator of the items: graphql-core completes it as a list too.
        return _count_to(3)  # type: ignore[return-value]

    @classmethod
    async def resolve_reference(cls, id: strawberry.ID) -> Item:
        await asyncio.sleep(0)
        if id == "gone":
            raise NotFound("no item gone")
        if id == "boom":
            raise RuntimeError("reference exploded")
        return _item(int(id.removeprefix("item-")))


@strawberry.type
class Crate:
    size: int


Box = Annotated[Item | Crate, strawberry.union("Box")]


@strawberry.type
class Query:
    @strawberry.field
    def items(self, first: int = 3) -> list[Item]:
        return [_item(n) for n in range(first)]

    @strawberry.field
    def maybe_items(self) -> list[Item] | None:
        return [_item(n) for n in range(5)]

    @strawberry.field
    def item(self, id: strawberry.ID) -> Item | None:
        if id == "none":
            return None
        return _item(int(id.removeprefix("item-")))

    @strawberry.field
    async def later(self) -> Item:
        await asyncio.sleep(0)
        return _item(7)

    @strawberry.field
    def boxes(self) -> list[Box]:
        return [_item(1), Crate(size=3), _item(2)]

    @strawberry.field
    def named(self) -> list[Named]:
        return [_item(4), Tag(name="sale", weight=2)]

    @strawberry.field
    def failing_root(self) -> str:
        raise NotFound("nothing at the root")


@dataclass
class Journal:
    entries: list[str] = field(default_factory=list)


JOURNAL = Journal()


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def record(self, entry: str) -> list[str]:
        await asyncio.sleep(0)
        JOURNAL.entries.append(entry)
        return list(JOURNAL.entries)

    @strawberry.mutation
    def refuse(self) -> list[str]:
        raise NotFound("refused")


async def _count_to(end: int) -> AsyncIterator[int]:
    for number in range(end):
        await asyncio.sleep(0)
        yield number


def _shelf(key: int) -> Shelf:
    return Shelf(id=strawberry.ID(f"shelf-{key}"), label=f"shelf {key}")


def _item(n: int) -> Item:
    return Item(
        id=strawberry.ID(f"item-{n}"),
        name=f"name {n}",
        note=None if n % 2 else f"note {n}",
        count=n,
        colour=Colour.RED if n % 2 else Colour.BLUE,
        created=datetime(2026, 1, n + 1, tzinfo=UTC),
        price=Price(amount=f"{n}.50", currency="EUR"),
        tags=[Tag(name=f"tag {n}", weight=n), Tag(name="all", weight=0)],
        numbers=[n, None, n * 2],
        broken_count="many",  # type: ignore[arg-type]
        missing=None if n == 1 else f"present {n}",  # type: ignore[arg-type]
        vanishing=Vanishing("gone"),
        shelf_id=n % 2,
    )


SCHEMA = FederatedSchema(query=Query, mutation=Mutation, types=[Item, Crate], config=CONFIG)


async def _answer(
    document: str,
    variables: Mapping[str, Any] | None = None,
    *,
    compiled: bool,
    schema: Any = SCHEMA,
) -> tuple[str, Batches]:
    batches = Batches()
    JOURNAL.entries.clear()
    with compiled_execution(compiled):
        result = await schema.execute(
            document,
            # Its own copy: `_entities` pops `__typename` off each representation.
            variable_values=copy.deepcopy(dict(variables or {})),
            context_value={"shelves": _loader(batches)},
        )
    return encoded(as_response(result)), batches


async def _both(document: str, variables: Mapping[str, Any] | None = None) -> str:
    """The answer, after checking both executors give it (and run the same batches)."""
    compiled_before = SCHEMA.compiled_executor.runs[COMPILED]
    expected, expected_batches = await _answer(document, variables, compiled=False)
    actual, actual_batches = await _answer(document, variables, compiled=True)
    assert actual == expected
    assert actual_batches == expected_batches
    assert SCHEMA.compiled_executor.runs[COMPILED] == compiled_before + 1
    return actual


ITEM_FIELDS = "id name note count colour created price { amount currency } numbers"


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(f"{{ items {{ {ITEM_FIELDS} }} }}", id="plain fields"),
        pytest.param(
            "{ items { ident: id n: name __typename shout quiet: shout(loud: false) "
            'bang: shout(suffix: "!") tags { __typename name weight } } }',
            id="aliases, typename, literal arguments",
        ),
        pytest.param(
            "query { items { ...Core ... on Item { tags { ...TagName } } } }"
            " fragment Core on Item { id count ... on Named { name } }"
            " fragment TagName on Tag { name }",
            id="fragments: named, inline, nested, on an interface",
        ),
        pytest.param(
            "{ items { id note @include(if: false) count @skip(if: true) name } }",
            id="literal skip and include",
        ),
        pytest.param('{ items(first: 2) { id } item(id: "item-3") { id } }', id="arguments"),
        pytest.param("{ later { id shelf { id label } } }", id="async root"),
        pytest.param(
            "{ items(first: 6) { id shelf { label } } later { shelf { id } } }",
            id="dataloader batches",
        ),
        pytest.param(
            "{ boxes { __typename ... on Item { id name } ... on Crate { size } } }",
            id="union",
        ),
        pytest.param(
            "{ named { __typename name ... on Item { count } ... on Tag { weight } } }",
            id="interface",
        ),
        pytest.param('{ item(id: "none") { id } }', id="null object"),
        pytest.param("{ __typename items(first: 1) { __typename } }", id="typename at the root"),
        pytest.param("{ items { streamed } }", id="a list from an async iterator"),
    ],
)
async def test_answers_as_graphql_core(document: str) -> None:
    await _both(document)


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("{ items { id secret } }", id="a resolver raising an expected error"),
        pytest.param("{ items { id crash } }", id="a resolver raising an unexpected error"),
        pytest.param("{ items { id laterCrash } }", id="an async resolver raising"),
        pytest.param("{ items { id brokenCount } }", id="a value the scalar refuses"),
        pytest.param("{ items { id vanishing } }", id="a value the scalar makes nothing of"),
        pytest.param(
            "{ items { id missing } }", id="a null in a non-null field inside a non-null list"
        ),
        pytest.param("{ items { id requiredLater } }", id="non-null async failures inside a list"),
        pytest.param(
            "{ a: maybeItems { id requiredLater } b: later { id } c: items(first: 1) { id } }",
            id="a nulled list beside fields still running",
        ),
        pytest.param("{ failingRoot items { id } }", id="a non-null root field failing"),
        pytest.param(
            '{ item(id: "item-1") { id missing requiredLater shelf { id } } }',
            id="several failures under one nulled position",
        ),
    ],
)
async def test_failures_answer_as_graphql_core(document: str) -> None:
    answer = await _both(document)
    assert '"errors"' in answer


ENTITIES = """
query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename ... on Item { id name count shelf { label } }
  }
}"""


async def test_entities_with_failing_references_answer_as_graphql_core() -> None:
    representations = [
        {"__typename": "Item", "id": "item-1"},
        {"__typename": "Item", "id": "gone"},
        {"__typename": "Item", "id": "item-4"},
        {"__typename": "Item", "id": "boom"},
        {"__typename": "Item", "id": "item-3"},
    ]
    answer = await _both(ENTITIES, {"representations": representations})
    assert "no item gone" in answer
    assert "Internal server error." in answer


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        pytest.param(
            "query($first: Int!) { items(first: $first) { id } }",
            {"first": "three"},
            id="a variable of the wrong type",
        ),
        pytest.param(
            "query($first: Int!) { items(first: $first) { id } }", {}, id="a missing variable"
        ),
        pytest.param(
            "query($loud: Boolean = false, $words: [String!]!) "
            "{ items(first: 2) { shout(loud: $loud) echo(words: $words) } }",
            {"words": ["a", "b"]},
            id="variables with defaults, a list argument changed by its resolver",
        ),
    ],
)
async def test_variables_answer_as_graphql_core(document: str, variables: dict[str, Any]) -> None:
    expected, _ = await _answer(document, variables, compiled=False)
    actual, _ = await _answer(document, variables, compiled=True)
    assert actual == expected


async def test_a_literal_list_argument_is_not_shared_between_requests() -> None:
    document = '{ items(first: 1) { echo(words: ["a"]) } }'
    first = await _both(document)
    assert await _both(document) == first


@pytest.mark.parametrize(
    "conditions",
    [
        {"withNote": True, "skipCount": False},
        {"withNote": False, "skipCount": True},
        {"withNote": True, "skipCount": True},
    ],
)
async def test_skip_and_include_with_variables(conditions: dict[str, bool]) -> None:
    document = (
        "query($withNote: Boolean!, $skipCount: Boolean!) { items { id "
        "note @include(if: $withNote) count @skip(if: $skipCount) "
        "...More @include(if: $withNote) } } fragment More on Item { name }"
    )
    await _both(document, conditions)


async def test_each_combination_of_conditions_is_compiled_once_up_to_a_bound() -> None:
    names = [f"c{n}" for n in range(5)]  # 32 combinations
    document = (
        f"query({', '.join(f'${name}: Boolean!' for name in names)}) {{ items {{ id "
        + " ".join(f"{name}: name @include(if: ${name})" for name in names)
        + " } }"
    )
    runs = SCHEMA.compiled_executor.runs
    too_many = "more @skip/@include combinations than are kept"
    compiled_before, fallen_back_before = runs[COMPILED], runs[too_many]
    for number in range(2 ** len(names)):
        conditions = {name: bool(number >> bit & 1) for bit, name in enumerate(names)}
        expected, _ = await _answer(document, conditions, compiled=False)
        actual, _ = await _answer(document, conditions, compiled=True)
        assert actual == expected
    assert runs[COMPILED] - compiled_before == MAX_CONDITION_VARIANTS
    assert runs[too_many] - fallen_back_before == 2 ** len(names) - MAX_CONDITION_VARIANTS


async def test_mutation_fields_run_one_after_another() -> None:
    document = (
        'mutation { first: record(entry: "one") second: record(entry: "two") '
        'third: record(entry: "three") }'
    )
    answer = await _both(document)
    assert '"third": ["one", "two", "three"]' in answer


async def test_a_failing_mutation_field_stops_nothing_after_it_unless_non_null() -> None:
    answer = await _both('mutation { record(entry: "one") refuse }')
    assert '"data": null' in answer


def _parsed(document: str) -> Any:
    return parse(document)


def test_what_falls_back_is_listed() -> None:
    executor = SCHEMA.compiled_executor
    graphql_schema = SCHEMA._schema
    assert executor.fallbacks(graphql_schema, _parsed("{ items { id } }")) == []
    assert executor.fallbacks(
        graphql_schema, _parsed("{ __schema { queryType { name } } items { id } }")
    ) == ["Query.__schema: introspection"]
    assert executor.fallbacks(graphql_schema, _parsed('{ __type(name: "Item") { name } }')) == [
        "Query.__type: introspection"
    ]
    assert executor.fallbacks(graphql_schema, _parsed("subscription { ticks }")) == [
        "document: subscription (runs through Strawberry's subscribe)"
    ]


async def test_introspection_fields_are_left_to_graphql_core() -> None:
    await _both('{ __schema { queryType { name } } __type(name: "Item") { name } items { id } }')


async def test_field_middleware_sends_the_whole_request_to_graphql_core() -> None:
    class Upper(SchemaExtension):
        def resolve(
            self, _next: Callable[..., Any], root: Any, info: Any, *args: str, **kwargs: Any
        ) -> Any:
            result = _next(root, info, *args, **kwargs)
            return result.upper() if isinstance(result, str) else result

    schema = FederatedSchema(query=Query, types=[Item, Crate], extensions=[Upper], config=CONFIG)
    expected, _ = await _answer("{ items { name } }", compiled=False, schema=schema)
    actual, _ = await _answer("{ items { name } }", compiled=True, schema=schema)
    assert actual == expected
    assert "NAME 0" in actual
    assert schema.compiled_executor.runs == {
        "field middleware (a schema extension implementing resolve)": 1
    }


def test_the_setting_is_on_by_default_and_read_as_a_flag() -> None:
    assert Settings.from_env({}).graphql_compiled is True
    assert Settings.from_env({"GRAPHQL_COMPILED": "off"}).graphql_compiled is False
    with pytest.raises(ConfigError, match="GRAPHQL_COMPILED must be 1/true/yes/on"):
        Settings.from_env({"GRAPHQL_COMPILED": "sometimes"})


class _NoResources:
    """Stands for the resources: the test schema's loaders and an anonymous request need
    none."""


def _spec() -> SubgraphSpec:
    return SubgraphSpec(
        name="things", schema=SCHEMA, make_loaders=lambda _resources: _loader(Batches())
    )


@pytest.mark.parametrize("enabled", [True, False])
async def test_the_setting_chooses_the_executor_in_process_and_over_http(enabled: bool) -> None:
    settings = Settings(graphql_compiled=enabled)
    runtime = Runtime(settings, resources=_NoResources())  # type: ignore[arg-type]
    runs = SCHEMA.compiled_executor.runs
    before = runs[COMPILED]

    local = await LocalSubgraph(_spec(), runtime).execute("{ items { id } }", {}, {})
    app = build_subgraph_app(_spec(), runtime, manage_resources=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://things.test"
    ) as client:
        response = await client.post("/graphql", json={"query": "{ items { id } }"})

    assert response.json() == local == {"data": {"items": [{"id": f"item-{n}"} for n in range(3)]}}
    assert runs[COMPILED] - before == (2 if enabled else 0)


def test_each_field_takes_the_step_it_is_meant_for() -> None:
    document = parse(
        "{ __typename items(first: 1) { id colour price { amount } tags { name } shout "
        "secret shelf { id } } later { id } }"
    )
    executor = LeafShortcutExecutor.build(SCHEMA._schema, document)
    assert isinstance(executor, LeafShortcutExecutor)
    kinds: dict[str, StepKind] = {}
    pending = [compile_operation(executor).root]
    while pending:
        plan = pending.pop()
        for step in plan.steps:
            kinds[f"{plan.type_name}.{step.key}"] = step.kind
            completion = step.completion
            while completion.item is not None:
                completion = completion.item
            if completion.object_plan is not None:
                pending.append(completion.object_plan)

    assert kinds == {
        "Query.__typename": StepKind.TYPENAME,
        "Query.items": StepKind.RESOLVER,  # arguments: Strawberry converts them
        "Query.later": StepKind.DIRECT,
        "Item.id": StepKind.PLAIN_LEAF,
        "Item.colour": StepKind.PLAIN_LEAF,
        "Item.price": StepKind.PLAIN,
        "Item.tags": StepKind.PLAIN,
        "Item.shout": StepKind.RESOLVER,
        "Item.secret": StepKind.DIRECT,  # self only
        "Item.shelf": StepKind.DIRECT,  # self and Info
        "Price.amount": StepKind.PLAIN_LEAF,
        "Tag.name": StepKind.PLAIN_LEAF,
        "Shelf.id": StepKind.PLAIN_LEAF,
    }
