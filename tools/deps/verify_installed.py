"""Check that .venv holds exactly what uv.lock says: `pip freeze` against the lock.

Every locked package that applies to this interpreter and platform (markers evaluated)
must be installed at its locked version, and nothing else may be, apart from the
project itself (installed editable). pip is locked too (pip-audit needs it), so the
venv's bootstrap copy is replaced by the locked one.

    python tools/deps/verify_installed.py     # exit 0: equal; 1: the differences
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def locked() -> dict[str, str]:
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    exported = subprocess.run(  # noqa: S603 - uv from our own environment
        [
            uv,
            *("export", "--frozen", "--all-extras", "--no-emit-project", "--no-hashes"),
            *("--no-annotate", "--no-header", "--format", "requirements-txt"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wanted: dict[str, str] = {}
    for line in exported.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        (specifier,) = requirement.specifier
        wanted[canonicalize_name(requirement.name)] = specifier.version
    return wanted


def frozen() -> dict[str, str]:
    lines = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    installed: dict[str, str] = {}
    for line in lines:
        name, _, version = line.partition("==")
        if version:
            installed[canonicalize_name(name)] = version
    return installed


def main() -> int:
    wanted, installed = locked(), frozen()
    missing = sorted(set(wanted) - set(installed))
    extra = sorted(set(installed) - set(wanted))
    different = sorted(n for n in set(wanted) & set(installed) if wanted[n] != installed[n])
    for name in missing:
        print(f"  missing: {name}=={wanted[name]}")
    for name in extra:
        print(f"  not in the lock: {name}=={installed[name]}")
    for name in different:
        print(f"  {name}: installed {installed[name]}, locked {wanted[name]}")
    if missing or extra or different:
        print("deps: .venv differs from uv.lock (./task re-syncs when uv.lock changes)")
        return 1
    print(f"deps: pip freeze equals uv.lock ({len(installed)} packages, exact versions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
