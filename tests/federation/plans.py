"""Query plans, Apollo's and ours, in one comparable shape.

Apollo Gateway prints a plan as text (recorded in ``corpus/apollo_responses.json``
under ``queryPlan``); ours is a tree of plan nodes. Both become nested tuples:

    ("Sequence", (child, ...))  ("Parallel", (child, ...))
    ("Fetch", service, selection)
    ("Flatten", path, ("Fetch", service, selection, requires))

where ``selection`` and ``requires`` are selection sets printed with every level's
selections sorted, since the order of fields inside one subgraph request is not part of
what a plan decides (which subgraphs, in which order, for which fields, from which
representations). Our operation names and variable definitions are dropped too: Apollo
prints only selection sets.

One difference is by design: our gateway sends every entity fetch of one subgraph at
one plan level as a single `_entities` request, where Apollo runs one fetch per response
path in parallel. So Apollo's parallel Flatten nodes of one subgraph are merged here
(their paths listed together, their selections and representations united), and a
Flatten carries the tuple of its paths.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    parse,
    print_ast,
)

from gateway.federation.plan import FetchNode, ParallelNode, PlanNode, QueryPlan, SequenceNode
from gateway.federation.selections import FieldSelection, SelectionSet

ComparablePlan = tuple[Any, ...] | None


def our_plan(plan: QueryPlan) -> ComparablePlan:
    """Our plan in the comparable shape."""
    return None if plan.node is None else _our_node(plan.node)


def apollo_plan(text: str | None) -> ComparablePlan:
    """Apollo's printed plan (``QueryPlan { ... }``) in the comparable shape."""
    if text is None:
        return None
    lines = [line.strip() for line in text.strip().splitlines()]
    if lines[0] != "QueryPlan {" or lines[-1] != "}":
        raise ValueError(f"not an Apollo query plan:\n{text}")
    body = lines[1:-1]
    if not body:
        return None
    node, end = _apollo_node(body, 0)
    if end != len(body):
        raise ValueError(f"unexpected text after the plan's root node: {body[end]!r}")
    return node


# -- ours -------------------------------------------------------------------------------


def _our_node(node: PlanNode) -> tuple[Any, ...]:
    if isinstance(node, SequenceNode):
        return ("Sequence", tuple(_our_node(child) for child in node.nodes))
    if isinstance(node, ParallelNode):
        return ("Parallel", tuple(_our_node(child) for child in node.nodes))
    assert isinstance(node, FetchNode)
    operation = parse(node.document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    if not node.is_entity_fetch:
        return ("Fetch", node.subgraph, _canonical(operation.selection_set))
    entities = operation.selection_set.selections[0]
    assert isinstance(entities, FieldNode)
    assert entities.selection_set is not None
    # Apollo prints a representation under the type the entity has in the response,
    # even when the __typename sent is the interface's (an @interfaceObject target).
    requires = SelectionSet()
    for target in node.targets:
        for type_name, representation_type in target.accepts.items():
            fragment = requires.fragment(type_name).selections
            for item in node.inputs[representation_type]:
                assert isinstance(item, FieldSelection)
                fragment.add_field(FieldSelection(item.name, None, (), (), item.selections))
    fetch = (
        "Fetch",
        node.subgraph,
        _canonical(entities.selection_set),
        _canonical(requires.to_ast()),
    )
    paths = tuple(sorted(".".join(target.path) for target in node.targets))
    return ("Flatten", paths, fetch)


# -- Apollo's ---------------------------------------------------------------------------


def _apollo_node(lines: list[str], index: int) -> tuple[tuple[Any, ...], int]:
    line = lines[index]
    if line in ("Sequence {", "Parallel {"):
        kind = line.split()[0]
        children: list[tuple[Any, ...]] = []
        index += 1
        while lines[index] != "},":
            child, index = _apollo_node(lines, index)
            children.append(child)
        if kind == "Parallel":
            children = _merge_flattens(children)
            if len(children) == 1:
                return children[0], index + 1
        return (kind, tuple(children)), index + 1
    if line.startswith("Flatten(path: "):
        path = line[len('Flatten(path: "') : -len('") {')]
        fetch, index = _apollo_fetch(lines, index + 1)
        if lines[index] != "},":
            raise ValueError(f"Flatten without its closing line: {lines[index]!r}")
        return ("Flatten", (path,), fetch), index + 1
    if line.startswith("Fetch(service: "):
        return _apollo_fetch(lines, index)
    raise ValueError(f"unknown plan node: {line!r}")


def _apollo_fetch(lines: list[str], index: int) -> tuple[tuple[Any, ...], int]:
    head = lines[index]
    if not head.startswith('Fetch(service: "'):
        raise ValueError(f"expected a Fetch: {head!r}")
    service = head[len('Fetch(service: "') :].split('"')[0]
    body: list[str] = []
    index += 1
    depth = 0
    while not (depth == 0 and lines[index] == "},"):
        depth += lines[index].count("{") - lines[index].count("}")
        body.append(lines[index])
        index += 1
    text = " ".join(body)
    if "=>" in text:
        requires, selection = text.split("=>")
        return ("Fetch", service, _canonical_text(selection), _canonical_text(requires)), index + 1
    return ("Fetch", service, _canonical_text(text)), index + 1


def _merge_flattens(children: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Parallel Flatten nodes of one subgraph as one, as our gateway fetches them."""
    merged: list[tuple[Any, ...]] = []
    by_service: dict[str, int] = {}
    for child in children:
        if child[0] != "Flatten":
            merged.append(child)
            continue
        _flatten, paths, (_fetch, service, selection, requires) = child
        if service not in by_service:
            by_service[service] = len(merged)
            merged.append(child)
            continue
        index = by_service[service]
        _, known_paths, (_, _, known_selection, known_requires) = merged[index]
        merged[index] = (
            "Flatten",
            tuple(sorted((*known_paths, *paths))),
            (
                "Fetch",
                service,
                _united(known_selection, selection),
                _united(known_requires, requires),
            ),
        )
    return merged


def _united(*selection_sets: str) -> str:
    united = SelectionSet()
    for text in selection_sets:
        united.merge(SelectionSet.from_ast(_selection_set(text)))
    return _canonical(united.to_ast())


def _selection_set(text: str) -> SelectionSetNode:
    operation = parse(text).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def _canonical_text(selection_set: str) -> str:
    return _united(selection_set)


def _canonical(selection_set: SelectionSetNode) -> str:
    return "{ " + " ".join(sorted(_canonical_selection(s) for s in selection_set.selections)) + " }"


def _canonical_selection(selection: SelectionNode) -> str:
    if isinstance(selection, FieldNode):
        alias = f"{selection.alias.value}: " if selection.alias else ""
        arguments = ", ".join(
            f"{argument.name.value}: {_printed(argument.value)}"
            for argument in selection.arguments or ()
        )
        directives = " ".join(_printed(directive) for directive in selection.directives or ())
        text = alias + selection.name.value + (f"({arguments})" if arguments else "")
        text += f" {directives}" if directives else ""
        if selection.selection_set is not None:
            text += " " + _canonical(selection.selection_set)
        return text
    assert isinstance(selection, InlineFragmentNode)
    condition = selection.type_condition.name.value if selection.type_condition else ""
    directives = " ".join(_printed(directive) for directive in selection.directives or ())
    head = f"... on {condition}" if condition else "..."
    head += f" {directives}" if directives else ""
    return f"{head} {_canonical(selection.selection_set)}"


def _printed(node: Any) -> str:
    return str(print_ast(node))
