"""A subgraph's own ceilings on the documents it is sent over HTTP.

The gateway refuses oversized operations before planning, so the documents it writes to
a subgraph are already small. But a subgraph deployed as its own service has a network
address, and a misconfigured network must not make it a way around the gateway's limits:
each subgraph measures what it is sent too, with ceilings above anything the gateway
produces (SUBGRAPH_MAX_DEPTH, _ALIASES, _COST).

The measure is linear and runs right after parsing, before validation, which can itself
be made expensive (1,000 aliases of one field are half a million overlap comparisons).
Fragments are measured once each and a fragment cycle stops the walk. Cost is the
number of fields a document can resolve: each field counts once per item its enclosing
lists may hold, by their `first` argument (or 1).

In production the guard also validates the way the gateway does: no introspection and
no "Did you mean ...?" suggestions, which reveal the schema as introspection would.
Results are cached per document text: the gateway sends the same few documents again
and again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule

_CACHE_SIZE = 512
# A list field without `first` may still hold many items; counting it as one keeps the
# measure an estimate of the document's shape, not of the data.
_PAGE_ARGUMENTS = ("first", "last", "limit")


@dataclass(frozen=True)
class DocumentLimits:
    max_depth: int = 20
    max_aliases: int = 100
    max_cost: int = 50_000
    max_tokens: int = 20_000


@dataclass
class _Size:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


@dataclass
class _Measure:
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    sizes: dict[str, _Size] = field(default_factory=dict)
    in_progress: set[str] = field(default_factory=set)

    def selection_set(self, selection_set: SelectionSetNode | None) -> _Size:
        size = _Size()
        if selection_set is None:
            return size
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self.selection_set(selection.selection_set)
                multiplier = self._page_size(selection)
                size.depth = max(size.depth, inner.depth + 1)
                size.aliases += inner.aliases + (1 if selection.alias is not None else 0)
                size.cost += 1 + multiplier * inner.cost
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selection_set(selection.selection_set)
                size.depth = max(size.depth, inner.depth)
                size.aliases += inner.aliases
                size.cost += inner.cost
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
                size.depth = max(size.depth, inner.depth)
                size.aliases += inner.aliases
                size.cost += inner.cost
        return size

    def fragment(self, name: str) -> _Size:
        if name in self.sizes:
            return self.sizes[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return _Size()  # unknown or cyclic: validation reports it
        self.in_progress.add(name)
        size = self.selection_set(definition.selection_set)
        self.in_progress.discard(name)
        self.sizes[name] = size
        return size

    def _page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value not in _PAGE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(int(value.value), 1)
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return max(given, 1)
        return 1


def _limit_error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class DocumentGuard:
    """Parses and checks a document before the subgraph executes it."""

    def __init__(self, schema: GraphQLSchema, limits: DocumentLimits, *, production: bool) -> None:
        self._schema = schema
        self._limits = limits
        self._production = production
        self._checked: OrderedDict[str, tuple[DocumentNode | None, list[GraphQLError]]] = (
            OrderedDict()
        )

    def check(self, query: str, variables: dict[str, Any] | None = None) -> list[GraphQLError]:
        """The errors that refuse `query`, or none."""
        document, errors = self._parsed(query)
        if errors or document is None:
            return errors
        return self._measure(document, variables or {})

    def _parsed(self, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        cached = self._checked.get(query)
        if cached is not None:
            self._checked.move_to_end(query)
            return cached
        result = self._parse_and_validate(query)
        self._checked[query] = result
        if len(self._checked) > _CACHE_SIZE:
            self._checked.popitem(last=False)
        return result

    def _parse_and_validate(self, query: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        try:
            document = parse(query, max_tokens=self._limits.max_tokens)
        except GraphQLError as error:
            return None, [_limit_error(error.message, "GRAPHQL_PARSE_FAILED")]
        # Shape before validation: validation is what a hostile shape makes expensive.
        static = self._measure(document, {}, costs=False)
        if static:
            return None, static
        if not self._production:
            return document, []
        rules = [*specified_rules, NoSchemaIntrospectionCustomRule]
        errors = validate(self._schema, document, rules, hide_suggestions=True)
        # The gateway's codes, so a client sees one vocabulary wherever it is refused.
        return document, [
            _limit_error(
                error.message,
                "INTROSPECTION_DISABLED"
                if "introspection" in error.message
                else "GRAPHQL_VALIDATION_FAILED",
            )
            for error in errors
        ]

    def _measure(
        self, document: DocumentNode, variables: dict[str, Any], *, costs: bool = True
    ) -> list[GraphQLError]:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        measure = _Measure(fragments, variables)
        limits = self._limits
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            size = measure.selection_set(definition.selection_set)
            if size.depth > limits.max_depth:
                return [
                    _limit_error(
                        f"The operation is {size.depth} levels deep; this subgraph answers "
                        f"at most {limits.max_depth}.",
                        "DEPTH_LIMIT_EXCEEDED",
                    )
                ]
            if size.aliases > limits.max_aliases:
                return [
                    _limit_error(
                        f"The operation has {size.aliases} aliases; this subgraph answers "
                        f"at most {limits.max_aliases}.",
                        "ALIAS_LIMIT_EXCEEDED",
                    )
                ]
            if costs and size.cost > limits.max_cost:
                return [
                    _limit_error(
                        f"The operation may resolve {size.cost} fields; this subgraph "
                        f"answers at most {limits.max_cost}.",
                        "COST_LIMIT_EXCEEDED",
                    )
                ]
        return []
