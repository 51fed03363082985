"""Debian's Chromium for the browser tests: found, else installed with apt-get when the
tests run as root (a fresh machine has none until the project installs it)."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest

# Serialises installs between test processes (pytest-xdist workers).
_INSTALL_LOCK = Path(__file__).resolve().parents[2] / ".data" / ".chromium-install.lock"


def chromium() -> str:
    """The path of Chromium: CHROMIUM_PATH, else on PATH, else installed now; skips the
    test only where it cannot be installed (not root, or no apt-get)."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        assert Path(configured).exists(), f"CHROMIUM_PATH={configured} does not exist"
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip("needs Chromium: `apt-get install chromium` (not root, so not installed here)")
    _INSTALL_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with _INSTALL_LOCK.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        if shutil.which("chromium") is None:
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
            if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode:
                subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600)
                done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
                assert done.returncode == 0, (
                    f"apt-get install chromium failed:\n{done.stderr[-2000:]}"
                )
    found = shutil.which("chromium")
    assert found is not None
    return found
