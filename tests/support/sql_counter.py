"""Counting the SQL statements a piece of work sends, for query-count tests (the
`sql_counter` fixture of tests/conftest.py installs one on the test run's engine)."""

from __future__ import annotations


class SqlCounter:
    """Counts SQL statements sent through the engine while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()
