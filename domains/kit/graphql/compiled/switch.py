"""Which executor a schema's operation runs on: compiled (the default) or graphql-core's.

The choice is made per call, by whoever executes the schema (`LocalSubgraph.execute` and
the subgraph's HTTP endpoint, from the GRAPHQL_COMPILED setting; the differential tests,
both ways), so a schema object shared by the whole process holds no such setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_compiled_execution: ContextVar[bool] = ContextVar("compiled_execution", default=True)


def compiled_execution_enabled() -> bool:
    return _compiled_execution.get()


@contextmanager
def compiled_execution(enabled: bool) -> Iterator[None]:
    """Operations executed inside the block run compiled, or not."""
    token = _compiled_execution.set(enabled)
    try:
        yield
    finally:
        _compiled_execution.reset(token)
