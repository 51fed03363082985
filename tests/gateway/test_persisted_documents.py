"""Persisted documents: Apollo's automatic persisted queries, trusted-document manifests
and `documentId`, and Cache-Control for what a CDN may keep.

Automatic persisted queries are stored in the real Redis of the test run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from domains.kit.resources import Resources
from gateway.caching import PublicCache
from gateway.persisted.manifests import Manifest, register_operations, write_manifest
from tests.gateway.edge import client_of, topology_gateway

TOP = "query Top { topProducts(first: 2) { name } }"
ME = "query Me { me { name } }"
PUBLIC = PublicCache(fields=frozenset({"topProducts"}), max_age=120)


def _sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def _apq(sha256: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256}}


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    gateway = topology_gateway().state.gateway
    manifest, _ = register_operations(
        Manifest("storefront", {}), f"{TOP}\n{ME}", gateway.schema, origin="test"
    )
    write_manifest(tmp_path / "storefront.json", manifest)
    return tmp_path


async def test_a_miss_asks_for_the_document_which_is_then_stored_in_redis(
    resources: Resources,
) -> None:
    settings = resources.settings
    app = topology_gateway(redis_url=settings.redis_url, redis_key_prefix=settings.redis_key_prefix)
    sha256 = _sha(TOP)
    async with client_of(app) as client:
        miss = await client.post("/graphql", json={"extensions": _apq(sha256)})
        register = await client.post("/graphql", json={"query": TOP, "extensions": _apq(sha256)})
        hit = await client.post("/graphql", json={"extensions": _apq(sha256)})

    assert miss.status_code == 200
    assert miss.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert _code(miss) == "PERSISTED_QUERY_NOT_FOUND"
    assert (
        register.json()
        == hit.json()
        == {
            "data": {
                "topProducts": [
                    {"name": "Difference Engine Manual"},
                    {"name": "Analytical Engine Notes"},
                ]
            }
        }
        or hit.json() == register.json()
    )
    stored = await resources.redis.get(f"{settings.redis_key_prefix}gw:apq:{sha256}")
    assert stored == TOP.encode()


async def test_a_document_whose_hash_does_not_match_is_refused_and_not_stored() -> None:
    async with client_of(topology_gateway()) as client:
        wrong = await client.post("/graphql", json={"query": TOP, "extensions": _apq(_sha(ME))})
        after = await client.post("/graphql", json={"extensions": _apq(_sha(ME))})

    assert wrong.status_code == 400
    assert _code(wrong) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert _code(after) == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_document_that_does_not_validate_is_not_stored() -> None:
    invalid = "{ noSuchField }"
    async with client_of(topology_gateway()) as client:
        await client.post("/graphql", json={"query": invalid, "extensions": _apq(_sha(invalid))})
        after = await client.post("/graphql", json={"extensions": _apq(_sha(invalid))})

    assert _code(after) == "PERSISTED_QUERY_NOT_FOUND"


async def test_persisted_gets_over_public_fields_are_cacheable_and_nothing_else_is() -> None:
    params = {"extensions": json.dumps(_apq(_sha(TOP)))}
    async with client_of(topology_gateway(public_cache=PUBLIC)) as client:
        await client.post("/graphql", json={"query": TOP, "extensions": _apq(_sha(TOP))})
        public = await client.get("/graphql", params=params)
        with_token = await client.get(
            "/graphql", params=params, headers={"authorization": "Bearer x"}
        )
        posted = await client.post("/graphql", json={"extensions": _apq(_sha(TOP))})
        await client.post("/graphql", json={"query": ME, "extensions": _apq(_sha(ME))})
        private = await client.get("/graphql", params={"extensions": json.dumps(_apq(_sha(ME)))})

    assert public.status_code == 200
    assert public.headers["cache-control"] == "public, max-age=120"
    assert "Authorization" in public.headers["vary"]
    assert with_token.headers["cache-control"] == "no-store"
    assert posted.headers["cache-control"] == "no-store"
    assert private.status_code == 200
    assert private.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_document_ids_name_operations_of_the_manifests(manifests: Path, method: str) -> None:
    operations = json.loads((manifests / "storefront.json").read_text())["operations"]
    document_id = "sha256:" + next(op["id"] for op in operations if op["name"] == "Top")
    async with client_of(topology_gateway(manifests_dir=manifests)) as client:
        if method == "GET":
            response = await client.get("/graphql", params={"documentId": document_id})
        else:
            response = await client.post("/graphql", json={"documentId": document_id})

    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["topProducts"]) == 2


@pytest.mark.parametrize(
    ("document_id", "code"),
    [("sha256:" + "0" * 64, "PERSISTED_QUERY_NOT_FOUND"), ("md5:abc", "BAD_REQUEST")],
)
async def test_unknown_or_malformed_document_ids(
    manifests: Path, document_id: str, code: str
) -> None:
    async with client_of(topology_gateway(manifests_dir=manifests)) as client:
        response = await client.post(
            "/graphql",
            json={"documentId": document_id},
            headers={"accept": "application/graphql-response+json"},
        )

    assert response.status_code == 400
    assert _code(response) == code


async def test_with_redis_down_persisted_queries_degrade_to_sending_the_document() -> None:
    app = topology_gateway(redis_url="redis://127.0.0.1:1/0")
    async with client_of(app) as client:
        miss = await client.post("/graphql", json={"extensions": _apq(_sha(TOP))})
        full = await client.post("/graphql", json={"query": TOP, "extensions": _apq(_sha(TOP))})

    assert _code(miss) == "PERSISTED_QUERY_NOT_FOUND"
    assert full.json()["data"]["topProducts"]


async def test_trusted_documents_only_runs_nothing_but_the_manifests(
    manifests: Path, resources: Resources
) -> None:
    settings = resources.settings
    app = topology_gateway(
        manifests_dir=manifests,
        trusted_documents_only=True,
        redis_url=settings.redis_url,
        redis_key_prefix=settings.redis_key_prefix,
    )
    operations = json.loads((manifests / "storefront.json").read_text())["operations"]
    top = next(op for op in operations if op["name"] == "Top")
    free_form = "{ topProducts(first: 5) { name price } }"
    strict = {"accept": "application/graphql-response+json"}
    async with client_of(app) as client:
        by_id = await client.post("/graphql", json={"documentId": f"sha256:{top['id']}"})
        as_text = await client.post("/graphql", json={"query": top["body"]})
        refused = await client.post("/graphql", json={"query": free_form}, headers=strict)
        register = await client.post(
            "/graphql", json={"query": free_form, "extensions": _apq(_sha(free_form))}
        )
        unlisted = await client.post(
            "/graphql", json={"extensions": _apq(_sha(free_form))}, headers=strict
        )

    assert by_id.json()["data"]["topProducts"]
    assert as_text.json()["data"]["topProducts"]  # its exact text is the same document
    assert refused.status_code == 400
    assert _code(refused) == "PERSISTED_QUERY_REQUIRED"
    assert "documentId" in refused.json()["errors"][0]["message"]
    assert _code(register) == "PERSISTED_QUERY_REQUIRED"
    assert _code(unlisted) == "PERSISTED_QUERY_NOT_IN_LIST"
    assert await resources.redis.get(f"{settings.redis_key_prefix}gw:apq:{_sha(free_form)}") is None
