"""The committed event contracts under schema/events match the code."""

from __future__ import annotations

from shopgraph.cli import event_schema_files


def test_committed_event_schemas_match_the_code() -> None:
    files = event_schema_files()

    assert files, "no domain publishes events"
    for path, content in files.items():
        assert path.exists(), f"{path} is missing: run `./task schema` and commit it"
        assert path.read_text() == content, f"{path} is stale: run `./task schema`"
