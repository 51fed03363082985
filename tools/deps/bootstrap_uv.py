"""Install uv into the running interpreter's environment at the version uv.lock pins.

The lock is the only place a version is written: this reads uv's entry from it and hands
pip that exact version with every hash the lock records, so the installer itself is as
pinned and verified as what it installs. Nothing happens when that version is present.

    python tools/deps/bootstrap_uv.py uv.lock
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path


def locked_uv(lock_path: Path) -> tuple[str, list[str]]:
    lock = tomllib.loads(lock_path.read_text())
    for package in lock.get("package", []):
        if package["name"] == "uv":
            files = [*package.get("wheels", []), package.get("sdist", {})]
            hashes = [entry["hash"] for entry in files if entry.get("hash")]
            return package["version"], hashes
    raise SystemExit(f"bootstrap_uv: {lock_path} pins no uv (add it to the dev extra)")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: bootstrap_uv.py PATH/TO/uv.lock")
    version, hashes = locked_uv(Path(sys.argv[1]))
    try:
        if importlib.metadata.version("uv") == version:
            return
    except importlib.metadata.PackageNotFoundError:
        pass
    requirement = f"uv=={version} " + " ".join(f"--hash={digest}" for digest in hashes)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write(requirement + "\n")
        requirements.flush()
        subprocess.run(  # noqa: S603 - our own interpreter, a file we just wrote
            [
                sys.executable,
                *("-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                *("--require-hashes", "--no-deps", "-r", requirements.name),
            ],
            check=True,
        )


if __name__ == "__main__":
    main()
