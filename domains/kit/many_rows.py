"""Many rows in one statement that is compiled once.

`insert(table).values([row, row, ...])` is a statement SQLAlchemy cannot cache: its
cache key would have to hold every row, so it compiles it anew on each execution, and
that compile cost more CPU than anything else a saga consumer did per event. Here the
rows travel as one array per column, zipped back into rows by Postgres's `unnest`: the
statement text is the same for any number of rows, so it is built and compiled once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.dialects.postgresql.dml import Insert
from sqlalchemy.sql.selectable import TableValuedAlias


class ManyRows:
    """Rows of the `columns` of a table (or a mapped class's), as a FROM clause named
    `name` and as the parameters that fill it. `name` prefixes the parameters, so that
    two sets of rows can share a statement (as data-modifying CTEs do)."""

    def __init__(self, of: Table | type[Any], columns: Sequence[str], *, name: str) -> None:
        # The Core table, not the mapped class: an ORM insert given parameters is taken
        # for a bulk insert of objects.
        table: Table = of if isinstance(of, Table) else of.__table__
        self.table = table
        self.columns = list(columns)
        self.name = name
        self.rows: TableValuedAlias = (
            func.unnest(
                *(
                    bindparam(self._parameter(column), type_=ARRAY(table.c[column].type))
                    for column in self.columns
                )
            )
            .table_valued(*self.columns)
            .render_derived(name=name, with_types=False)
        )

    def _parameter(self, column: str) -> str:
        return f"{self.name}_{column}"

    def insert(self) -> Insert:
        """INSERT INTO the table SELECT the rows."""
        return insert(self.table).from_select(
            self.columns, select(*(self.rows.c[column] for column in self.columns))
        )

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
        """The statement's parameters for `rows`, each a mapping of every column."""
        return {self._parameter(column): [row[column] for row in rows] for column in self.columns}
