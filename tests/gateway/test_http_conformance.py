"""The GraphQL-over-HTTP audit suite of `graphql-http` (npm) against our gateway.

The gateway is served by uvicorn over the test topology; `tools/graphql-http/audit.mjs`
runs `auditServer` twice: with the suite's own requests, and with every request carrying
`apollo-require-preflight` as a real client's GET does. Required: no MUST and no SHOULD
audit fails in either pass. The only audits allowed to fail are the MAY ones that send a
GET with a document and no preflight header, which the gateway refuses on purpose (a
cross-site page could make a browser send exactly that); with the header they pass.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.gateway.edge import REPO_ROOT, serve_app, topology_gateway
from tests.support.apollo import default_toolchain, ensure_npm_packages

pytestmark = pytest.mark.slow

TOOLS_DIR = REPO_ROOT / "tools" / "graphql-http"
# MAY: a GET with `query` and no preflight-forcing header (refused against CSRF).
UNPREFLIGHTED_GETS = {"5A70", "D6D5", "6A70"}


@pytest.fixture(scope="module")
def audit() -> dict[str, list[dict[str, Any]]]:
    toolchain = default_toolchain()
    ensure_npm_packages(TOOLS_DIR, toolchain)
    with serve_app(topology_gateway()) as base_url:
        process = subprocess.run(
            [toolchain[0], str(TOOLS_DIR / "audit.mjs"), f"{base_url}/graphql"],
            cwd=TOOLS_DIR,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert process.returncode == 0, process.stderr
    results: dict[str, list[dict[str, Any]]] = json.loads(process.stdout)
    return results


def _failing(results: list[dict[str, Any]], level: str) -> list[str]:
    return [
        f"{r['id']} {r['name']}: {r['reason']}"
        for r in results
        if r["name"].startswith(level) and r["status"] != "ok"
    ]


def _report(name: str, results: list[dict[str, Any]]) -> None:
    counts = {
        level: (
            sum(1 for r in results if r["name"].startswith(level)),
            len(_failing(results, level)),
        )
        for level in ("MUST", "SHOULD", "MAY")
    }
    summary = ", ".join(f"{level} {total - bad}/{total}" for level, (total, bad) in counts.items())
    print(f"\ngraphql-http audit ({name}): {summary} passed")


@pytest.mark.parametrize("run", ["plain", "preflighted"])
def test_no_must_and_no_should_audit_fails(audit: dict[str, Any], run: str) -> None:
    results = audit[run]
    _report(run, results)

    assert len(results) > 40
    assert _failing(results, "MUST") == []
    assert _failing(results, "SHOULD") == []


def test_only_unpreflighted_gets_fail_and_only_without_the_header(audit: dict[str, Any]) -> None:
    plain = {r["id"] for r in audit["plain"] if r["status"] != "ok"}
    preflighted = {r["id"] for r in audit["preflighted"] if r["status"] != "ok"}

    assert plain == UNPREFLIGHTED_GETS
    assert preflighted == set()
