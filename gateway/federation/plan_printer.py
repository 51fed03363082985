"""Query plans as text, in the shape Apollo prints them (for `shopgraph plan`)."""

from __future__ import annotations

from gateway.federation.defer import DeferredPlan
from gateway.federation.plan import FetchNode, ParallelNode, PlanNode, QueryPlan, SequenceNode


def print_plan(plan: QueryPlan) -> str:
    lines = ["QueryPlan {"]
    if plan.node is not None:
        _print(plan.node, 1, lines)
    if plan.introspection:
        lines.append(
            "  # introspection answered by the gateway: "
            + ", ".join(node.name.value for node in plan.introspection)
        )
    lines.append("}")
    return "\n".join(lines)


def print_deferred_plan(split: DeferredPlan) -> str:
    """The primary plan, then each deferred fragment's own plan, as Apollo prints a
    `Defer { Primary {...}, [Deferred(...)] }` node."""
    lines = ["QueryPlan {", "  Defer {", "    Primary {"]
    lines.extend("    " + line for line in print_plan(split.primary).splitlines()[1:-1])
    lines.append("    },")
    for fragment in split.deferred:
        label = f'label: "{fragment.label}", ' if fragment.label is not None else ""
        path = ".".join(fragment.path) or "(root)"
        lines.append(f'    Deferred({label}path: "{path}", type: {fragment.type_name}) {{')
        lines.extend("    " + line for line in print_plan(fragment.plan).splitlines()[1:-1])
        lines.append("    },")
    lines.extend(["  },", "}"])
    return "\n".join(lines)


def _print(node: PlanNode, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if isinstance(node, (SequenceNode, ParallelNode)):
        lines.append(f"{pad}{'Sequence' if isinstance(node, SequenceNode) else 'Parallel'} {{")
        for child in node.nodes:
            _print(child, depth + 1, lines)
        lines.append(f"{pad}}},")
        return
    _print_fetch(node, depth, lines)


def _print_fetch(fetch: FetchNode, depth: int, lines: list[str]) -> None:
    pad = "  " * depth
    if fetch.is_entity_fetch:
        paths = ", ".join('"' + ".".join(target.path) + '"' for target in fetch.targets)
        lines.append(f"{pad}Flatten(path{'s' if len(fetch.targets) > 1 else ''}: {paths}) {{")
        lines.append(f'{pad}  Fetch(service: "{fetch.subgraph}") {{')
        lines.append(f"{pad}    {fetch.document}")
        lines.append(f"{pad}  }},")
        lines.append(f"{pad}}},")
        return
    lines.append(f'{pad}Fetch(service: "{fetch.subgraph}") {{')
    lines.append(f"{pad}  {fetch.document}")
    lines.append(f"{pad}}},")


def plan_as_dict(plan: QueryPlan) -> dict[str, object]:
    return {"text": print_plan(plan), "fetches": plan.fetch_count()}
