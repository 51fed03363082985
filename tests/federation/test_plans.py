"""Our plans against the plans Apollo Gateway recorded, for interface-typed fields that a
subgraph holding the interface as an @interfaceObject answers.

The differential test compares answers; for these operations the plan itself is the
feature (the interface's owner is asked for each item's concrete type, and only when
the selection needs it), so the plans must be Apollo's too: the same fetches, in the same
sequence, at the same paths, with the same selections and representations (see
:mod:`tests.federation.plans` for what "the same" ignores). No Apollo process runs here:
Apollo's plans are those recorded in ``corpus/apollo_responses.json``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import parse

from gateway.federation.composition import compose
from gateway.federation.plan_printer import print_plan
from gateway.federation.planner import QueryPlanner
from gateway.federation.supergraph import Supergraph
from tests.federation.corpus import APOLLO_RESPONSES_PATH, OPERATIONS, Operation
from tests.federation.plans import apollo_plan, our_plan
from tests.federation.topology import SUBGRAPHS, subgraph_sdl

PLANNED = [operation for operation in OPERATIONS if "interface-object-field" in operation.tags]


@pytest.fixture(scope="module")
def planner() -> QueryPlanner:
    placeholder = {name: f"http://{name}.invalid/graphql" for name in SUBGRAPHS}
    composed = compose({name: (placeholder[name], subgraph_sdl(name)) for name in SUBGRAPHS})
    return QueryPlanner(Supergraph(composed))


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    operations: dict[str, Any] = json.loads(APOLLO_RESPONSES_PATH.read_text(encoding="utf-8"))[
        "operations"
    ]
    return operations


def test_the_corpus_has_interface_object_fields_in_every_shape() -> None:
    tags = {tag for operation in PLANNED for tag in operation.tags}

    assert len(PLANNED) >= 6
    assert {"lists", "alias", "deep-nesting", "typename", "fragment-inline"} <= tags


@pytest.mark.parametrize("operation", PLANNED, ids=[op.name for op in PLANNED])
def test_same_plan_as_apollo_gateway(
    operation: Operation, planner: QueryPlanner, recorded: dict[str, Any]
) -> None:
    theirs = recorded[operation.name]["queryPlan"]
    plan = planner.plan(parse(operation.query), operation.operation_name)

    assert our_plan(plan) == apollo_plan(theirs), f"ours:\n{print_plan(plan)}\nApollo's:\n{theirs}"


def test_apollo_plans_are_read_whole() -> None:
    text = """QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        x { __typename id }
      }
    },
    Flatten(path: "x") {
      Fetch(service: "b") {
        {
          ... on X { __typename id }
        } =>
        {
          ... on X { y }
        }
      },
    },
  },
}"""

    assert apollo_plan(text) == (
        "Sequence",
        (
            ("Fetch", "a", "{ x { __typename id } }"),
            (
                "Flatten",
                ("x",),
                ("Fetch", "b", "{ ... on X { y } }", "{ ... on X { __typename id } }"),
            ),
        ),
    )
