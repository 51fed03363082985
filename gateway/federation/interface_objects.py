"""Interface-typed fields answered by a subgraph that holds the interface as an
@interfaceObject.

Such a subgraph knows the interface only as one object type: every item it returns has
the interface's name as `__typename`, and it knows none of the implementations. So the
planner splits the selection on that field in two. What the subgraph resolves itself
stays in its fetch; what needs the concrete type (`__typename`, fragments on the
implementations, fields only the owner resolves) goes to the interface's owner, the
subgraph that defines it as a real interface with a @key, through `_entities`. The
owner answers the concrete `__typename`, and the executor keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
    print_ast,
)

from gateway.federation.plan import PlanningError
from gateway.federation.supergraph import EntityKey, Supergraph


@dataclass
class InterfaceObjectSplit:
    """One selection on an @interfaceObject position, split by where it is answered.

    What goes to the owner is grouped by the directives of the fragment it came from:
    the owner is asked `... on Interface @directive { ... }` for each group, as Apollo
    plans it, so @skip/@include keep working on the concrete types' fields.
    """

    local: list[SelectionNode] = field(default_factory=list)
    owner: dict[tuple[DirectiveNode, ...], list[SelectionNode]] = field(default_factory=dict)

    def ask_owner(self, selection: SelectionNode, directives: tuple[DirectiveNode, ...]) -> None:
        for existing in self.owner:
            if [print_ast(d) for d in existing] == [print_ast(d) for d in directives]:
                directives = existing
                break
        self.owner.setdefault(directives, []).append(selection)


def held_as_interface_object(supergraph: Supergraph, subgraph: str, type_name: str) -> bool:
    """Whether `subgraph` knows the interface `type_name` only as an @interfaceObject."""
    info = supergraph.types[type_name]
    return info.kind == "interface" and subgraph in info.interface_object_graphs


def split_selections(
    supergraph: Supergraph,
    subgraph: str,
    interface: str,
    selections: tuple[SelectionNode, ...] | list[SelectionNode],
    fragments: dict[str, FragmentDefinitionNode],
) -> InterfaceObjectSplit:
    """Split a selection on `interface` between `subgraph` and the interface's owner.

    Fragments on the interface itself (or without a type condition, or under no
    directive) are opened and their fields split one by one; any other fragment needs
    the concrete type, so it goes to the owner whole.
    """
    split = InterfaceObjectSplit()
    _split_into(supergraph, subgraph, interface, selections, fragments, split)
    return split


def _split_into(
    supergraph: Supergraph,
    subgraph: str,
    interface: str,
    selections: tuple[SelectionNode, ...] | list[SelectionNode],
    fragments: dict[str, FragmentDefinitionNode],
    split: InterfaceObjectSplit,
) -> None:
    for selection in selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            local = name != "__typename" and (
                name in supergraph.types[interface].fields
                and supergraph.can_resolve(subgraph, interface, name)
            )
            if local:
                split.local.append(selection)
            else:
                split.ask_owner(selection, ())
            continue
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                raise PlanningError(f'Unknown fragment "{selection.name.value}".')
            condition: str | None = fragment.type_condition.name.value
            inner = fragment.selection_set.selections
        else:
            assert isinstance(selection, InlineFragmentNode)
            condition = selection.type_condition.name.value if selection.type_condition else None
            inner = selection.selection_set.selections
        if condition in (None, interface) and not selection.directives:
            _split_into(supergraph, subgraph, interface, inner, fragments, split)
        elif not selection.directives:
            split.ask_owner(selection, ())
        else:
            undirected = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=condition)) if condition else None,
                directives=(),
                selection_set=SelectionSetNode(selections=tuple(inner)),
            )
            split.ask_owner(undirected, tuple(selection.directives))


def owner_of(supergraph: Supergraph, interface: str, subgraph: str) -> tuple[str, EntityKey]:
    """The subgraph defining `interface` as a real interface, and a key to reach it by."""
    info = supergraph.types[interface]
    for graph in info.graphs:
        if graph == subgraph or graph in info.interface_object_graphs:
            continue
        key = supergraph.keys_for_jump(interface, subgraph, graph)
        if key is not None:
            return graph, key
    raise PlanningError(
        f"No subgraph can tell the concrete type of {interface} for {subgraph}: "
        f"no @key of {interface} links {subgraph} to the subgraph that defines it."
    )
