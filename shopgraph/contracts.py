"""The committed contracts under schema/, generated from the code: subgraph SDLs, the
composed supergraph and API schema, and the JSON Schema of every published event."""

from __future__ import annotations

import sys
from pathlib import Path

from shopgraph.registry import DOMAINS, domain, load

SCHEMA_DIR = Path("schema")


def subgraph_sdl(name: str) -> str:
    """The SDL a gateway reads from `_service { sdl }`: federation directives, no _entities."""
    schema = load(f"{domain(name).package}.graphql.schema:schema")
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.errors is None, result.errors
    return str(result.data["_service"]["sdl"]).strip() + "\n"


def subgraph_files() -> dict[Path, str]:
    """schema/subgraphs/<name>.graphql: every domain's subgraph SDL."""
    return {
        SCHEMA_DIR / "subgraphs" / f"{entry.name}.graphql": subgraph_sdl(entry.name)
        for entry in DOMAINS
    }


def event_schema_files() -> dict[Path, str]:
    """schema/events/<Name>.v<version>.json: the JSON Schema of every published event."""
    import json

    from domains.kit.events import json_schema
    from shopgraph.registry import published_events

    return {
        SCHEMA_DIR / "events" / f"{event.name}.v{event.version}.json": json.dumps(
            json_schema(event), indent=2
        )
        + "\n"
        for events in published_events().values()
        for event in events
    }


def supergraph_files() -> dict[Path, str]:
    """The committed contracts: the supergraph and the client-facing API schema."""
    from graphql import print_schema

    from gateway.federation.supergraph import Supergraph
    from shopgraph.platform import compose_platform, domain_specs

    supergraph_sdl = compose_platform(domain_specs())
    api_sdl = print_schema(Supergraph(supergraph_sdl).api_schema) + "\n"
    return {SCHEMA_DIR / "supergraph.graphql": supergraph_sdl, SCHEMA_DIR / "api.graphql": api_sdl}


def write_or_check(files: dict[Path, str], check: bool) -> int:
    """Write each file, or with `check` only report (exit status 1) those that are stale."""
    stale = []
    for path, content in files.items():
        if check:
            if not path.exists() or path.read_text() != content:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}; run `./task schema`", file=sys.stderr)
        return 1
    return 0
