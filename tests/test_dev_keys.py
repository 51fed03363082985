"""Development JWT keys: generated once per data directory, even by commands started
together, so that every process verifies the tokens any of them mints."""

from __future__ import annotations

import stat
import subprocess
import sys
import time
from pathlib import Path

from domains.kit.config import Settings
from shopgraph.backends import ensure_jwt_keys

ROOT = Path(__file__).resolve().parents[1]

# Waits for a shared moment, so that every process finds no keys and generates at once.
KEYS_AT = """
import sys, time
from domains.kit.config import Settings
from shopgraph.backends import ensure_jwt_keys
settings = Settings.from_env({"APP_ENV": "development", "SHOPGRAPH_DATA_DIR": sys.argv[1]})
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print(ensure_jwt_keys(settings).jwt_public_key, end="")
"""


def test_commands_started_together_share_one_key_pair(tmp_path: Path) -> None:
    start_at = str(time.time() + 3.0)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", KEYS_AT, str(tmp_path), start_at],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]

    assert [process.returncode for process in processes] == [0] * 6, outputs
    public_keys = {stdout for stdout, _ in outputs}
    assert len(public_keys) == 1
    on_disk = (tmp_path / "jwt" / "public.pem").read_text()
    assert public_keys == {on_disk}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["jwt"]  # no staging left


def test_the_private_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    settings = Settings.from_env({"APP_ENV": "development", "SHOPGRAPH_DATA_DIR": str(tmp_path)})

    first = ensure_jwt_keys(settings)
    again = ensure_jwt_keys(settings)

    mode = stat.S_IMODE((tmp_path / "jwt" / "private.pem").stat().st_mode)
    assert mode == 0o600
    assert first.jwt_public_key == again.jwt_public_key
    assert first.jwt_private_key == again.jwt_private_key
