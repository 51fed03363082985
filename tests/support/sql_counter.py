"""Counting the SQL statements a piece of work sends, for query-count tests (the
`sql_counter` fixture of tests/conftest.py installs one on the test run's engine)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from domains.kit.resources import Resources


class SqlCounter:
    """Counts SQL statements sent through the engine while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@contextmanager
def statements_sent(resources: Resources) -> Iterator[list[str]]:
    """The SQL statements sent through `resources`' engine while the block runs."""
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = resources.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
