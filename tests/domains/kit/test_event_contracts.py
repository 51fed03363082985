"""The committed event contracts under schema/events match the code."""

from __future__ import annotations

import json
from typing import Any

from domains.kit.events import Event, json_schema
from shopgraph.contracts import event_schema_files


def test_committed_event_schemas_match_the_code() -> None:
    files = event_schema_files()

    assert files, "no domain publishes events"
    for path, content in files.items():
        assert path.exists(), f"{path} is missing: run `./task schema` and commit it"
        assert path.read_text() == content, f"{path} is stale: run `./task schema`"


def _fits(reader: dict[str, Any], published: dict[str, Any], where: str) -> list[str]:
    """Where a reader's schema asks for more than the producer's schema promises."""
    problems: list[str] = []
    if "items" in reader and "items" in published:
        return _fits(reader["items"], published["items"], f"{where}[]")
    if "anyOf" in reader or "anyOf" in published or "properties" not in reader:
        return [] if reader == published or "properties" not in reader else [where]
    promised = published.get("properties", {})
    always = set(published.get("required", []))
    for name, schema in reader["properties"].items():
        if name not in promised:
            problems.append(f"{where}.{name} is not published")
            continue
        if name in reader.get("required", []) and name not in always:
            problems.append(f"{where}.{name} is required but may be missing")
        problems += _fits(schema, promised[name], f"{where}.{name}")
    return problems


def _consumed_readers() -> list[type[Event]]:
    from shopgraph.registry import consumed_events

    return [reader for readers in consumed_events().values() for reader in readers]


def test_every_consumer_reads_only_what_the_producer_publishes() -> None:
    readers = _consumed_readers()
    files = {path.name: json.loads(content) for path, content in event_schema_files().items()}

    assert readers, "no domain consumes events"
    for reader in readers:
        file_name = f"{reader.name}.v{reader.version}.json"
        assert file_name in files, f"{reader.__module__}.{reader.__name__}: nobody publishes it"
        problems = _fits(json_schema(reader), files[file_name], reader.name)
        assert problems == [], f"{reader.__module__}.{reader.__name__}: {problems}"
