"""A small federation of in-memory Strawberry subgraphs, for testing gateways.

Five subgraphs (accounts, products, inventory, reviews, orders) that between them use
the Federation 2 features a gateway has to plan and execute around; each module's
docstring says which ones it carries. They are test fixtures, not domain code: the data
lives in :mod:`.data`, and :func:`reset` restores it (call it before each operation).

The subgraphs use the platform's FederatedSchema, so their errors look like those of
real Shopgraph subgraphs: expected failures keep their message and carry
``extensions.code``; anything else, including a null in a non-null field, becomes
"Internal server error." (logged with its traceback). Both gateways in a differential
test see the same subgraph responses, so this changes nothing about the comparison.

``SUBGRAPHS`` maps each subgraph name to its schema. ``SUPERGRAPH_PATH`` is their
composition by Apollo's own composition, committed, with placeholder URLs
``http://NAME.invalid/graphql``; regenerate it with
``python -m tests.federation.record --supergraph``. :func:`serve_topology` serves the
subgraphs over HTTP and gives the supergraph pointing at them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from strawberry.federation import Schema

from tests.federation.topology import accounts, inventory, orders, products, reviews
from tests.federation.topology.data import reset
from tests.support.subgraph_servers import RequestLog, serve_subgraphs, supergraph_with_urls

SUBGRAPHS: dict[str, Schema] = {
    "accounts": accounts.schema,
    "products": products.schema,
    "inventory": inventory.schema,
    "reviews": reviews.schema,
    "orders": orders.schema,
}

SUPERGRAPH_PATH = Path(__file__).with_name("supergraph.graphql")


def subgraph_sdl(name: str) -> str:
    """The SDL a subgraph reports through ``{ _service { sdl } }``, as composition reads it."""
    result = SUBGRAPHS[name].execute_sync("{ _service { sdl } }")
    if result.errors or result.data is None:
        raise RuntimeError(f"subgraph {name} cannot print its SDL: {result.errors}")
    sdl: str = result.data["_service"]["sdl"]
    return sdl


def supergraph_sdl() -> str:
    """The committed supergraph, with placeholder subgraph URLs."""
    return SUPERGRAPH_PATH.read_text(encoding="utf-8")


@dataclass(frozen=True)
class ServedTopology:
    urls: dict[str, str]  # subgraph name -> http://127.0.0.1:PORT/graphql
    supergraph_sdl: str  # the committed supergraph, pointing at those URLs
    request_log: RequestLog  # every request the subgraphs receive


@contextlib.contextmanager
def serve_topology() -> Iterator[ServedTopology]:
    """Serve every subgraph over HTTP (see :func:`serve_subgraphs`) until the block exits."""
    reset()
    request_log = RequestLog()
    with serve_subgraphs(SUBGRAPHS, request_log=request_log) as urls:
        yield ServedTopology(
            urls=urls,
            supergraph_sdl=supergraph_with_urls(supergraph_sdl(), urls),
            request_log=request_log,
        )


__all__ = [
    "SUBGRAPHS",
    "SUPERGRAPH_PATH",
    "ServedTopology",
    "reset",
    "serve_topology",
    "subgraph_sdl",
    "supergraph_sdl",
]
