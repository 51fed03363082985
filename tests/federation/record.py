"""Record Apollo Gateway's answers to the operation corpus.

    python -m tests.federation.record               # rewrite corpus/apollo_responses.json
    python -m tests.federation.record --supergraph  # recompose topology/supergraph.graphql first
    python -m tests.federation.record --check       # compare only; exit 1 on any difference

The topology is served over HTTP, Apollo Gateway runs on the committed supergraph, and
every operation of the corpus is sent once, after resetting the data. Each operation's
entry in the snapshot holds:

- ``status`` and ``body``: Apollo's HTTP status and JSON body, key order as sent;
- ``subgraphFetches``: how many requests each subgraph received for it;
- ``queryPlan``: Apollo's plan, pretty-printed (from a second run that asks for it with
  the ``Apollo-Query-Plan-Experimental`` header), or null when there is none (requests
  rejected before planning, introspection alone).

The responses are what a differential test compares against; the fetch counts and
plans are there to explain a difference, not to be matched exactly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.federation.corpus import APOLLO_RESPONSES_PATH, OPERATIONS, Operation
from tests.federation.topology import (
    SUBGRAPHS,
    SUPERGRAPH_PATH,
    ServedTopology,
    reset,
    serve_topology,
    subgraph_sdl,
)
from tests.support.apollo import compose_with_apollo
from tests.support.apollo_gateway import TOOLS_DIR, post_graphql, run_apollo_gateway
from tests.support.subgraph_servers import RequestLog

QUERY_PLAN_HEADER = "Apollo-Query-Plan-Experimental"
_QUERY_PLAN_EXTENSION = "__queryPlanExperimental"


@dataclass(frozen=True)
class LiveGateway:
    """A gateway (Apollo's or ours) serving the topology, and what its subgraphs received."""

    url: str
    client: httpx.Client
    request_log: RequestLog


@contextmanager
def live_apollo(topology: ServedTopology | None = None) -> Iterator[LiveGateway]:
    """Run Apollo Gateway over the topology until the block exits.

    Pass a topology already served to share it (and its request log) with another
    gateway; by default the topology is served just for this block.
    """
    with contextlib.ExitStack() as stack:
        if topology is None:
            topology = stack.enter_context(serve_topology())
        url = stack.enter_context(run_apollo_gateway(topology.supergraph_sdl))
        client = stack.enter_context(httpx.Client())
        yield LiveGateway(url=url, client=client, request_log=topology.request_log)


def compose_supergraph() -> str:
    """Compose the topology's subgraphs with Apollo's composition; the supergraph SDL."""
    result = compose_with_apollo({name: subgraph_sdl(name) for name in SUBGRAPHS})
    if not result.ok or result.supergraph_sdl is None:
        raise RuntimeError(f"the topology does not compose:\n{result.report()}")
    return result.supergraph_sdl


def apollo_versions() -> dict[str, str]:
    """The npm packages the reference gateway runs, as pinned in its package.json."""
    package = json.loads((TOOLS_DIR / "package.json").read_text(encoding="utf-8"))
    dependencies: dict[str, str] = package["dependencies"]
    return dict(sorted(dependencies.items()))


def record_operation(
    gateway: LiveGateway, operation: Operation, *, with_query_plan: bool = True
) -> dict[str, Any]:
    """Send one operation to a gateway on freshly reset data; its snapshot entry.

    Works for any gateway serving the topology, so a differential test gets its own
    gateway's answers in the snapshot's shape. Without ``with_query_plan`` (which only
    Apollo answers) the entry has no ``queryPlan`` and the operation is sent once.
    """
    reset()
    gateway.request_log.clear()
    response = _send(gateway, operation)
    entry: dict[str, Any] = {
        "status": response.status_code,
        "body": response.json(),
        "subgraphFetches": gateway.request_log.count_by_subgraph(),
    }
    if with_query_plan:
        # A second run: asking for the plan replaces the response's extensions.
        reset()
        planned = _send(gateway, operation, {QUERY_PLAN_HEADER: "1"}).json()
        plan = (planned.get("extensions") or {}).get(_QUERY_PLAN_EXTENSION)
        entry["queryPlan"] = plan if isinstance(plan, str) else None
    return entry


def record_corpus(
    gateway: LiveGateway, operations: list[Operation], *, with_query_plans: bool = True
) -> dict[str, dict[str, Any]]:
    """:func:`record_operation` for each operation, by name, in corpus order."""
    return {
        operation.name: record_operation(gateway, operation, with_query_plan=with_query_plans)
        for operation in operations
    }


def snapshot(records: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "about": "Apollo Gateway's answers to tests/federation/corpus/operations.toml; "
        "regenerate with `python -m tests.federation.record`.",
        "apollo": apollo_versions(),
        "operations": records,
    }


def dump_snapshot(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _send(
    gateway: LiveGateway, operation: Operation, headers: dict[str, str] | None = None
) -> httpx.Response:
    return post_graphql(
        gateway.url,
        operation.query,
        operation.variables,
        operation.operation_name,
        headers,
        client=gateway.client,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.federation.record", description=__doc__)
    parser.add_argument(
        "--supergraph", action="store_true", help="recompose topology/supergraph.graphql first"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if anything is stale"
    )
    args = parser.parse_args(argv)
    # The subgraphs log every masked error with its traceback; here those are the
    # corpus's deliberate failures, and the snapshot shows them anyway.
    logging.getLogger("shopgraph.graphql").setLevel(logging.CRITICAL)

    stale: list[str] = []
    if args.supergraph or args.check:
        composed = compose_supergraph()
        if composed != SUPERGRAPH_PATH.read_text(encoding="utf-8"):
            if args.check:
                stale.append(str(SUPERGRAPH_PATH))
            else:
                SUPERGRAPH_PATH.write_text(composed, encoding="utf-8")
                print(f"wrote {SUPERGRAPH_PATH}")

    with live_apollo() as apollo:
        text = dump_snapshot(snapshot(record_corpus(apollo, OPERATIONS)))
    current = (
        APOLLO_RESPONSES_PATH.read_text(encoding="utf-8") if APOLLO_RESPONSES_PATH.exists() else ""
    )
    if text != current:
        if args.check:
            stale.append(str(APOLLO_RESPONSES_PATH))
        else:
            APOLLO_RESPONSES_PATH.write_text(text, encoding="utf-8")
            print(f"wrote {APOLLO_RESPONSES_PATH} ({len(OPERATIONS)} operations)")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
