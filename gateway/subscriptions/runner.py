"""A subscription through the gateway: a subscription to the subgraph that owns its root
field, and for every event the rest of the selection resolved by entity fetches.

The planner plans a subscription like a query: its first step is the root fetch (here a
`subscription` document to the owning subgraph), the later steps the entity fetches that
reach other subgraphs. The runner subscribes with the first step and, for each event the
subgraph sends, runs the later steps on that event and shapes the answer, so a
subscription may select fields from any subgraph.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.errors import graphql_error
from gateway.federation.executor import PlanExecutor
from gateway.federation.operations import PreparedOperation
from gateway.federation.plan import FetchNode, PlanningError, PlanNode, QueryPlan, SequenceNode
from gateway.federation.planner import QueryPlanner
from gateway.subscriptions.sources import SubscriptionSource
from gateway.transport.types import SubgraphUnavailable


@dataclass(frozen=True)
class SubscriptionPlan:
    plan: QueryPlan
    # The subscription sent to the subgraph that owns the root field.
    source: FetchNode
    # What each event still needs from other subgraphs.
    rest: PlanNode | None


def split_plan(plan: QueryPlan) -> SubscriptionPlan:
    node = plan.node
    if isinstance(node, FetchNode) and not node.is_entity_fetch:
        return SubscriptionPlan(plan, node, None)
    if isinstance(node, SequenceNode) and node.nodes:
        first = node.nodes[0]
        if isinstance(first, FetchNode) and not first.is_entity_fetch:
            later = node.nodes[1:]
            rest = later[0] if len(later) == 1 else SequenceNode(list(later))
            return SubscriptionPlan(plan, first, rest)
    raise PlanningError("A subscription must select exactly one root field from one subgraph.")


class SubscriptionRunner:
    def __init__(
        self,
        planner: QueryPlanner,
        executor: PlanExecutor,
        sources: Mapping[str, SubscriptionSource],
    ) -> None:
        self.planner = planner
        self.executor = executor
        self.sources = sources

    def plan(self, prepared: PreparedOperation) -> SubscriptionPlan:
        return split_plan(self.planner.plan(prepared.document, prepared.operation_name))

    async def events(
        self,
        planned: SubscriptionPlan,
        prepared: PreparedOperation,
        headers: Mapping[str, str],
    ) -> AsyncIterator[dict[str, Any]]:
        """Every event as the client's answer; a source that fails ends with an error."""
        source = planned.source
        variables = {
            name: prepared.variables[name]
            for name in source.variable_names
            if name in prepared.variables
        }
        events = self.sources[source.subgraph].subscribe(source.document, variables, headers)
        try:
            async for event in events:
                yield await self.executor.execute_event(
                    planned.plan,
                    planned.rest,
                    event,
                    source.subgraph,
                    prepared.variables,
                    prepared.coerced,
                    headers,
                )
        except SubgraphUnavailable as error:
            message = f'Subgraph "{source.subgraph}" failed: {error}.'
            code = graphql_error(message, "SUBGRAPH_ERROR", serviceName=source.subgraph)
            yield {"data": None, "errors": [code]}
        finally:
            await events.aclose()  # type: ignore[attr-defined]
