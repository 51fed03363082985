"""Production is production: the platform and a subgraph served alone, with
APP_ENV=production, keep the gateway the one public edge and apply its defaults.

- `shopgraph serve` serves no subgraph endpoint beside the gateway;
- a subgraph alone answers only the gateway's token, and applies its own body, depth,
  alias and cost ceilings even to a request that carries it;
- introspection, suggestions and the IDE are off, failures are masked with a request id,
  bad bodies get GraphQL-shaped errors, every response carries the security headers, and
  /metrics is not public;
- demo data is refused.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from domains.kit.app import Runtime
from domains.kit.auth import JwtKeys
from domains.kit.config import AppEnv, ConfigError, Settings
from domains.kit.edge import GATEWAY_TOKEN_HEADER
from domains.kit.resources import Resources
from shopgraph.cli import main
from shopgraph.platform import build_platform_app

TOKEN = "t" * 40
METRICS_TOKEN = "m" * 40
SECURITY_HEADERS = (
    "x-content-type-options",
    "strict-transport-security",
    "referrer-policy",
    "content-security-policy",
    "x-frame-options",
)


def _production(settings: Settings, **changes: object) -> Settings:
    # Production needs Stripe; no call reaches it here (no payment is made).
    production = {
        "app_env": AppEnv.PRODUCTION,
        "subgraph_token": TOKEN,
        "metrics_token": METRICS_TOKEN,
        "stripe_api_key": "sk_test_production_edge",
        "stripe_webhook_secret": "whsec_production_edge",
        **changes,
    }
    return dataclasses.replace(settings, **production)  # type: ignore[arg-type]


def _subgraph(resources: Resources, settings: Settings) -> Starlette:
    from domains.products.app import create_app

    return create_app(Runtime(settings, resources), manage_resources=False)


@pytest.fixture
async def products_alone(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    app = _subgraph(resources, _production(resources.settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://products:8000") as http:
        yield http


@pytest.fixture
async def platform(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    app = build_platform_app(_production(resources.settings))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield http


def _as_gateway(**headers: str) -> dict[str, str]:
    return {GATEWAY_TOKEN_HEADER: TOKEN, **headers}


def _codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


async def test_a_subgraph_alone_answers_only_the_gateway(products_alone: httpx.AsyncClient) -> None:
    attacks = [
        {"query": "{ __schema { types { name } } }"},
        {"query": "{ _service { sdl } }"},
        {
            "query": '{ _entities(representations: [{__typename: "Product", id: "x"}]) '
            "{ __typename } }"
        },
        {"query": "{ categories { id } }"},
    ]
    for body in attacks:
        anonymous = await products_alone.post("/graphql", json=body)
        forged = await products_alone.post(
            "/graphql", json=body, headers={GATEWAY_TOKEN_HEADER: "x" * 40}
        )
        assert anonymous.status_code == 401, body
        assert _codes(anonymous) == ["UNAUTHENTICATED"]
        assert forged.status_code == 401

    gateway = await products_alone.post(
        "/graphql", json={"query": "{ _service { sdl } }"}, headers=_as_gateway()
    )
    assert gateway.status_code == 200
    assert "type Product" in gateway.json()["data"]["_service"]["sdl"]


async def test_a_subgraph_alone_applies_its_own_ceilings(products_alone: httpx.AsyncClient) -> None:
    deep = "{ categories { " + "children { " * 49 + "id" + " }" * 49 + " } }"
    aliases = (
        "{ "
        + " ".join(f"a{i}: products(first: 100) {{ edges {{ cursor }} }}" for i in range(1000))
        + " }"
    )
    costly = (
        "{ products(first: 100) { edges { node { variants { id sku options { name value } } "
        "reviews(first: 100) { edges { node { id title body } } } } } } }"
    )

    depth = await products_alone.post("/graphql", json={"query": deep}, headers=_as_gateway())
    many = await products_alone.post("/graphql", json={"query": aliases}, headers=_as_gateway())
    cost = await products_alone.post("/graphql", json={"query": costly}, headers=_as_gateway())
    huge = await products_alone.post(
        "/graphql",
        content=json.dumps({"query": "{ categories { id } }", "pad": "x" * 10_000_000}),
        headers=_as_gateway(**{"content-type": "application/json"}),
    )

    assert _codes(depth) == ["DEPTH_LIMIT_EXCEEDED"]
    assert _codes(many) == ["ALIAS_LIMIT_EXCEEDED"]
    assert _codes(cost) == ["COST_LIMIT_EXCEEDED"]
    assert huge.status_code == 413
    assert _codes(huge) == ["PAYLOAD_TOO_LARGE"]


async def test_a_subgraph_alone_keeps_production_defaults(
    products_alone: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from domains.products.repositories.categories import category_repository

    introspection = await products_alone.post(
        "/graphql", json={"query": "{ __schema { types { name } } }"}, headers=_as_gateway()
    )
    suggestion = await products_alone.post(
        "/graphql", json={"query": "{ categorie { id } }"}, headers=_as_gateway()
    )
    ide = await products_alone.get("/graphql", headers=_as_gateway(accept="text/html"))
    bad_body = await products_alone.post(
        "/graphql",
        content=b"{not json",
        headers=_as_gateway(**{"content-type": "application/json"}),
    )
    metrics_anonymous = await products_alone.get("/metrics")
    metrics_scraper = await products_alone.get(
        "/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"}
    )

    async def broken(*_: object) -> None:
        raise RuntimeError("connection string postgresql://secret@db")

    monkeypatch.setattr(category_repository, "list_all", broken)
    failure = await products_alone.post(
        "/graphql",
        json={"query": "{ categories { id } }"},
        headers=_as_gateway(**{"x-request-id": "abc123"}),
    )

    assert set(_codes(introspection)) == {"INTROSPECTION_DISABLED"}
    assert "Did you mean" not in suggestion.text
    assert "categories" not in suggestion.text
    assert "graphiql" not in ide.text.lower()
    assert bad_body.status_code == 400
    assert _codes(bad_body) == ["BAD_REQUEST"]
    assert metrics_anonymous.status_code == 401
    assert metrics_scraper.status_code == 200
    assert "shopgraph_requests_total" in metrics_scraper.text
    masked = failure.json()["errors"][0]
    assert masked["message"] == "Internal server error."
    assert masked["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "abc123"}
    assert "secret" not in failure.text
    assert failure.headers["x-request-id"] == "abc123"
    for response in (introspection, bad_body, metrics_anonymous, failure):
        for header in SECURITY_HEADERS:
            assert header in response.headers, (header, response.request.url)


def test_a_subgraph_alone_needs_the_gateway_token_in_production(resources: Resources) -> None:
    settings = _production(resources.settings, subgraph_token=None)

    with pytest.raises(ConfigError, match="SUBGRAPH_TOKEN"):
        _subgraph(resources, settings)


async def test_the_platform_serves_only_the_gateway(platform: httpx.AsyncClient) -> None:
    for name in ("users", "products", "carts", "orders", "payments"):
        mounted = await platform.post(
            f"/subgraphs/{name}/graphql", json={"query": "{ _service { sdl } }"}
        )
        assert mounted.status_code == 404, name
    entities = await platform.post(
        "/graphql",
        json={
            "query": '{ _entities(representations: [{__typename: "Product", id: "x"}]) '
            "{ __typename } }"
        },
    )
    introspection = await platform.post(
        "/graphql", json={"query": "{ __schema { types { name } } }"}
    )
    health = await platform.get("/health")
    metrics_anonymous = await platform.get("/metrics")
    metrics_scraper = await platform.get(
        "/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"}
    )
    graphiql = await platform.get("/graphql", headers={"accept": "text/html"})

    assert entities.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert _codes(introspection) == ["INTROSPECTION_DISABLED"]
    assert metrics_anonymous.status_code == 401
    assert metrics_scraper.status_code == 200
    assert graphiql.status_code == 406
    for response in (entities, introspection, health, metrics_anonymous, graphiql):
        for header in SECURITY_HEADERS:
            assert header in response.headers, (header, response.request.url)


async def test_production_without_a_metrics_token_serves_no_metrics(resources: Resources) -> None:
    app = build_platform_app(_production(resources.settings, metrics_token=None))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        response = await http.get("/metrics", headers={"authorization": "Bearer anything"})

    assert response.status_code == 404


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = JwtKeys.generate()
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("JWT_PRIVATE_KEY", keys.private_pem)
    monkeypatch.setenv("JWT_PUBLIC_KEY", keys.public_pem)
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_production_edge")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_production_edge")


@pytest.mark.usefixtures("production_env")
@pytest.mark.parametrize("command", [["seed"], ["serve"]])
def test_demo_data_is_refused_in_production(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Refused before any connection: the database and Redis above do not exist.
    assert main(command) == 2

    error = capsys.readouterr().err
    assert "demo data is refused in production" in error
    assert "--no-seed" in error


async def test_the_gateway_reaches_subgraphs_served_apart_with_their_token(
    settings: Settings,
) -> None:
    from domains.products.app import create_app
    from shopgraph.platform import build_remote_gateway_app
    from tests.gateway.edge import serve_app

    with_token = dataclasses.replace(settings, subgraph_token=TOKEN)
    subgraph = create_app(Runtime(with_token, workers_enabled=False))
    with serve_app(subgraph) as base_url:
        urls = {"products": f"{base_url}/graphql"}
        app = build_remote_gateway_app(with_token, urls)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gw"
            ) as gateway,
        ):
            answer = await gateway.post("/graphql", json={"query": "{ categories { id } }"})
        wrong = dataclasses.replace(settings, subgraph_token="w" * 40)
        with pytest.raises(httpx.HTTPStatusError, match="401"):
            build_remote_gateway_app(wrong, urls)

    assert answer.json() == {"data": {"categories": []}}


async def test_a_worker_keeps_its_metrics_behind_the_token(resources: Resources) -> None:
    from shopgraph.worker import build_worker_app

    app = build_worker_app(_production(resources.settings), ["orders"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker:9000") as http:
        anonymous = await http.get("/metrics")
        scraper = await http.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})

    assert anonymous.status_code == 401
    assert scraper.status_code == 200
    for header in SECURITY_HEADERS:
        assert header in anonymous.headers, header
