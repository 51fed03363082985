"""Imports point one way, so any domain can be lifted out as its own service.

- domains/kit imports nothing from a domain, the gateway or the platform runtime;
- a domain imports only itself and domains/kit (another domain is reached through
  federation entities and events, never a function call);
- the gateway imports no domain code (it learns subgraphs from configuration).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_NAMES = sorted(
    path.name for path in (ROOT / "domains").iterdir() if (path / "__init__.py").exists()
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def _violations(package: Path, allowed: set[str], forbidden_roots: set[str]) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        for module in sorted(_imports(path)):
            parts = module.split(".")
            if parts[0] not in forbidden_roots:
                continue
            prefix = ".".join(parts[:2]) if parts[0] == "domains" else parts[0]
            if prefix not in allowed:
                found.append(f"{path.relative_to(package.parent)} imports {module}")
    return found


def test_kit_depends_on_no_domain() -> None:
    forbidden = {"domains", "gateway", "shopgraph"}
    assert _violations(ROOT / "domains" / "kit", {"domains.kit"}, forbidden) == []


@pytest.mark.parametrize("name", [name for name in DOMAIN_NAMES if name != "kit"])
def test_domain_imports_only_itself_and_the_kit(name: str) -> None:
    allowed = {f"domains.{name}", "domains.kit"}
    assert _violations(ROOT / "domains" / name, allowed, {"domains", "gateway", "shopgraph"}) == []


def test_gateway_imports_no_domain() -> None:
    gateway = ROOT / "gateway"
    if not any(gateway.rglob("*.py")):
        pytest.skip("no gateway code yet")
    assert _violations(gateway, set(), {"domains", "shopgraph"}) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("from domains.users.service import account\nimport domains.orders\n")

    assert _violations(tmp_path, {"domains.kit"}, {"domains"}) == [
        f"{tmp_path.name}/leaky.py imports domains.orders",
        f"{tmp_path.name}/leaky.py imports domains.users.service",
    ]
