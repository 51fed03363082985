"""Imports point one way, so any domain can be lifted out as its own service.

Between packages:

- domains/kit imports nothing from a domain, the gateway or the platform runtime;
- a domain imports only itself and domains/kit (another domain is reached through
  federation entities and events, never a function call);
- the gateway imports no domain code (it learns subgraphs from configuration).

Inside a domain, the layers run graphql -> service -> repository -> models, and no
module imports a layer above its own (skipping a layer downwards is allowed: a dataloader
in graphql/ batches straight through a repository). A module's layer comes from its path
inside the domain package:

- entry: anything under graphql/, and app.py, consumers.py, sweeper.py and seed.py. They
  are where a request, an event, a timer or the seed command comes in, so they may
  import every layer and nothing imports them but another entry point;
- service: a module named service.py or inside a services/ package (search/service.py);
- repository: a module named repository.py or inside a repositories/ package
  (search/repository.py);
- models: models.py;
- leaves: events.py, errors.py, config.py and cache.py, which every layer may import. A
  leaf imports only models (events.py names the event tables) and other leaves;
- any other module (a provider client, a worker, a pure helper) may import every layer
  but the entry points.

Relative imports are resolved against the importing module's package and checked by the
same rules as absolute ones.

Every module under domains/ and gateway/ (migrations aside) is at most 600 lines and
opens with a docstring saying what it holds.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_NAMES = sorted(
    path.name for path in (ROOT / "domains").iterdir() if (path / "__init__.py").exists()
)

ENTRY_MODULES = {"app.py", "consumers.py", "sweeper.py", "seed.py"}
LEAF_MODULES = {"events.py", "errors.py", "config.py", "cache.py"}
# Higher imports lower, never the reverse; leaves and other modules have rules of their own.
RANK = {"models": 0, "repository": 1, "service": 2, "entry": 3}


def _module_name(path: Path, root: Path) -> str:
    """The dotted name of `path` (a file outside `root` is named by its stem alone)."""
    relative = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    parts = relative.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_path(name: str, root: Path) -> Path | None:
    """The file of module `name` in the tree under `root`, if it is one of ours."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, by its absolute dotted name.

    A relative import is resolved against the package of `path` (its module name taken
    relative to `root`). `from package import name` also counts as an import of
    `package.name` when that is a module of the tree, so `from domains.carts import
    events` is seen as importing events.py.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                module = node.module
            else:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            modules.add(module)
            for alias in node.names:
                if _module_path(f"{module}.{alias.name}", root) is not None:
                    modules.add(f"{module}.{alias.name}")
    return modules


def _violations(
    package: Path, allowed: set[str], forbidden_roots: set[str], root: Path = ROOT
) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        for module in sorted(_imports(path, root)):
            parts = module.split(".")
            if parts[0] not in forbidden_roots:
                continue
            prefix = ".".join(parts[:2]) if parts[0] == "domains" else parts[0]
            if prefix not in allowed:
                found.append(f"{path.relative_to(package.parent)} imports {module}")
    return found


def _layer(parts: tuple[str, ...]) -> str | None:
    """The layer of a module, from its path inside its domain package (None: no layer)."""
    if parts[0] == "graphql" or parts in {(name,) for name in ENTRY_MODULES}:
        return "entry"
    if parts[-1] == "service.py" or "services" in parts[:-1]:
        return "service"
    if parts[-1] == "repository.py" or "repositories" in parts[:-1]:
        return "repository"
    if parts == ("models.py",):
        return "models"
    if parts in {(name,) for name in LEAF_MODULES}:
        return "leaf"
    return None


def _steps_up(importer: str | None, imported: str | None) -> bool:
    if importer in RANK and imported in RANK:
        return RANK[imported] > RANK[importer]
    if importer == "leaf":
        return imported not in {"leaf", "models"}
    if importer is None:
        return imported == "entry"
    return False  # a layer importing a leaf or a module of no layer


def _layer_violations(domain: Path, root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(domain.rglob("*.py")):
        parts = path.relative_to(domain).parts
        if parts[0] == "migrations":
            continue
        importer = _layer(parts)
        for module in sorted(_imports(path, root)):
            target = _module_path(module, root)
            # `from domains.<name> import events` names the domain package too: it holds no code.
            if target is None or not target.is_relative_to(domain) or target == path:
                continue
            if target == domain / "__init__.py":
                continue
            imported = _layer(target.relative_to(domain).parts)
            if _steps_up(importer, imported):
                found.append(
                    f"{path.relative_to(domain.parent)} ({importer or 'no layer'}) imports "
                    f"{module} ({imported})"
                )
    return found


def test_kit_depends_on_no_domain() -> None:
    forbidden = {"domains", "gateway", "shopgraph"}
    assert _violations(ROOT / "domains" / "kit", {"domains.kit"}, forbidden) == []


@pytest.mark.parametrize("name", [name for name in DOMAIN_NAMES if name != "kit"])
def test_domain_imports_only_itself_and_the_kit(name: str) -> None:
    allowed = {f"domains.{name}", "domains.kit"}
    assert _violations(ROOT / "domains" / name, allowed, {"domains", "gateway", "shopgraph"}) == []


@pytest.mark.parametrize("name", [name for name in DOMAIN_NAMES if name != "kit"])
def test_domain_layers_import_only_downwards(name: str) -> None:
    assert _layer_violations(ROOT / "domains" / name) == []


def test_gateway_imports_no_domain() -> None:
    gateway = ROOT / "gateway"
    if not any(gateway.rglob("*.py")):
        pytest.skip("no gateway code yet")
    assert _violations(gateway, set(), {"domains", "shopgraph"}) == []


MAX_MODULE_LINES = 600


def _module_shape_problems(package: Path) -> list[str]:
    """Modules over MAX_MODULE_LINES, or with code but no opening docstring naming their
    concept (empty package markers and Alembic migrations aside)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.relative_to(package).parts:
            continue
        text = path.read_text()
        name = path.relative_to(package.parent)
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            found.append(f"{name}: {lines} lines")
        if text.strip() and ast.get_docstring(ast.parse(text)) is None:
            found.append(f"{name}: no docstring")
    return found


@pytest.mark.parametrize("package", ["domains", "gateway"])
def test_modules_are_small_and_say_what_they_hold(package: str) -> None:
    assert _module_shape_problems(ROOT / package) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("from domains.users.service import account\nimport domains.orders\n")

    assert _violations(tmp_path, {"domains.kit"}, {"domains"}) == [
        f"{tmp_path.name}/leaky.py imports domains.orders",
        f"{tmp_path.name}/leaky.py imports domains.users.service",
    ]


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_checker_resolves_relative_imports(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "domains/__init__.py": "",
            "domains/kit/__init__.py": "",
            "domains/kit/db.py": "",
            "domains/orders/__init__.py": "",
            "domains/orders/service.py": "",
            "domains/shop/__init__.py": "",
            "domains/shop/graphql/__init__.py": "",
            "domains/shop/graphql/types.py": "from ..service import shop\n"
            "from ...kit import db\n"
            "from ...orders import service\n",
            "domains/shop/service.py": "shop = None\n",
        },
    )
    shop = tmp_path / "domains" / "shop"

    assert _imports(shop / "graphql" / "types.py", tmp_path) == {
        "domains.shop.service",
        "domains.kit",
        "domains.kit.db",
        "domains.orders",
        "domains.orders.service",
    }
    assert _violations(shop, {"domains.shop", "domains.kit"}, {"domains"}, tmp_path) == [
        "shop/graphql/types.py imports domains.orders",
        "shop/graphql/types.py imports domains.orders.service",
    ]


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "domains/__init__.py": "",
            "domains/shop/__init__.py": "",
            "domains/shop/models.py": "",
            "domains/shop/errors.py": "",
            "domains/shop/events.py": "from domains.shop import models\n",
            "domains/shop/repositories/__init__.py": "",
            "domains/shop/repositories/carts.py": "from ..services.carts import cart_service\n"
            "from domains.shop import errors, models\n",
            "domains/shop/services/__init__.py": "",
            "domains/shop/services/carts.py": "from domains.shop.repositories import carts\n"
            "from domains.shop.graphql.types import Cart\n",
            "domains/shop/graphql/__init__.py": "",
            "domains/shop/graphql/types.py": "from ..services import carts\n"
            "from ..repositories.carts import cart_repository\n",
            "domains/shop/config.py": "from domains.shop.repositories.carts import limit\n",
            "domains/shop/pricing.py": "from domains.shop import services\n"
            "from domains.shop.graphql import types\n",
        },
    )

    assert _layer_violations(tmp_path / "domains" / "shop", tmp_path) == [
        "shop/config.py (leaf) imports domains.shop.repositories.carts (repository)",
        "shop/pricing.py (no layer) imports domains.shop.graphql (entry)",
        "shop/pricing.py (no layer) imports domains.shop.graphql.types (entry)",
        "shop/repositories/carts.py (repository) imports domains.shop.services.carts (service)",
        "shop/services/carts.py (service) imports domains.shop.graphql.types (entry)",
    ]


def test_the_checker_sees_a_long_or_undocumented_module(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "shop/__init__.py": "",
            "shop/long.py": '"""Long."""\n' + "x = 1\n" * MAX_MODULE_LINES,
            "shop/bare.py": "x = 1\n",
            "shop/fine.py": '"""Fine."""\n' + "x = 1\n" * (MAX_MODULE_LINES - 1),
            "shop/migrations/env.py": "x = 1\n",
        },
    )

    assert _module_shape_problems(tmp_path / "shop") == [
        "shop/bare.py: no docstring",
        f"shop/long.py: {MAX_MODULE_LINES + 1} lines",
    ]
