"""Fetch groups, and assembling them into a plan.

The planner gathers what it asks of each subgraph into fetch groups: a root group per
subgraph it starts from, and under it one entity group per subgraph and response path it
jumps to. Assembled, the groups fall into levels (a group waits for its parent and for
the groups its key or @requires fields come from), and every entity group of one
subgraph at one level becomes a single `_entities` fetch.
"""

from __future__ import annotations

import itertools

from graphql import OperationDefinitionNode, print_ast

from gateway.federation.plan import (
    EntityTarget,
    FetchNode,
    ParallelNode,
    Path,
    PlanNode,
    SequenceNode,
)
from gateway.federation.selections import (
    FieldSelection,
    SelectionSet,
    copy_selections,
    used_variables,
)


class FetchGroup:
    _ids = itertools.count()

    def __init__(
        self, subgraph: str, path: Path, *, entity: bool, parent: FetchGroup | None
    ) -> None:
        self.id = next(self._ids)
        self.subgraph = subgraph
        self.path = path
        self.entity = entity
        self.parent = parent
        self.selections = SelectionSet()
        # Representation shape per representation __typename. The fields are the very
        # objects of the parent's selection, so a later de-conflicting alias shows here.
        self.inputs: dict[str, list[FieldSelection]] = {}
        self.accepts: dict[str, str] = {}
        self.children: dict[tuple[str, Path], FetchGroup] = {}
        self.after: set[FetchGroup] = set()

    def child(self, subgraph: str, path: Path) -> FetchGroup:
        key = (subgraph, path)
        if key not in self.children:
            self.children[key] = FetchGroup(subgraph, path, entity=True, parent=self)
        return self.children[key]

    def descendants(self) -> list[FetchGroup]:
        found: list[FetchGroup] = []
        for child in self.children.values():
            found.append(child)
            found.extend(child.descendants())
        return found

    def add_input(self, representation_type: str, selection: FieldSelection) -> None:
        fields = self.inputs.setdefault(representation_type, [])
        if all(existing is not selection for existing in fields):
            fields.append(selection)


class PlanAssembler:
    """Turns the fetch groups of one operation into plan nodes, level by level."""

    def __init__(self, operation: OperationDefinitionNode) -> None:
        self.operation = operation
        self.kind = operation.operation.value
        self.name = operation.name.value if operation.name else None
        self._fetch_counter = itertools.count()

    def assemble(self, roots: list[FetchGroup]) -> PlanNode | None:
        if not roots:
            return None
        if self.kind == "mutation":
            steps = [self._levels([root]) for root in roots]
            return _simplify(SequenceNode([step for step in steps if step is not None]))
        return self._levels(roots)

    def _levels(self, roots: list[FetchGroup]) -> PlanNode | None:
        groups = [g for root in roots for g in (root, *root.descendants())]
        level: dict[int, int] = {}

        def level_of(group: FetchGroup) -> int:
            if group.id not in level:
                parent_level = level_of(group.parent) if group.parent else -1
                after_level = max((level_of(g) for g in group.after), default=-1)
                level[group.id] = max(parent_level, after_level) + 1
            return level[group.id]

        by_level: dict[int, list[FetchGroup]] = {}
        for group in groups:
            by_level.setdefault(level_of(group), []).append(group)
        steps: list[PlanNode] = []
        for depth in sorted(by_level):
            fetches = self._merge_level(by_level[depth])
            steps.append(fetches[0] if len(fetches) == 1 else ParallelNode(list(fetches)))
        return _simplify(SequenceNode(steps))

    def _merge_level(self, groups: list[FetchGroup]) -> list[FetchNode]:
        """One fetch per subgraph per level: entity groups of one subgraph are merged."""
        fetches: list[FetchNode] = []
        entity_groups: dict[str, list[FetchGroup]] = {}
        for group in groups:
            if group.entity:
                entity_groups.setdefault(group.subgraph, []).append(group)
            else:
                fetches.append(self._root_fetch(group))
        for subgraph, members in entity_groups.items():
            fetches.append(self._entity_fetch(subgraph, members))
        return fetches

    def _operation_name(self, subgraph: str) -> str | None:
        if self.name is None:
            return None
        return f"{self.name}__{subgraph}__{next(self._fetch_counter)}"

    def _variable_definitions(self, names: list[str]) -> str:
        definitions = {d.variable.name.value: d for d in self.operation.variable_definitions or ()}
        printed = [print_ast(definitions[name]) for name in names if name in definitions]
        return f"({', '.join(printed)})" if printed else ""

    def _root_fetch(self, group: FetchGroup) -> FetchNode:
        selection_ast = group.selections.to_ast()
        names = used_variables(selection_ast)
        operation_name = self._operation_name(group.subgraph)
        head = self.kind + (f" {operation_name}" if operation_name else "")
        document = f"{head}{self._variable_definitions(names)} {print_ast(selection_ast)}"
        return FetchNode(group.subgraph, self.kind, group.selections, names, _compact(document))

    def _entity_fetch(self, subgraph: str, members: list[FetchGroup]) -> FetchNode:
        selections = SelectionSet()
        inputs: dict[str, SelectionSet] = {}
        targets: list[EntityTarget] = []
        for group in members:
            selections.merge(group.selections)
            for type_name, fields in group.inputs.items():
                shape = inputs.setdefault(type_name, SelectionSet())
                for selection in fields:
                    shape.add_field(
                        FieldSelection(
                            selection.name,
                            selection.alias,
                            (),
                            (),
                            copy_selections(selection.selections),
                        )
                    )
            targets.append(EntityTarget(group.path, dict(group.accepts)))
        selection_ast = selections.to_ast()
        names = used_variables(selection_ast)
        operation_name = self._operation_name(subgraph)
        definitions = self._variable_definitions(names)
        variables = "$representations: [_Any!]!" + (", " + definitions[1:-1] if definitions else "")
        document = (
            f"query{' ' + operation_name if operation_name else ''}({variables}) "
            f"{{ _entities(representations: $representations) {print_ast(selection_ast)} }}"
        )
        return FetchNode(subgraph, "query", selections, names, _compact(document), targets, inputs)


def _simplify(node: SequenceNode) -> PlanNode | None:
    if not node.nodes:
        return None
    if len(node.nodes) == 1:
        return node.nodes[0]
    return node


def _compact(document: str) -> str:
    return " ".join(document.split())
