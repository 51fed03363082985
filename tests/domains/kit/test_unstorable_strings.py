"""No string a client sends reaches a resolver holding a character Postgres text cannot
store: every subgraph refuses it up front with BAD_USER_INPUT naming where it was.

The walk covers every string argument and every string input field (nested, in lists)
of every Query and Mutation field of each subgraph, sent once through variables and once
as a literal, with minimal values for the other required arguments.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
)
from sqlalchemy import func, select

from domains.kit.app import Runtime
from domains.kit.resources import Resources
from domains.users.models import User
from shopgraph.registry import DOMAINS, domain
from tests.domains.users.helpers import create_account
from tests.support.graphql import GraphQLResponse
from tests.support.subgraphs import subgraph_client

NUL = "\x00"
# Input objects may refer to themselves; deeper than this adds nothing.
MAX_INPUT_DEPTH = 4
SELECTION_DEPTH = 2

# Values the services accept, so a request gets past its first check and further down.
_PLAUSIBLE_STRINGS = {
    "email": "someone@example.com",
    "password": "correct horse battery",
    "currency": "USD",
    "country": "US",
    "countryCode": "US",
    "url": "products/walk/front.jpg",
    "idempotencyKey": "walk-key",
    "postalCode": "10001",
}


class _Enum(str):
    """An enum value: a bare name in a literal, a string in variables."""


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _is_stringy(type_: GraphQLInputType) -> bool:
    named = _named(type_)
    return isinstance(named, GraphQLScalarType) and named.name not in ("Int", "Float", "Boolean")


def _scalar_value(scalar: GraphQLScalarType, name: str) -> Any:
    if scalar.name == "Int":
        return 1
    if scalar.name == "Float":
        return 1.0
    if scalar.name == "Boolean":
        return False
    if scalar.name == "ID":
        return str(uuid.UUID(int=1))
    if scalar.name == "DateTime":
        return "2026-01-01T00:00:00+00:00"
    return _PLAUSIBLE_STRINGS.get(name, "walk")


def _minimal(type_: GraphQLInputType, name: str, depth: int = 0) -> Any:
    """A value of `type_` with its required parts and its optional text filled in."""
    if isinstance(type_, GraphQLNonNull):
        return _minimal(type_.of_type, name, depth)
    if isinstance(type_, GraphQLList):
        return [_minimal(type_.of_type, name, depth)]
    if isinstance(type_, GraphQLEnumType):
        return _Enum(next(iter(type_.values)))
    if isinstance(type_, GraphQLInputObjectType):
        return {
            field_name: _minimal(field.type, field_name, depth + 1)
            for field_name, field in type_.fields.items()
            if depth < MAX_INPUT_DEPTH
            and (
                isinstance(field.type, GraphQLNonNull)
                or getattr(field.type, "name", None) == "String"
            )
        }
    assert isinstance(type_, GraphQLScalarType)
    return _scalar_value(type_, name)


def _string_paths(type_: GraphQLInputType, depth: int = 0) -> Iterator[tuple[str | int, ...]]:
    """Where a string can sit inside a value of `type_`: () for the value itself."""
    if isinstance(type_, GraphQLNonNull):
        yield from _string_paths(type_.of_type, depth)
    elif isinstance(type_, GraphQLList):
        for path in _string_paths(type_.of_type, depth):
            yield (0, *path)
    elif isinstance(type_, GraphQLInputObjectType):
        if depth < MAX_INPUT_DEPTH:
            for field_name, field in type_.fields.items():
                for path in _string_paths(field.type, depth + 1):
                    yield (field_name, *path)
    elif _is_stringy(type_):
        yield ()


def _with_nul(
    type_: GraphQLInputType, name: str, path: tuple[str | int, ...], depth: int = 0
) -> Any:
    """The minimal value of `type_`, with NUL at `path`."""
    if not path:
        return NUL
    if isinstance(type_, GraphQLNonNull):
        return _with_nul(type_.of_type, name, path, depth)
    if isinstance(type_, GraphQLList):
        return [_with_nul(type_.of_type, name, path[1:], depth)]
    assert isinstance(type_, GraphQLInputObjectType)
    key = path[0]
    assert isinstance(key, str)
    value = _minimal(type_, name, depth)
    value[key] = _with_nul(type_.fields[key].type, key, path[1:], depth + 1)
    return value


def _shown(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def _selection(type_: GraphQLOutputType, depth: int = 0) -> str:
    named = _named(type_)
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return ""
    if isinstance(named, GraphQLUnionType) or depth >= SELECTION_DEPTH:
        return "{ __typename }"
    assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
    parts = ["__typename"]
    for field_name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        parts.append(f"{field_name} {_selection(field.type, depth + 1)}".strip())
    return "{ " + " ".join(parts) + " }"


def _literal(value: Any) -> str:
    if isinstance(value, _Enum):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # NUL becomes the escape \u0000
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_literal(item)}" for key, item in value.items()) + "}"
    return json.dumps(value)


@dataclass(frozen=True)
class Probe:
    """One request with NUL at one place: `where` names it as the refusal should."""

    operation: str
    field: str
    where: str
    arguments: dict[str, Any]
    argument_types: dict[str, str]
    selection: str

    def by_variables(self) -> tuple[str, dict[str, Any]]:
        definitions = ", ".join(f"${name}: {type_}" for name, type_ in self.argument_types.items())
        uses = ", ".join(f"{name}: ${name}" for name in self.argument_types)
        document = (
            f"{self.operation} Walk({definitions}) {{ {self.field}({uses}) {self.selection} }}"
        )
        return document, dict(self.arguments)

    def by_literal(self) -> str:
        uses = ", ".join(f"{name}: {_literal(value)}" for name, value in self.arguments.items())
        return f"{self.operation} {{ {self.field}({uses}) {self.selection} }}"


def _field_probes(operation: str, field_name: str, field: GraphQLField) -> Iterator[Probe]:
    required = {
        name: _minimal(arg.type, name)
        for name, arg in field.args.items()
        if isinstance(arg.type, GraphQLNonNull)
    }
    for arg_name, arg in field.args.items():
        for path in _string_paths(arg.type):
            arguments = {**required, arg_name: _with_nul(arg.type, arg_name, path)}
            yield Probe(
                operation,
                field_name,
                arg_name + _shown(path),
                arguments,
                {name: str(field.args[name].type) for name in arguments},
                _selection(field.type),
            )


def _entity_probes(sdl: str) -> Iterator[Probe]:
    """`_entities` takes `_Any`: NUL in each key of each entity type."""
    for type_name, key in re.findall(r'^type (\w+) .*?@key\(fields: "(\w+)"\)', sdl, re.M):
        yield Probe(
            "query",
            "_entities",
            f"representations[0].{key}",
            {"representations": [{"__typename": type_name, key: NUL}]},
            {"representations": "[_Any!]!"},
            "{ __typename }",
        )


def probes(domain_name: str) -> list[Probe]:
    module = importlib.import_module(f"{domain(domain_name).package}.graphql.schema")
    graphql_schema: GraphQLSchema = module.schema._schema
    found: list[Probe] = []
    for operation, root in (
        ("query", graphql_schema.query_type),
        ("mutation", graphql_schema.mutation_type),
    ):
        if root is None:
            continue
        for field_name, field in root.fields.items():
            if field_name != "_entities":
                found.extend(_field_probes(operation, field_name, field))
    found.extend(_entity_probes(module.schema.as_str()))
    return found


@pytest.fixture(autouse=True)
def _short_checkout_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECKOUT_WAIT", "1s")


def _internal(response: GraphQLResponse) -> bool:
    return response.status_code >= 500 or "INTERNAL_SERVER_ERROR" in response.error_codes


def _refused_naming(response: GraphQLResponse, where: str) -> bool:
    return response.data is None and any(
        error.get("extensions", {}).get("code") == "BAD_USER_INPUT"
        and f"`{where}`" in error.get("message", "")
        for error in response.errors
    )


@pytest.mark.parametrize("domain_name", [entry.name for entry in DOMAINS])
async def test_nul_in_every_string_argument_is_refused_naming_it(
    domain_name: str, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    account = await create_account(
        resources, "walker@example.com", roles=("CUSTOMER", "SELLER", "STAFF")
    )
    internal: list[str] = []
    not_refused: list[str] = []
    walked = probes(domain_name)
    async with subgraph_client(domain_name, resources) as client:
        for probe in walked:
            label = f"{probe.field}({probe.where})"
            document, variables = probe.by_variables()
            response = await client.execute(document, variables, token=account.access_token)
            if _internal(response):
                internal.append(f"{label} by variables")
            elif not _refused_naming(response, probe.where):
                not_refused.append(f"{label} by variables: {response.errors}")
            response = await client.execute(probe.by_literal(), token=account.access_token)
            if _internal(response):
                internal.append(f"{label} by literal")
    assert walked
    # Refused up front: no resolver failed, so nothing was logged as an error.
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not internal, f"{len(internal)} of {len(walked)} probes: {internal}"
    assert not not_refused, f"{len(not_refused)} of {len(walked)} probes: {not_refused}"


def _refusal(response: GraphQLResponse) -> str:
    """The one refusal's message, checking its shape: no data, BAD_USER_INPUT."""
    assert response.status_code == 200
    assert response.data is None
    assert response.error_codes == ["BAD_USER_INPUT"], response.errors
    return str(response.errors[0]["message"])


async def test_the_refusal_names_the_argument_path_and_not_the_string(
    resources: Resources,
) -> None:
    async with subgraph_client("products", resources) as client:
        by_variable = await client.execute(
            "query($filter: ProductFilterInput) { products(filter: $filter) { totalCount } }",
            {"filter": {"search": "running shoes\x00"}},
        )
        inside_a_literal = await client.execute(
            "query($s: String) { products(filter: {search: $s}) { totalCount } }",
            {"s": "\x00"},
        )
        literal = await client.execute('{ product(slug: "trail\\u0000runner") { id } }')
        default = await client.execute(
            'query($slug: String = "\\u0000") { product(slug: $slug) { id } }'
        )
        in_a_fragment = await client.execute(
            "query($sku: String!) { ...Lookup } "
            "fragment Lookup on Query { variant(sku: $sku) { id } }",
            {"sku": "SKU\x00"},
        )
    message = _refusal(by_variable)
    assert message == (
        "`filter.search` of `products` contains a NUL character (U+0000), which text cannot hold."
    )
    assert "running shoes" not in message
    assert "`filter.search` of `products`" in _refusal(inside_a_literal)
    assert "`slug` of `product`" in _refusal(literal)
    assert "trail" not in _refusal(literal)
    assert "`slug` of `product`" in _refusal(default)
    assert "`sku` of `variant`" in _refusal(in_a_fragment)


async def test_items_of_lists_and_nested_fields_are_named_by_position(
    resources: Resources,
) -> None:
    lines = [{"variantId": str(uuid.uuid4()), "quantity": 1} for _ in range(3)]
    lines[2]["variantId"] = "\x00"
    async with subgraph_client("carts", resources) as client:
        response = await client.execute(
            "mutation($lines: [CartLineInput!]) { cartCreate(lines: $lines) { cart { id } } }",
            {"lines": lines},
        )
    assert "`lines[2].variantId` of `cartCreate`" in _refusal(response)


async def test_an_unpaired_surrogate_is_refused_like_nul(resources: Resources) -> None:
    body = {
        "query": "mutation($email: String!) { requestPasswordReset(email: $email) { __typename } }",
        "variables": {"email": "someone\ud800@example.com"},
    }
    async with subgraph_client("users", resources) as client:
        # As a client's JSON carries it: the escape \ud800, which json.loads turns back
        # into the lone surrogate.
        sent = await client.http.post(
            "/graphql",
            content=json.dumps(body).encode("ascii"),
            headers={"content-type": "application/json"},
        )
    response = GraphQLResponse(sent.status_code, sent.json())
    assert _refusal(response) == (
        "`email` of `requestPasswordReset` contains an unpaired surrogate (U+D800), "
        "which text cannot hold."
    )


async def test_nothing_is_written_when_one_of_several_mutations_is_refused(
    resources: Resources,
) -> None:
    async with subgraph_client("users", resources) as client:
        response = await client.execute(
            """
            mutation($bad: AccountRegisterInput!) {
              good: accountRegister(input: {
                email: "first@example.com", password: "correct horse battery", name: "First"
              }) { user { id } }
              bad: accountRegister(input: $bad) { user { id } }
            }
            """,
            {
                "bad": {
                    "email": "second@example.com",
                    "password": "correct horse battery",
                    "name": "Second\x00",
                }
            },
        )
    assert "`input.name` of `accountRegister`" in _refusal(response)
    async with resources.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_the_gateways_in_process_subgraphs_refuse_it_too(resources: Resources) -> None:
    """The gateway runs in-process subgraphs through LocalSubgraph, not over HTTP."""
    from domains.kit.app import LocalSubgraph

    spec = importlib.import_module("domains.users.app").SPEC
    subgraph = LocalSubgraph(spec, Runtime(resources.settings, resources))
    answer = await subgraph.execute(
        "mutation($email: String!, $password: String!) "
        "{ tokenCreate(email: $email, password: $password) { accessToken } }",
        {"email": "\x00", "password": "correct horse battery"},
        {},
    )
    assert answer["data"] is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "`email` of `tokenCreate`" in error["message"]
