"""Planning `@defer`: one operation split into a primary plan and deferred sub-plans.

The primary plan answers the operation without its deferred fragments, and fetches, in
their place, the `__typename` and @key fields of the object each deferred fragment sits
on. Each deferred fragment gets a plan of its own that starts from those objects: one
`_entities` fetch per subgraph it needs, resolving from the primary result's entity
representations (a fragment on a root type gets an ordinary root plan). So the first
part waits for no deferred fetch, and each deferred part waits only for its own.

`@defer(if: false)` is no deferral. A deferred fragment inside another one is delivered
with the outer one. A fragment on an object the supergraph cannot fetch again by a key
(no @key, an abstract type) is answered with the primary part, as the incremental
delivery proposal allows. Subgraphs never see `@defer`: every document they are sent is
planned from a document without it.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLDeferDirective,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    is_list_type,
    is_non_null_type,
    print_ast,
)
from graphql.execution.values import VariableValues, get_directive_values
from graphql.language import Visitor, visit

from gateway.federation.fetch_groups import FetchGroup, PlanAssembler
from gateway.federation.introspection import October2021Schema
from gateway.federation.operations import select_operation
from gateway.federation.per_document import PerDocument
from gateway.federation.plan import Path, PlanningError, QueryPlan
from gateway.federation.planner import QueryPlanner, _Planning
from gateway.federation.selections import FieldSelection, SelectionSet
from gateway.federation.supergraph import Supergraph

DEFER = GraphQLDeferDirective.name
# Key fields the primary plan fetches for a deferred fragment are aliased, so they can
# never clash with a field the client selected under the same response key.
_KEY_ALIAS = "__sg_defer_"


def with_defer(schema: GraphQLSchema) -> GraphQLSchema:
    """The API schema declaring `@defer`, to validate documents against: graphql-core's
    rules then check it (not on a mutation's or subscription's root fields, labels
    static and unique). The gateway introspects and executes the schema without it."""
    if schema.get_directive(DEFER) is not None:
        return schema
    kwargs = schema.to_kwargs()
    kwargs["directives"] = (*schema.directives, GraphQLDeferDirective)
    declared = GraphQLSchema(**kwargs)
    return October2021Schema(declared) if isinstance(schema, October2021Schema) else declared


def _finds_defer(document: DocumentNode) -> bool:
    found = _DeferFinder()
    visit(document, found)
    return found.found


has_defer = PerDocument(_finds_defer)
"""Whether the document uses `@defer` anywhere (walked once per document object)."""


def without_defer(document: DocumentNode) -> DocumentNode:
    """The same document with every `@defer` removed: answered all at once."""
    result: DocumentNode = visit(document, _DeferRemover())
    return result


@dataclass(frozen=True)
class DeferredFragment:
    """One deferred fragment of an operation, and the plan that fetches it."""

    label: str | None
    # Where its objects are in the response: response keys, "@" for every list item.
    path: Path
    type_name: str
    # The fragment's selections, fragment spreads written out, nested @defer removed.
    selection_set: SelectionSetNode
    # The fragment itself, for its @skip/@include.
    node: SelectionNode
    plan: QueryPlan


@dataclass(frozen=True)
class DeferredPlan:
    """The primary plan (its operation is what the first part shows) and the rest."""

    primary: QueryPlan
    deferred: list[DeferredFragment]


class DeferPlanner:
    """Splits operations with `@defer`; cached per document, operation and `if` values."""

    def __init__(
        self,
        supergraph: Supergraph,
        schema: GraphQLSchema,
        planner: QueryPlanner,
        *,
        cache_size: int = 500,
    ) -> None:
        self.supergraph = supergraph
        self.schema = schema
        self.planner = planner
        self._cache: OrderedDict[tuple[str, str | None, tuple[bool, ...]], DeferredPlan] = (
            OrderedDict()
        )
        self._cache_size = cache_size

    def plan(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: VariableValues | None = None,
    ) -> DeferredPlan:
        switches = _DeferSwitches(variables)
        visit(document, switches)
        key = (print_ast(document), operation_name, tuple(switches.values))
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        split = _Splitter(self, document, operation_name, variables).split()
        self._cache[key] = split
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return split


class _Splitter:
    """One walk over the operation that writes the primary documents and plans each
    deferred fragment."""

    def __init__(
        self,
        owner: DeferPlanner,
        document: DocumentNode,
        operation_name: str | None,
        variables: VariableValues | None,
    ) -> None:
        self.owner = owner
        self.supergraph = owner.supergraph
        self.schema = owner.schema
        self.operation = select_operation(document, operation_name)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = variables
        self.deferred: list[DeferredFragment] = []
        self._counter = itertools.count()

    def split(self) -> DeferredPlan:
        root = self.schema.get_root_type(self.operation.operation)
        assert root is not None
        shown, planned = self._rewrite(self.operation.selection_set, root.name, ())
        planning_operation = replace(self.operation, selection_set=planned)
        primary = self.owner.planner.plan(
            DocumentNode(definitions=(planning_operation,)),
            self.operation.name.value if self.operation.name else None,
        )
        shown_operation = replace(self.operation, selection_set=shown)
        # The first part is shaped from the operation as the client sees it without the
        # deferred fragments; the key fields fetched for them stay out of it.
        primary = replace(primary, operation=shown_operation, fragments={})
        return DeferredPlan(primary, self.deferred)

    def _rewrite(
        self, selection_set: SelectionSetNode, type_name: str, path: Path
    ) -> tuple[SelectionSetNode, SelectionSetNode]:
        """This selection set as the first part shows it, and as the primary plan fetches it."""
        shown: list[SelectionNode] = []
        planned: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set is None:
                    shown.append(selection)
                    planned.append(selection)
                    continue
                child_type, child_path = self._field_step(type_name, selection, path)
                inner_shown, inner_planned = self._rewrite(
                    selection.selection_set, child_type, child_path
                )
                shown.append(replace(selection, selection_set=inner_shown))
                planned.append(replace(selection, selection_set=inner_planned))
                continue
            condition, directives, inner = self._fragment_parts(selection, type_name)
            kept = tuple(d for d in directives if d.name.value != DEFER)
            defer = self._active_defer(selection)
            if defer is not None:
                key_fragment = self._defer(selection, defer, condition, kept, inner, path)
                if key_fragment is not None:
                    planned.append(key_fragment)
                    continue
            inner_shown, inner_planned = self._rewrite(inner, condition, path)
            shown.append(_inline(condition, kept, inner_shown))
            planned.append(_inline(condition, kept, inner_planned))
        return SelectionSetNode(selections=tuple(shown)), SelectionSetNode(
            selections=tuple(planned)
        )

    def _field_step(self, type_name: str, node: FieldNode, path: Path) -> tuple[str, Path]:
        parent = self.schema.get_type(type_name)
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if definition is None:
            raise PlanningError(f'Cannot query field "{node.name.value}" on type "{type_name}".')
        field_type = definition.type
        steps = [node.alias.value if node.alias else node.name.value]
        while is_non_null_type(field_type) or is_list_type(field_type):
            if is_list_type(field_type):
                steps.append("@")
            field_type = field_type.of_type
        return get_named_type(field_type).name, (*path, *steps)

    def _fragment_parts(
        self, selection: SelectionNode, type_name: str
    ) -> tuple[str, tuple[DirectiveNode, ...], SelectionSetNode]:
        if isinstance(selection, FragmentSpreadNode):
            fragment = self.fragments.get(selection.name.value)
            if fragment is None:
                raise PlanningError(f'Unknown fragment "{selection.name.value}".')
            condition = fragment.type_condition.name.value
            return condition, tuple(selection.directives or ()), fragment.selection_set
        assert isinstance(selection, InlineFragmentNode)
        condition = selection.type_condition.name.value if selection.type_condition else type_name
        return condition, tuple(selection.directives or ()), selection.selection_set

    def _active_defer(self, selection: SelectionNode) -> dict[str, Any] | None:
        values = get_directive_values(GraphQLDeferDirective, selection, self.variables)
        if values is None or values.get("if") is False:
            return None
        return values

    def _defer(
        self,
        selection: SelectionNode,
        defer: dict[str, Any],
        type_name: str,
        kept: tuple[DirectiveNode, ...],
        inner: SelectionSetNode,
        path: Path,
    ) -> InlineFragmentNode | None:
        """Plan a deferred fragment on its own; return what the primary plan fetches in
        its place (its objects' keys), or None to answer it with the primary part."""
        flat = self._flatten(inner, type_name)
        info = self.supergraph.types.get(type_name)
        if info is None:
            return None
        try:
            if type_name in self.supergraph.root_types.values():
                plan, keys = self._root_plan(flat), SelectionSet()
            elif info.is_abstract or not info.is_entity:
                return None
            else:
                plan, keys = _EntityDeferral(
                    self.supergraph, self.operation, type_name, path, flat, next(self._counter)
                ).build_deferred()
        except PlanningError:
            return None
        label = defer.get("label")
        self.deferred.append(
            DeferredFragment(
                label if isinstance(label, str) else None,
                path,
                type_name,
                flat,
                selection,
                plan,
            )
        )
        keys.add_field(FieldSelection("__typename"))
        return _inline(type_name, kept, keys.to_ast())

    def _root_plan(self, selections: SelectionSetNode) -> QueryPlan:
        operation = OperationDefinitionNode(
            operation=self.operation.operation,
            name=None,
            variable_definitions=self.operation.variable_definitions,
            directives=(),
            selection_set=selections,
        )
        return self.owner.planner.plan(DocumentNode(definitions=(operation,)))

    def _flatten(self, selection_set: SelectionSetNode, type_name: str) -> SelectionSetNode:
        """Fragment spreads written out as inline fragments; nested @defer removed."""
        flat: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set is None:
                    flat.append(selection)
                else:
                    child_type, _ = self._field_step(type_name, selection, ())
                    inner = self._flatten(selection.selection_set, child_type)
                    flat.append(replace(selection, selection_set=inner))
                continue
            condition, directives, inner = self._fragment_parts(selection, type_name)
            kept = tuple(d for d in directives if d.name.value != DEFER)
            flat.append(_inline(condition, kept, self._flatten(inner, condition)))
        return SelectionSetNode(selections=tuple(flat))


class _EntityDeferral(_Planning):
    """The plan of one deferred fragment on an entity: root groups are `_entities`
    fetches whose representations come from the primary result."""

    def __init__(
        self,
        supergraph: Supergraph,
        operation: OperationDefinitionNode,
        type_name: str,
        path: Path,
        selections: SelectionSetNode,
        number: int,
    ) -> None:
        name = f"{operation.name.value}__defer{number}" if operation.name else None
        synthetic = OperationDefinitionNode(
            operation=OperationType.QUERY,
            name=NameNode(value=name) if name else None,
            variable_definitions=operation.variable_definitions,
            directives=(),
            selection_set=selections,
        )
        super().__init__(supergraph, DocumentNode(definitions=(synthetic,)), name)
        self.entity_type = type_name
        self.path = path
        self.selections = selections

    def build_deferred(self) -> tuple[QueryPlan, SelectionSet]:
        supergraph, type_name = self.supergraph, self.entity_type
        roots: dict[str, FetchGroup] = {}
        for selection in self.selections.selections:
            if isinstance(selection, FieldNode) and selection.name.value == "__typename":
                continue
            subgraph = self._subgraph_for(selection, roots)
            group = roots.get(subgraph)
            if group is None:
                group = FetchGroup(subgraph, self.path, entity=True, parent=None)
                roots[subgraph] = group
            out = group.selections.fragment(type_name).selections
            self._plan_selections(group, type_name, [selection], self.path, out, None)
        keys = SelectionSet()
        for subgraph, group in roots.items():
            key = supergraph.resolvable_key(type_name, subgraph)
            if key is None:
                raise PlanningError(f"{type_name} has no resolvable @key in {subgraph}.")
            group.accepts[type_name] = type_name
            group.add_input(type_name, FieldSelection("__typename"))
            for item in SelectionSet.from_ast(key.selection):
                assert isinstance(item, FieldSelection)
                aliased = replace(item, alias=_KEY_ALIAS + item.name)
                group.add_input(type_name, keys.add_field(aliased))
        for group in (g for root in roots.values() for g in (root, *root.descendants())):
            group.selections.resolve_conflicts()
        node = PlanAssembler(self.operation).assemble(list(roots.values()))
        return QueryPlan(self.operation, {}, type_name, node, []), keys

    def _subgraph_for(self, selection: SelectionNode, roots: Mapping[str, FetchGroup]) -> str:
        supergraph, type_name = self.supergraph, self.entity_type
        with_key = [g for g in supergraph.types[type_name].graphs if g in roots] + [
            g
            for g in supergraph.types[type_name].graphs
            if supergraph.resolvable_key(type_name, g) is not None
        ]
        if isinstance(selection, FieldNode):
            field_info = supergraph.types[type_name].fields.get(selection.name.value)
            if field_info is None:
                raise PlanningError(
                    f'Cannot query field "{selection.name.value}" on type "{type_name}".'
                )
            resolvers = supergraph.resolvers_of(type_name, selection.name.value)
            for graph in with_key:
                if graph in resolvers:
                    return graph
        if not with_key:
            raise PlanningError(f"{type_name} has no resolvable @key.")
        return with_key[0]


def _inline(
    type_name: str, directives: tuple[DirectiveNode, ...], selection_set: SelectionSetNode
) -> InlineFragmentNode:
    return InlineFragmentNode(
        type_condition=NamedTypeNode(name=NameNode(value=type_name)),
        directives=directives,
        selection_set=selection_set,
    )


class _DeferFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_directive(self, node: DirectiveNode, *_args: object) -> Any:
        if node.name.value == DEFER:
            self.found = True
            return Visitor.BREAK
        return None


class _DeferRemover(Visitor):
    def enter_directive(self, node: DirectiveNode, *_args: object) -> Any:
        return Visitor.REMOVE if node.name.value == DEFER else None


class _DeferSwitches(Visitor):
    """The `if` of every @defer in document order: what a cached split depends on."""

    def __init__(self, variables: VariableValues | None) -> None:
        super().__init__()
        self.variables = variables
        self.values: list[bool] = []

    def enter_inline_fragment(self, node: InlineFragmentNode, *_args: object) -> None:
        self._note(node)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: object) -> None:
        self._note(node)

    def _note(self, node: SelectionNode) -> None:
        values = get_directive_values(GraphQLDeferDirective, node, self.variables)
        if values is not None:
            self.values.append(values.get("if") is not False)
