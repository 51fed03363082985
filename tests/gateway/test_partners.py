"""Partner API keys (real Postgres): a key runs only its manifest's operations.

Also the commands: `shopgraph partners create | list | revoke` and
`shopgraph operations register FILE`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import asyncpg
import pytest
from starlette.applications import Starlette

from domains.kit.config import Settings
from domains.kit.db import sqlalchemy_url
from domains.kit.resources import Resources
from gateway.partners import admin
from gateway.persisted.manifests import Manifest, register_operations, write_manifest
from shopgraph.cli import main
from tests.gateway.edge import client_of, topology_gateway

TOP = "query Top { topProducts(first: 2) { name } }"
FREE_FORM = "{ topProducts(first: 5) { name upc } }"


def _sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    schema = topology_gateway().state.gateway.schema
    manifest, _ = register_operations(Manifest("feed", {}), TOP, schema, origin="test")
    write_manifest(tmp_path / "feed.json", manifest)
    return tmp_path


@pytest.fixture
async def key(partners_table: Resources, manifests: Path) -> str:
    url = sqlalchemy_url(partners_table.settings.database_url or "")
    _, created = await admin.create_partner(url, "acme", "feed", {"feed"})
    return created


def _gateway(settings: Settings, manifests: Path) -> Starlette:
    return topology_gateway(
        manifests_dir=manifests,
        database_url=sqlalchemy_url(settings.database_url or ""),
        partner_cache_seconds=0,
    )


def _manifest_body(manifests: Path) -> str:
    """The manifest's text of TOP (printed canonically, so not byte-equal to TOP)."""
    body: str = json.loads((manifests / "feed.json").read_text())["operations"][0]["body"]
    return body


async def test_a_partner_runs_its_manifest_operations_by_id_or_by_text(
    partners_table: Resources, manifests: Path, key: str
) -> None:
    headers = {"x-api-key": key}
    document_id = "sha256:" + _sha(_manifest_body(manifests))
    async with client_of(_gateway(partners_table.settings, manifests)) as client:
        by_id = await client.get("/graphql", params={"documentId": document_id}, headers=headers)
        by_text = await client.post(
            "/graphql",
            json={"query": _manifest_body(manifests)},
            headers=headers,
        )

    assert by_id.status_code == 200, by_id.text
    assert by_text.status_code == 200, by_text.text
    assert by_id.json() == by_text.json()


async def test_a_partner_is_refused_anything_else_with_a_clear_code(
    partners_table: Resources, manifests: Path, key: str
) -> None:
    headers = {"x-api-key": key}
    async with client_of(_gateway(partners_table.settings, manifests)) as client:
        free_form = await client.post("/graphql", json={"query": FREE_FORM}, headers=headers)
        other_hash = await client.post(
            "/graphql",
            json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(FREE_FORM)}}},
            headers=headers,
        )

    for response in (free_form, other_hash):
        assert response.status_code == 403
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "OPERATION_NOT_IN_MANIFEST", "manifest": "feed"}
        assert "feed" in error["message"]


async def test_unknown_and_revoked_keys_are_401(
    partners_table: Resources, manifests: Path, key: str
) -> None:
    url = sqlalchemy_url(partners_table.settings.database_url or "")
    async with client_of(_gateway(partners_table.settings, manifests)) as client:
        unknown = await client.post(
            "/graphql", json={"query": TOP}, headers={"x-api-key": "sgp_not-a-key"}
        )
        allowed = {"query": _manifest_body(manifests)}
        before = await client.post("/graphql", json=allowed, headers={"x-api-key": key})
        await admin.revoke_partner(url, "acme")
        after = await client.post("/graphql", json=allowed, headers={"x-api-key": key})

    assert unknown.status_code == 401
    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, operations: Path) -> None:
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("REDIS_URL", settings.redis_url or "")
    monkeypatch.setenv("JWT_PRIVATE_KEY", settings.jwt_private_key or "")
    monkeypatch.setenv("JWT_PUBLIC_KEY", settings.jwt_public_key or "")
    monkeypatch.setenv("GATEWAY_OPERATIONS_DIR", str(operations))


def test_partner_commands_show_the_key_once_and_store_only_its_hash(
    partners_table: Resources,
    manifests: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _cli_env(monkeypatch, partners_table.settings, manifests)

    assert main(["partners", "create", "globex", "--manifest", "feed"]) == 0
    created = capsys.readouterr().out
    key = created.split("X-Api-Key): ")[1].strip()
    assert main(["partners", "create", "initech", "--manifest", "nope"]) == 1
    refused = capsys.readouterr().err
    assert main(["partners", "list"]) == 0
    listed = capsys.readouterr().out
    assert main(["partners", "revoke", "globex"]) == 0
    assert main(["partners", "list"]) == 0
    relisted = capsys.readouterr().out

    assert key.startswith("sgp_")
    assert len(key) > 40
    assert "no manifest 'nope'" in refused
    assert "globex\tfeed" in listed
    assert key not in listed
    assert "revoked" in relisted
    stored = _stored_rows(partners_table.settings)
    assert stored == [(hashlib.sha256(key.encode()).hexdigest(), key[:12])]


def _stored_rows(settings: Settings) -> list[tuple[str, str]]:
    async def read() -> list[tuple[str, str]]:
        connection = await asyncpg.connect(settings.database_url)
        try:
            rows = await connection.fetch("SELECT key_hash, key_prefix FROM gateway.partners")
        finally:
            await connection.close()
        return [(row["key_hash"], row["key_prefix"]) for row in rows]

    return asyncio.run(read())


def test_operations_register_validates_and_writes_the_manifest(
    tmp_path: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    operations = tmp_path / "operations"
    source = tmp_path / "shop.graphql"
    source.write_text(
        "query Listing { products(first: 2) { nodes { ...Card } } }\n"
        "fragment Card on Product { name slug }\n"
    )
    broken = tmp_path / "broken.graphql"
    broken.write_text("query Broken { products { nodes { nope } } }")
    _cli_env(monkeypatch, settings, operations)

    assert main(["operations", "register", str(source)]) == 0
    printed = capsys.readouterr().out
    assert main(["operations", "register", str(broken), "--manifest", "shop"]) == 1
    error = capsys.readouterr().err

    manifest = json.loads((operations / "shop.json").read_text())
    assert manifest["format"] == "apollo-persisted-query-manifest"
    [operation] = manifest["operations"]
    assert operation["name"] == "Listing"
    assert "fragment Card on Product" in operation["body"]
    assert operation["id"] == _sha(operation["body"])
    assert f"sha256:{operation['id']}" in printed
    assert "Cannot query field 'nope'" in error.replace('"', "'")
