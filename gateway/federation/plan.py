"""A query plan: the Apollo-shaped nodes (Sequence / Parallel / Fetch) that say which
subgraph fetches answer one operation, and in what order; and the error of an operation
the supergraph cannot plan."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import FieldNode, FragmentDefinitionNode, OperationDefinitionNode

from gateway.federation.selections import SelectionSet

Path = tuple[str, ...]


class PlanningError(Exception):
    """The supergraph offers no way to resolve part of the operation."""


@dataclass
class EntityTarget:
    """Where a fetch's entities live in the response, and how to represent each.

    `accepts` maps the __typename an entity has in the response to the __typename its
    representation carries: the same name, or an interface's name when the target
    subgraph knows the interface only as an @interfaceObject.
    """

    path: Path
    accepts: dict[str, str]


@dataclass
class FetchNode:
    subgraph: str
    operation_kind: str
    selections: SelectionSet
    variable_names: list[str]
    document: str
    # Entity fetches only: where the entities are, and the shape of a representation.
    targets: list[EntityTarget] = field(default_factory=list)
    inputs: dict[str, SelectionSet] = field(default_factory=dict)

    @property
    def is_entity_fetch(self) -> bool:
        return bool(self.targets)


@dataclass
class SequenceNode:
    nodes: list[PlanNode]


@dataclass
class ParallelNode:
    nodes: list[PlanNode]


PlanNode = FetchNode | SequenceNode | ParallelNode


@dataclass
class QueryPlan:
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root_type: str
    node: PlanNode | None
    # Root introspection fields (__schema, __type) are answered by the gateway itself.
    introspection: list[FieldNode]
    # What shaping the answer learnt of this operation, kept for its next request
    # (gateway/federation/shaping.py); it depends on the operation alone.
    shapes: dict[tuple[object, ...], object] = field(
        default_factory=dict, compare=False, repr=False
    )

    def fetch_count(self) -> int:
        return sum(1 for _ in fetches_of(self.node))


def fetches_of(node: PlanNode | None) -> list[FetchNode]:
    if node is None:
        return []
    if isinstance(node, FetchNode):
        return [node]
    return [fetch for child in node.nodes for fetch in fetches_of(child)]
