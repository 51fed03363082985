"""The operation corpus: named GraphQL requests over the test topology, tagged by feature.

Every request a differential test sends to two gateways comes from here. The corpus
is ``operations.toml`` (TOML because the standard library reads it and its ``'''``
strings hold GraphQL verbatim), one ``[[operation]]`` table per request:

    [[operation]]
    name = "VariablesAcrossSubgraphs"        # unique; the key in the snapshot
    tags = ["variables", "entity-jump"]      # from FEATURES below
    operation_name = "Second"                # optional: the request's operationName
    variables = '{"upc": "1001"}'            # optional: JSON text, as sent on the wire
    query = '''
    query VariablesAcrossSubgraphs($upc: String!) { ... }
    '''

Variables are JSON text rather than TOML tables because TOML has no null, and an
explicit null variable is a case of its own. An operation tagged ``error`` must make the
gateway report at least one error; every other operation must answer without any.

A few operations are answered wrongly by Apollo Gateway itself (aliases that collide
with fields its planner adds, apollographql/router#6222; an error path inside an entity
fetch over a union). Those carry ``apollo_divergence`` (what Apollo does wrong) and
``expected``: JSON text of the ``data`` the GraphQL spec requires and, under
``errors``, only the ``path`` of each error (messages and extensions are the gateway's
to word). A differential test should hold a gateway to ``expected`` there, not to
Apollo; the baseline test checks that Apollo still differs from it.

``apollo_responses.json`` beside it holds Apollo Gateway's answers to the whole corpus
(``python -m tests.federation.record`` rewrites it).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS_DIR = Path(__file__).resolve().parent
OPERATIONS_PATH = CORPUS_DIR / "operations.toml"
APOLLO_RESPONSES_PATH = CORPUS_DIR / "apollo_responses.json"

# Every tag an operation may carry, and what it exercises.
FEATURES: dict[str, str] = {
    "single-subgraph": "root fields all answered by one subgraph, no jump",
    "root-split": "root fields from several subgraphs, fetched in parallel",
    "entity-jump": "a fetch through _entities into another subgraph",
    "single-key": 'an entity jump on a one-field key (@key(fields: "id"))',
    "compound-key": 'an entity jump on a two-field key (@key(fields: "productUpc sku"))',
    "multiple-keys": "an entity with two keys, entered by one and left by the other",
    "nested-key": 'an entity jump on a key with a nested selection ("id organization { id }")',
    "entity-interface": "an entity interface (@key on an interface) with an @interfaceObject",
    "interface-object-field": "a field of interface type answered by a subgraph that holds "
    "the interface as an @interfaceObject (root, nested, in lists, aliased): the owner of "
    "the interface tells each item's concrete type",
    "requires": "a field @requires fields another subgraph owns",
    "provides": "a field a subgraph @provides, so no jump is needed",
    "shareable": "a @shareable field or type, resolvable by more than one subgraph",
    "override": "a field one subgraph took over from another with @override",
    "inaccessible": "an @inaccessible field: hidden from clients, usable inside plans",
    "interface": "a field of interface type, with or without type conditions",
    "union": "a field of union type",
    "fragment-inline": "inline fragments, with or without a type condition",
    "fragment-named": "named fragments",
    "fragment-nested": "fragments spreading other fragments",
    "typename": "__typename, at the root or inside selections",
    "alias": "aliases, including one field twice with different arguments",
    "arguments": "field arguments given as literals",
    "variables": "operation variables",
    "default-values": "default values of variables or arguments",
    "list-variables": "list values, as variables or literals",
    "input-object": "input objects, as variables or literals",
    "enum": "enum values in results, literals or variables",
    "custom-scalar": "a custom scalar (DateTime)",
    "skip-include": "@skip and @include, with literals or variables",
    "lists": "lists of entities",
    "deep-nesting": "selections crossing three or more subgraph boundaries",
    "mutation": "mutations, whose top-level fields run one after another",
    "introspection": "__schema, __type and introspection mixed with data",
    "operation-name": "choosing an operation of a document by operationName",
    "error": "the response must carry at least one error",
    "validation": "a request the gateway must reject before running it",
    "null-propagation": "a null in a non-null position, propagated to a nullable parent",
}


@dataclass(frozen=True)
class Operation:
    """One GraphQL request of the corpus."""

    name: str
    query: str
    tags: tuple[str, ...]
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    # Set together, for operations Apollo Gateway is known to answer wrongly.
    apollo_divergence: str | None = None
    expected: dict[str, Any] | None = None

    @property
    def expects_errors(self) -> bool:
        return "error" in self.tags

    def matches_expected(self, body: dict[str, Any]) -> bool:
        """Whether a response has the ``expected`` data and error paths (see above)."""
        if self.expected is None:
            raise ValueError(f"{self.name} has no expected answer")
        return _data_and_error_paths(body) == _data_and_error_paths(self.expected)

    def request_body(self) -> dict[str, Any]:
        """The JSON body of a GraphQL-over-HTTP POST for this operation."""
        body: dict[str, Any] = {"query": self.query}
        if self.variables is not None:
            body["variables"] = self.variables
        if self.operation_name is not None:
            body["operationName"] = self.operation_name
        return body


def _data_and_error_paths(body: dict[str, Any]) -> tuple[Any, list[str]]:
    paths = sorted(json.dumps(error.get("path")) for error in body.get("errors") or [])
    return body.get("data"), paths


def load_operations(path: Path = OPERATIONS_PATH) -> list[Operation]:
    """Read and check the corpus; ValueError names the first entry at fault."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    entries = document.get("operation")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: expected [[operation]] tables")
    operations: list[Operation] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        operation = _operation(entry, f"{path.name}: operation #{index + 1}")
        if operation.name in seen:
            raise ValueError(f"{path.name}: operation name {operation.name!r} is used twice")
        seen.add(operation.name)
        operations.append(operation)
    return operations


_KEYS = {"name", "query", "tags", "variables", "operation_name", "apollo_divergence", "expected"}


def _operation(entry: Any, where: str) -> Operation:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: not a table")
    unknown = set(entry) - _KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}: needs a name")
    where = f"{where} ({name})"
    query = entry.get("query")
    if not isinstance(query, str):
        raise ValueError(f"{where}: needs a query string")
    tags = entry.get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
        raise ValueError(f"{where}: needs a non-empty list of tags")
    unknown_tags = sorted(set(tags) - set(FEATURES))
    if unknown_tags:
        raise ValueError(f"{where}: unknown tags {unknown_tags}")
    variables = _json_object(entry, "variables", where)
    operation_name = entry.get("operation_name")
    if operation_name is not None and not isinstance(operation_name, str):
        raise ValueError(f"{where}: operation_name must be a string")
    divergence = entry.get("apollo_divergence")
    if divergence is not None and not isinstance(divergence, str):
        raise ValueError(f"{where}: apollo_divergence must be a string")
    expected = _json_object(entry, "expected", where)
    if (divergence is None) != (expected is None):
        raise ValueError(f"{where}: apollo_divergence and expected go together")
    if expected is not None and bool(expected.get("errors")) != ("error" in tags):
        raise ValueError(f"{where}: expected must have errors exactly when tagged error")
    return Operation(
        name=name,
        query=query,
        tags=tuple(tags),
        variables=variables,
        operation_name=operation_name,
        apollo_divergence=divergence,
        expected=expected,
    )


def _json_object(entry: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    if key not in entry:
        return None
    try:
        value = json.loads(entry[key])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {key} must be JSON text of an object: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"{where}: {key} must be a JSON object")
    return value


OPERATIONS: list[Operation] = load_operations()

__all__ = [
    "APOLLO_RESPONSES_PATH",
    "FEATURES",
    "OPERATIONS",
    "OPERATIONS_PATH",
    "Operation",
    "load_operations",
]
