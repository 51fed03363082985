"""Query planning: one client operation -> the subgraph fetches that answer it.

The planner walks the operation once. Every field stays in the subgraph that is already
fetching its parent when that subgraph can resolve it (directly, as a @shareable copy,
or because a @provides on the way in says so); otherwise the planner jumps: it adds the
entity's `__typename` and @key fields to the current fetch and asks a subgraph that
resolves the field through `_entities`, after first planning any @requires fields into
the current fetch. Jumps to the same subgraph at the same response path share one fetch
group, and at execution every entity fetch of one subgraph at one plan level becomes a
single `_entities` call, so a plan costs one request per subgraph per level.

Plans are Apollo-shaped (Sequence / Parallel / Fetch / Flatten) and cached per document
and operation name.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    ListTypeNode,
    NonNullTypeNode,
    SelectionNode,
    SelectionSetNode,
    print_ast,
)
from graphql.language import TypeNode
from opentelemetry import trace

from gateway.federation.fetch_groups import FetchGroup, PlanAssembler
from gateway.federation.interface_objects import (
    held_as_interface_object,
    owner_of,
    split_selections,
)
from gateway.federation.operations import select_operation
from gateway.federation.per_document import PerDocument
from gateway.federation.plan import Path, PlanningError, QueryPlan
from gateway.federation.selections import (
    FieldSelection,
    FragmentSelection,
    SelectionSet,
    copy_selections,
)
from gateway.federation.supergraph import EntityKey, Supergraph
from gateway.tracing import tracing_on

tracer = trace.get_tracer("shopgraph.gateway")
INTROSPECTION_FIELDS = ("__schema", "__type")


# Plans are cached by the document's text, so that equal documents share one; printed
# once per document object (the same object comes back for the same request text).
_printed = PerDocument(print_ast)


class QueryPlanner:
    def __init__(self, supergraph: Supergraph, *, cache_size: int = 1000) -> None:
        self.supergraph = supergraph
        self._cache: OrderedDict[tuple[str, str | None], QueryPlan] = OrderedDict()
        self._cache_size = cache_size

    def plan(self, document: DocumentNode, operation_name: str | None = None) -> QueryPlan:
        key = (_printed(document), operation_name)
        if not tracing_on() and (cached := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return cached
        with tracer.start_as_current_span("gateway plan") as span:
            cached = self._cache.get(key)
            span.set_attribute("shopgraph.plan.cached", cached is not None)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            plan = _Planning(self.supergraph, document, operation_name).build()
            span.set_attribute("shopgraph.plan.fetches", plan.fetch_count())
        self._cache[key] = plan
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return plan


def list_depth(node: TypeNode) -> int:
    depth = 0
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        if isinstance(node, ListTypeNode):
            depth += 1
        node = node.type
    return depth


class _Planning:
    def __init__(
        self, supergraph: Supergraph, document: DocumentNode, operation_name: str | None
    ) -> None:
        self.supergraph = supergraph
        self.operation = select_operation(document, operation_name)
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        kind = self.operation.operation.value
        if kind not in supergraph.root_types:
            raise PlanningError(f"The schema has no {kind} type.")
        self.kind = kind
        self.root_type = supergraph.root_types[kind]
        self.name = self.operation.name.value if self.operation.name else None
        self._fetch_counter = itertools.count()
        # Entity groups reached while planning a jump's key or @requires fields.
        self._touched: list[set[FetchGroup]] = []

    # -- building ----------------------------------------------------------------------

    def build(self) -> QueryPlan:
        introspection: list[FieldNode] = []
        root_selections: list[SelectionNode] = []
        for selection in self._flatten_root(self.operation.selection_set):
            if isinstance(selection, FieldNode) and selection.name.value in INTROSPECTION_FIELDS:
                introspection.append(selection)
            else:
                root_selections.append(selection)
        roots: list[FetchGroup] = []
        for selection in root_selections:
            if isinstance(selection, FieldNode) and selection.name.value == "__typename":
                continue  # answered by the gateway: the root type's name
            assert isinstance(selection, FieldNode)
            subgraph = self._root_subgraph(selection, roots)
            if self.kind == "mutation":
                # Top-level mutation fields run strictly in order: a new group unless the
                # previous field went to the same subgraph.
                group = roots[-1] if roots and roots[-1].subgraph == subgraph else None
            else:
                group = next((g for g in roots if g.subgraph == subgraph), None)
            if group is None:
                group = FetchGroup(subgraph, (), entity=False, parent=None)
                roots.append(group)
            self._plan_selections(group, self.root_type, [selection], (), group.selections, None)
        for group in (g for root in roots for g in (root, *root.descendants())):
            group.selections.resolve_conflicts()
        node = PlanAssembler(self.operation).assemble(roots)
        return QueryPlan(self.operation, self.fragments, self.root_type, node, introspection)

    def _flatten_root(self, selection_set: SelectionSetNode) -> list[SelectionNode]:
        """Root fields with root-level fragments spread in (directives kept on fields)."""
        flat: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                flat.append(selection)
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise PlanningError(f'Unknown fragment "{selection.name.value}".')
                inner, directives = fragment.selection_set, selection.directives
            else:
                assert isinstance(selection, InlineFragmentNode)
                inner, directives = selection.selection_set, selection.directives
            for child in self._flatten_root(inner):
                if directives and isinstance(child, FieldNode):
                    child = FieldNode(
                        alias=child.alias,
                        name=child.name,
                        arguments=child.arguments,
                        directives=(*(child.directives or ()), *directives),
                        selection_set=child.selection_set,
                    )
                flat.append(child)
        return flat

    def _root_subgraph(self, selection: FieldNode, roots: list[FetchGroup]) -> str:
        resolvers = self.supergraph.resolvers_of(self.root_type, selection.name.value)
        if not resolvers:
            raise PlanningError(f"No subgraph resolves {self.root_type}.{selection.name.value}.")
        if self.kind != "mutation":
            for group in roots:
                if group.subgraph in resolvers:
                    return group.subgraph
        return resolvers[0]

    # -- walking selections ------------------------------------------------------------

    def _plan_selections(
        self,
        group: FetchGroup,
        type_name: str,
        selections: list[SelectionNode] | tuple[SelectionNode, ...],
        path: Path,
        out: SelectionSet,
        provided: SelectionSet | None,
    ) -> None:
        for selection in selections:
            if isinstance(selection, FieldNode):
                self._plan_field(group, type_name, selection, path, out, provided)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                self._plan_fragment(
                    group,
                    type_name,
                    condition,
                    tuple(selection.directives or ()),
                    selection.selection_set,
                    path,
                    out,
                    provided,
                )
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    raise PlanningError(f'Unknown fragment "{selection.name.value}".')
                self._plan_fragment(
                    group,
                    type_name,
                    fragment.type_condition.name.value,
                    tuple(selection.directives or ()),
                    fragment.selection_set,
                    path,
                    out,
                    provided,
                )

    def _plan_fragment(
        self,
        group: FetchGroup,
        type_name: str,
        condition: str | None,
        directives: tuple[DirectiveNode, ...],
        selection_set: SelectionSetNode,
        path: Path,
        out: SelectionSet,
        provided: SelectionSet | None,
    ) -> None:
        supergraph = self.supergraph
        current = supergraph.types[type_name]
        always_applies = (
            condition is None
            or condition == type_name
            or (not current.is_abstract and type_name in supergraph.possible_types(condition))
        )
        if always_applies:
            target = out.fragment(None, directives).selections if directives else out
            self._plan_selections(
                group, type_name, selection_set.selections, path, target, provided
            )
            return
        if not current.is_abstract or condition is None:
            return  # an object type that can never match the condition
        if supergraph.knows_type(group.subgraph, condition):
            fragment = out.fragment(condition, directives)
            self._plan_selections(
                group, condition, selection_set.selections, path, fragment.selections, provided
            )
            if supergraph.types[condition].is_abstract:
                fragment.selections.add_field(FieldSelection("__typename"))
            return
        # The subgraph does not know the condition type: it can still return objects of
        # the condition's possible types that it does know.
        possible_here = set(supergraph.possible_types(type_name, group.subgraph))
        for object_type in supergraph.possible_types(condition):
            if object_type in possible_here:
                fragment = out.fragment(object_type, directives)
                self._plan_selections(
                    group,
                    object_type,
                    selection_set.selections,
                    path,
                    fragment.selections,
                    provided,
                )

    def _plan_field(
        self,
        group: FetchGroup,
        type_name: str,
        node: FieldNode,
        path: Path,
        out: SelectionSet,
        provided: SelectionSet | None,
    ) -> None:
        supergraph = self.supergraph
        name = node.name.value
        if name == "__typename":
            out.add_field(_field_selection(node, None))
            return
        info = supergraph.types[type_name]
        if name not in info.fields:
            raise PlanningError(f'Cannot query field "{name}" on type "{type_name}".')
        provided_field = _find_field(provided, name)
        if provided_field is not None:
            self._plan_local_field(group, type_name, node, path, out, provided_field)
            return
        if supergraph.can_resolve(group.subgraph, type_name, name):
            source = info.fields[name].sources.get(group.subgraph)
            if source is not None and source.requires is not None:
                # Resolvable here, but only once the required fields are known: fetch it
                # again from this same subgraph through _entities, after them.
                self._plan_jump(
                    group, type_name, node, path, out, provided, targets=[group.subgraph]
                )
            else:
                self._plan_local_field(group, type_name, node, path, out, None)
            return
        if info.is_abstract and not self._entity_route(group, type_name, name):
            # Not resolvable on the interface as such here: ask per concrete type.
            for object_type in supergraph.possible_types(type_name, group.subgraph):
                fragment = out.fragment(object_type)
                self._plan_field(group, object_type, node, path, fragment.selections, None)
            out.add_field(self._internal("__typename"))
            return
        self._plan_jump(group, type_name, node, path, out, provided)

    def _entity_route(self, group: FetchGroup, type_name: str, field_name: str) -> bool:
        """Whether an entity interface can be jumped from as a whole for this field."""
        return any(
            self.supergraph.keys_for_jump(type_name, group.subgraph, target) is not None
            for target in self.supergraph.resolvers_of(type_name, field_name)
        )

    def _plan_local_field(
        self,
        group: FetchGroup,
        type_name: str,
        node: FieldNode,
        path: Path,
        out: SelectionSet,
        provided_field: FieldSelection | None,
    ) -> None:
        field_info = self.supergraph.field(type_name, node.name.value)
        if node.selection_set is None:
            out.add_field(_field_selection(node, None))
            return
        child_type = field_info.named_type
        response_key = node.alias.value if node.alias else node.name.value
        child_path = (*path, response_key, *("@",) * list_depth(field_info.type_node))
        source = field_info.sources.get(group.subgraph)
        if provided_field is not None:
            child_provided = provided_field.selections
        elif source is not None and source.provides is not None:
            child_provided = SelectionSet.from_ast(source.provides)
        else:
            child_provided = None
        sub = SelectionSet()
        selections = node.selection_set.selections
        if held_as_interface_object(self.supergraph, group.subgraph, child_type):
            self._plan_interface_object(
                group, child_type, selections, child_path, sub, child_provided
            )
        else:
            if self.supergraph.types[child_type].is_abstract:
                sub.add_field(self._internal("__typename"))
            self._plan_selections(group, child_type, selections, child_path, sub, child_provided)
        out.add_field(_field_selection(node, sub))

    def _plan_interface_object(
        self,
        group: FetchGroup,
        interface: str,
        selections: tuple[SelectionNode, ...],
        path: Path,
        out: SelectionSet,
        provided: SelectionSet | None,
    ) -> None:
        """An interface-typed field this subgraph holds as an @interfaceObject: what
        needs the concrete type is asked of the interface's owner (see
        :mod:`gateway.federation.interface_objects`)."""
        split = split_selections(
            self.supergraph, group.subgraph, interface, selections, self.fragments
        )
        if split.owner:
            owner, key = owner_of(self.supergraph, interface, group.subgraph)
            child = group.child(owner, path)
            for touched in self._touched:
                touched.add(child)
            child.accepts[interface] = interface
            typename_field = out.add_field(self._internal("__typename"))
            self._touched.append(set())
            key_fields = self._prerequisites(
                group, interface, key.selection, path, out, provided, key=True
            )
            child.after.update(g for g in self._touched.pop() if g is not child)
            for selection in (typename_field, *key_fields):
                child.add_input(interface, selection)
            for directives, owner_selections in split.owner.items():
                entity_out = child.selections.fragment(interface, directives).selections
                entity_out.add_field(self._internal("__typename"))
                self._plan_selections(child, interface, owner_selections, path, entity_out, None)
        self._plan_selections(group, interface, split.local, path, out, provided)

    def _route(
        self, group: FetchGroup, type_name: str, field_name: str, targets: list[str] | None
    ) -> tuple[str, str, EntityKey]:
        """Pick the target subgraph, the type that owns the field there, and the key."""
        supergraph = self.supergraph
        owner = type_name
        candidates = (
            targets if targets is not None else supergraph.resolvers_of(type_name, field_name)
        )
        if not candidates and not supergraph.types[type_name].is_abstract:
            # Provided to this object type by an @interfaceObject through an interface.
            for interface in supergraph.interfaces_of(type_name):
                if field_name in supergraph.types[interface].fields:
                    found = supergraph.resolvers_of(interface, field_name)
                    if found:
                        owner, candidates = interface, found
                        break
        # Prefer a subgraph this group already jumps to at this path: one fetch, not two.
        existing = {subgraph for subgraph, _path in group.children}
        candidates = sorted(candidates, key=lambda graph: graph not in existing)
        for target in candidates:
            key = supergraph.keys_for_jump(owner, group.subgraph, target)
            if key is not None:
                return target, owner, key
        # No key this subgraph can provide: fetch the key fields first, from elsewhere.
        for target in candidates:
            key = supergraph.resolvable_key(owner, target)
            if key is not None:
                return target, owner, key
        raise PlanningError(
            f"No subgraph can resolve {type_name}.{field_name} from {group.subgraph}: "
            f"no @key of {owner} links them."
        )

    def _plan_jump(
        self,
        group: FetchGroup,
        type_name: str,
        node: FieldNode,
        path: Path,
        out: SelectionSet,
        provided: SelectionSet | None,
        *,
        targets: list[str] | None = None,
    ) -> None:
        supergraph = self.supergraph
        name = node.name.value
        target, owner, key = self._route(group, type_name, name, targets)
        child = group.child(target, path)
        for touched in self._touched:
            touched.add(child)
        interface_object = target in supergraph.types[owner].interface_object_graphs
        concrete = (
            supergraph.possible_types(type_name)
            if supergraph.types[type_name].is_abstract
            else [type_name]
        )
        for typename in concrete:
            child.accepts[typename] = owner if interface_object else typename
        representation_types = {child.accepts[t] for t in concrete}
        typename_field = out.add_field(self._internal("__typename"))
        # The jump waits for every fetch its key or required fields come from, whether
        # planned now or already there for other fields.
        self._touched.append(set())
        key_fields = self._prerequisites(
            group, type_name, key.selection, path, out, provided, key=True
        )
        requires = supergraph.field(owner, name).sources.get(target)
        required_fields: list[FieldSelection] = []
        if requires is not None and requires.requires is not None:
            required_fields = self._prerequisites(
                group, type_name, requires.requires, path, out, provided, key=False
            )
        child.after.update(g for g in self._touched.pop() if g is not child)
        for representation_type in representation_types:
            child.add_input(representation_type, typename_field)
            for selection in (*key_fields, *required_fields):
                child.add_input(representation_type, selection)
        fragment_type = owner if interface_object else type_name
        entity_out = child.selections.fragment(fragment_type)
        # The target resolves the field (its @requires are in the representation), so it
        # is planned as local there; its own sub-selection may jump further.
        self._plan_local_field(child, fragment_type, node, path, entity_out.selections, None)

    def _prerequisites(
        self,
        group: FetchGroup,
        type_name: str,
        selection: SelectionSetNode,
        path: Path,
        out: SelectionSet,
        provided: SelectionSet | None,
        *,
        key: bool,
    ) -> list[FieldSelection]:
        """Make the fields of a key or @requires available on the entity; return them.

        A field this subgraph resolves is added to its selection (aliased later if the
        client used the name for something else); any other is planned like a client
        field, through a jump, and read back from the merged entity by its name.
        """
        found: list[FieldSelection] = []
        for field_node in selection.selections:
            assert isinstance(field_node, FieldNode)
            name = field_node.name.value
            wanted = SelectionSet.from_ast(SelectionSetNode(selections=(field_node,)))
            wanted_field = next(iter(wanted))
            assert isinstance(wanted_field, FieldSelection)
            if key:
                # Key fields come with the entity, even where they are @external.
                single = SelectionSetNode(selections=(field_node,))
                here = self.supergraph.provides_fields(group.subgraph, type_name, single)
            else:
                # A value this subgraph @provides on the way in is used as it is.
                here = self._resolves_plainly(group.subgraph, type_name, name) or (
                    _find_field(provided, name) is not None
                )
            if here:
                found.append(self._add_internal(out, wanted_field))
            else:
                self._plan_field(group, type_name, field_node, path, out, None)
                found.append(wanted_field)
        return found

    def _resolves_plainly(self, subgraph: str, type_name: str, field_name: str) -> bool:
        if not self.supergraph.can_resolve(subgraph, type_name, field_name):
            return False
        source = self.supergraph.field(type_name, field_name).sources.get(subgraph)
        return source is None or source.requires is None

    def _internal(self, name: str) -> FieldSelection:
        return FieldSelection(name, internal=True)

    def _add_internal(self, out: SelectionSet, wanted: FieldSelection) -> FieldSelection:
        """Add a field the gateway needs (a key, a required field) to a selection."""
        candidate = FieldSelection(
            wanted.name, None, (), (), copy_selections(wanted.selections), internal=True
        )
        return out.add_field(candidate)


def _field_selection(node: FieldNode, selections: SelectionSet | None) -> FieldSelection:
    return FieldSelection(
        node.name.value,
        node.alias.value if node.alias else None,
        tuple(node.arguments or ()),
        tuple(node.directives or ()),
        selections,
    )


def _find_field(provided: SelectionSet | None, name: str) -> FieldSelection | None:
    if provided is None:
        return None
    for item in provided:
        if isinstance(item, FieldSelection) and item.name == name:
            return item
        if isinstance(item, FragmentSelection):
            found = _find_field(item.selections, name)
            if found is not None:
                return found
    return None
