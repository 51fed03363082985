"""The committed contracts under schema/ match the code, and compose under Apollo's tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopgraph.contracts import subgraph_sdl
from shopgraph.registry import DOMAINS
from tests.support.apollo import compose_with_apollo

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schema"


@pytest.mark.parametrize("name", [entry.name for entry in DOMAINS])
def test_committed_subgraph_sdl_matches_the_code(name: str) -> None:
    committed = (SCHEMA_DIR / "subgraphs" / f"{name}.graphql").read_text()

    assert committed == subgraph_sdl(name), (
        f"schema/subgraphs/{name}.graphql is stale: run `./task schema` and commit the result"
    )


@pytest.mark.slow
def test_subgraphs_compose_under_apollo_composition() -> None:
    subgraphs = {
        entry.name: (SCHEMA_DIR / "subgraphs" / f"{entry.name}.graphql").read_text()
        for entry in DOMAINS
    }

    result = compose_with_apollo(subgraphs)

    assert result.ok, result.report()
    assert result.supergraph_sdl is not None
    assert result.api_schema_sdl is not None
    assert "type User" in result.api_schema_sdl
    for entry in DOMAINS:
        assert f'@join__graph(name: "{entry.name}"' in result.supergraph_sdl


def test_committed_supergraph_and_api_schema_match_the_code() -> None:
    from shopgraph.contracts import supergraph_files

    for path, content in supergraph_files().items():
        assert path.read_text() == content, f"{path.name} is stale: run `./task schema`"
