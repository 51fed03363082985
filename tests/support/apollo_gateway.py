"""Run Apollo Gateway, the reference federated gateway, from Python tests.

Our gateway must answer every operation as Apollo's does (save the few cases where
Apollo is known to be wrong; the corpus marks them). This harness starts the real
thing, ``tools/apollo-gateway/gateway.mjs`` (``@apollo/gateway`` on ``@apollo/server``,
exact versions pinned by that directory's lockfile), serving a supergraph, so a
differential test can send both gateways the same operation.

Node.js is found, and the npm packages installed, exactly as for composition (see
:mod:`tests.support.apollo`), except that Apollo Server 5 needs node >= 20.

    with serve_subgraphs(SUBGRAPHS) as urls:  # tests.support.subgraph_servers
        supergraph = supergraph_with_urls(supergraph_sdl(), urls)
        with run_apollo_gateway(supergraph) as gateway_url:
            body = query_apollo(gateway_url, "{ me { name } }")

POSIX only, like the composition harness.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import httpx

from tests.support.apollo import REPO_ROOT, default_toolchain, ensure_npm_packages

TOOLS_DIR = REPO_ROOT / "tools" / "apollo-gateway"
GATEWAY_SCRIPT = TOOLS_DIR / "gateway.mjs"

# @apollo/server 5 declares engines.node ">=20".
MIN_NODE_MAJOR = 20
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
QUERY_TIMEOUT_S = 30.0

# Variables that would make Apollo Server report usage or schemas to GraphOS, or
# change its defaults (NODE_ENV=production turns off introspection, among others).
_SCRUBBED_ENV = ("APOLLO_KEY", "APOLLO_GRAPH_REF", "APOLLO_GRAPH_ID", "APOLLO_GRAPH_VARIANT")
_SCRUBBED_ENV_PREFIXES = ("APOLLO_SCHEMA_REPORTING", "APOLLO_USAGE_REPORTING")

_READY_LINE = re.compile(r"READY (\d+)")


def ensure_apollo_gateway_tools(toolchain: tuple[str, str] | None = None) -> Path:
    """Install tools/apollo-gateway's pinned npm packages if needed; return that dir.

    ``npm ci`` runs only when node_modules was not installed from the current
    package-lock.json, under a file lock so parallel test processes install once.
    """
    return ensure_npm_packages(TOOLS_DIR, toolchain, min_node_major=MIN_NODE_MAJOR)


@contextlib.contextmanager
def run_apollo_gateway(
    supergraph_sdl: str,
    *,
    subgraph_timeout_ms: int | None = None,
    toolchain: tuple[str, str] | None = None,
) -> Iterator[str]:
    """Serve ``supergraph_sdl`` with Apollo Gateway; yield its URL, ``http://127.0.0.1:PORT/``.

    Subgraphs are reached at the supergraph's own ``@join__graph`` URLs (see
    :func:`tests.support.subgraph_servers.supergraph_with_urls`). ``subgraph_timeout_ms``
    bounds each subgraph request. The gateway is stopped (SIGTERM, then SIGKILL) when the
    block exits; if it fails to start, RuntimeError carries the end of its stderr.
    """
    toolchain = toolchain or default_toolchain(MIN_NODE_MAJOR)
    ensure_apollo_gateway_tools(toolchain)
    node = toolchain[0]
    with tempfile.TemporaryDirectory(prefix="shopgraph-apollo-gateway-") as tmp:
        supergraph_path = Path(tmp) / "supergraph.graphql"
        supergraph_path.write_text(supergraph_sdl, encoding="utf-8")
        cmd = [node, str(GATEWAY_SCRIPT), "--port", "0", "--supergraph", str(supergraph_path)]
        if subgraph_timeout_ms is not None:
            cmd += ["--subgraph-timeout-ms", str(subgraph_timeout_ms)]
        stderr_path = Path(tmp) / "stderr.log"
        with stderr_path.open("w", encoding="utf-8") as stderr:
            proc = subprocess.Popen(
                cmd,
                cwd=TOOLS_DIR,
                env=_gateway_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                encoding="utf-8",
            )
            try:
                port = _wait_for_ready(proc, stderr_path)
                yield f"http://127.0.0.1:{port}/"
            finally:
                _stop(proc)


def _gateway_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _SCRUBBED_ENV and not key.startswith(_SCRUBBED_ENV_PREFIXES)
    }
    env.pop("NODE_ENV", None)
    return env


def _wait_for_ready(proc: subprocess.Popen[str], stderr_path: Path) -> int:
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    # A reader thread rather than select(): it also keeps draining stdout after READY,
    # so the gateway never blocks on a full pipe.
    threading.Thread(
        target=_pump, args=(proc.stdout, lines), name="apollo-gateway-stdout", daemon=True
    ).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=READY_TIMEOUT_S)
        except queue.Empty:
            raise RuntimeError(
                f"Apollo Gateway printed no READY line within {READY_TIMEOUT_S}s"
                + _diagnostics(seen, stderr_path)
            ) from None
        if line is None:
            raise RuntimeError(
                f"Apollo Gateway exited ({proc.wait()}) before it was ready"
                + _diagnostics(seen, stderr_path)
            )
        match = _READY_LINE.fullmatch(line.strip())
        if match:
            return int(match.group(1))
        seen.append(line)


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _diagnostics(stdout_lines: list[str], stderr_path: Path) -> str:
    stderr = stderr_path.read_text(encoding="utf-8", errors="replace").strip()
    tail = "\n".join(stderr.splitlines()[-40:])
    stdout = "".join(stdout_lines[-10:]).strip()
    return f"\nstderr:\n{tail}" + (f"\nstdout:\n{stdout}" if stdout else "")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT_S)
    if proc.stdout is not None:
        proc.stdout.close()


# ------------------------------------------------------------------------- queries


def post_graphql(
    url: str,
    query: str,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    client: httpx.Client | None = None,
) -> httpx.Response:
    """POST one GraphQL request as JSON; the raw response, whatever its status.

    ``variables`` and ``operation_name`` are left out of the body when None. Pass a
    ``client`` to reuse connections across many requests.
    """
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = dict(variables)
    if operation_name is not None:
        body["operationName"] = operation_name
    request_headers = {"content-type": "application/json", **(headers or {})}
    if client is not None:
        return client.post(url, json=body, headers=request_headers, timeout=QUERY_TIMEOUT_S)
    return httpx.post(url, json=body, headers=request_headers, timeout=QUERY_TIMEOUT_S)


def query_apollo(
    url: str,
    query: str,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Send one operation to a gateway at ``url``; its JSON response body.

    Apollo answers some failures (validation, bad variables) with HTTP 400 and a
    GraphQL body; those bodies are returned like any other. A body that is not a
    JSON object raises RuntimeError. Use :func:`post_graphql` to see the status too.
    """
    response = post_graphql(url, query, variables, operation_name, headers, client=client)
    try:
        body = response.json()
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"gateway answered HTTP {response.status_code} with a non-JSON body: "
            f"{response.text[:500]!r}"
        ) from exc
    if not isinstance(body, dict):
        raise RuntimeError(f"gateway answered with JSON {type(body).__name__}, not an object")
    return body
