"""LOG_LEVEL sets the lowest level a `shopgraph` process logs, uvicorn's access line per
request included, in a real subgraph process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from domains.kit.config import Settings
from tests.support.processes import command_env, free_port

ROOT = Path(__file__).resolve().parents[2]


def _log_of_one_request(settings: Settings, tmp_path: Path, level: str | None) -> str:
    port = free_port()
    env = command_env(settings, tmp_path)
    env.pop("LOG_LEVEL", None)
    if level is not None:
        env["LOG_LEVEL"] = level
    log = tmp_path / f"subgraph-{level}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "shopgraph.cli", "subgraph", "users", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            answer = httpx.post(f"{url}/graphql", json={"query": "{ _service { sdl } }"})
            assert answer.status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=30)
    return log.read_text()


@pytest.mark.parametrize(("level", "access_line"), [(None, True), ("WARNING", False)])
def test_the_access_line_follows_log_level(
    settings: Settings, tmp_path: Path, level: str | None, access_line: bool
) -> None:
    text = _log_of_one_request(settings, tmp_path, level)

    assert ('"POST /graphql HTTP/1.1" 200' in text) is access_line, text
