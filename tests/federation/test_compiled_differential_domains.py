"""The compiled executor against graphql-core's on the real domain subgraphs, with real
Postgres and Redis: every committed operation's subgraph requests, and a few failures.

A small shop is made first, as shoppers make it, through the whole platform with its
workers: the seeded catalog, sellers and customers, a signed-up customer who checked out
and paid, an open cart and a guest cart. Then the gateway, planning from the committed
`schema/supergraph.graphql`, runs every committed operation (`schema/operations/`: the
persisted-operation manifests and the GraphiQL examples) against the five domains'
subgraphs in-process, each request on both executors (tests/support/compiled_differential.py):
the same JSON answer, and the same number of SQL statements, from the same Redis state
(saved before the first run, restored before the second). A mutation runs twice, so the
committed mutations are sent as requests that answer the same twice: refused input, an
unknown id, an idempotent replay.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

from bench.workloads import listing_body
from domains.kit.app import LocalSubgraph, Runtime
from domains.kit.config import Settings
from domains.kit.graphql.compiled import COMPILED, CompiledExecutor
from domains.kit.graphql.errors import FederatedSchema
from domains.kit.resources import Resources
from domains.kit.seeding import SeedOptions, seed_id
from gateway.app import build_gateway_app
from gateway.federation.plan import FetchNode
from gateway.federation.planner import QueryPlanner
from gateway.federation.supergraph import Supergraph
from shopgraph.platform import build_platform_app, domain_specs, gateway_config, local_auth
from shopgraph.provisioning import seed_all
from tests.support.checkout import ADDRESS, CHECKOUT, cart_with, eventually, ok
from tests.support.compiled_differential import DifferentialSubgraph, Recorder
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter
from tests.support.tokens import sign_up, token_for

REPO = Path(__file__).resolve().parents[2]
OPERATIONS_DIR = REPO / "schema" / "operations"
SUPERGRAPH = REPO / "schema" / "supergraph.graphql"
EMAIL = "differential@example.com"
IDEMPOTENCY_KEY = "differential-checkout"
BERLIN = {"countryCode": "DE", "postalCode": "10115"}


@dataclass(frozen=True)
class Shop:
    token: str
    user_id: str
    product_id: str
    slug: str
    category_slug: str
    variant_id: str
    order_id: str
    payment_id: str
    paid_cart_id: str
    cart_id: str
    cart_line_id: str
    guest_cart_id: str


@dataclass(frozen=True)
class Request:
    name: str
    query: str
    operation_name: str | None
    variables: dict[str, Any]
    signed_in: bool


def committed_operations() -> dict[str, str]:
    """Every committed operation's document, by operation name."""
    found: dict[str, str] = {}
    for manifest in sorted(OPERATIONS_DIR.glob("*.json")):
        for operation in json.loads(manifest.read_text())["operations"]:
            found[operation["name"]] = operation["body"]
    for example in sorted((OPERATIONS_DIR / "examples").glob("*.graphql")):
        document = example.read_text()
        definition = parse(document).definitions[0]
        name = getattr(definition, "name", None)
        assert name is not None, example
        found[name.value] = document
    return found


def _variables(shop: Shop) -> dict[str, tuple[dict[str, Any], bool]]:
    """Each committed operation's variables, and whether it is sent signed in."""
    unknown = str(uuid.uuid4())
    lines = [{"variantId": shop.variant_id, "quantity": 1}]
    checkout = {"cartId": shop.paid_cart_id, "address": ADDRESS, "idempotencyKey": IDEMPOTENCY_KEY}
    return {
        # Queries.
        "CartById": ({"id": shop.guest_cart_id}, False),
        "CategoryPage": ({"slug": shop.category_slug}, False),
        "CategoryTree": ({}, False),
        "OrderHistory": ({"first": 10}, True),
        "OrderPage": ({"id": shop.order_id}, True),
        "ProductListing": ({"first": 24, "sort": "NEWEST"}, False),
        "ProductPage": ({"slug": shop.slug}, False),
        "ProductSlug": ({"id": shop.product_id}, False),
        "SitemapProducts": ({}, False),
        "Viewer": ({}, True),
        "ViewerCart": ({}, True),
        "CatalogPage": ({"first": 20}, False),
        "CatalogProduct": ({"slug": shop.slug}, False),
        "StorefrontListing": ({"first": 24}, False),
        "PricingDefaults": ({}, True),
        "CartPricing": ({"id": shop.guest_cart_id, "address": BERLIN}, False),
        "CartTotals": ({"cartId": shop.guest_cart_id, "address": BERLIN, "shipping": []}, False),
        # Mutations, as requests answered the same twice.
        "AccountConfirm": ({"token": "not-a-token"}, False),
        "AccountRegister": (
            {"input": {"email": "not an address", "password": "short", "name": ""}},
            False,
        ),
        # Signed in, a customer's open cart; a quantity of 0 is refused before any write.
        "CartCreate": ({"lines": [{"variantId": shop.variant_id, "quantity": 0}]}, True),
        "Cart": ({"lines": [{"variantId": shop.variant_id, "quantity": 0}]}, True),
        "CartLinesAdd": ({"cartId": unknown, "lines": lines}, True),
        "CartLinesRemove": ({"cartId": shop.cart_id, "lineIds": [unknown]}, True),
        "CartLinesUpdate": (
            {"cartId": shop.cart_id, "lines": [{"lineId": shop.cart_line_id, "quantity": 1}]},
            True,
        ),
        "CartMerge": ({"guestCartId": unknown}, True),
        "CartVoucherApply": ({"cartId": shop.cart_id, "code": "NO-SUCH-CODE"}, True),
        "ApplyVoucher": ({"cartId": shop.cart_id, "code": "NO-SUCH-CODE"}, True),
        "CartVoucherRemove": ({"cartId": shop.cart_id, "code": "NO-SUCH-CODE"}, True),
        "CheckoutComplete": (checkout, True),
        "Checkout": (checkout, True),
        "PasswordReset": ({"password": "another long passphrase", "token": "not-a-token"}, False),
        "PaymentSimulate": ({"paymentId": shop.payment_id, "outcome": "SUCCEED"}, True),
        "RequestPasswordReset": ({"email": "nobody@example.com"}, False),
        "ReviewCreate": (
            {"productId": shop.product_id, "input": {"rating": 9, "title": "Off the scale"}},
            True,
        ),
        "TokenCreate": ({"email": EMAIL, "password": "not the passphrase"}, False),
        "SignIn": ({"email": EMAIL, "password": "not the passphrase"}, False),
        "TokenRefresh": ({"refreshToken": "not-a-token"}, False),
        "TokenRevoke": ({"refreshToken": "not-a-token"}, False),
    }


# Subscriptions run through Strawberry's subscribe, which the compiled executor does not
# serve; the rest of the committed operations are sent.
NOT_SENT = {"OrderStatus"}
# What of the committed operations' subgraph documents runs through graphql-core, as
# `CompiledExecutor.fallbacks` words it: the subscription, nothing else.
EXPECTED_FALLBACKS = {
    "OrderStatus": {
        "orders: subscription OrderStatus__orders__0($id: ID!) "
        "{ orderStatusChanged(orderId: $id) { id status } }": [
            "document: subscription (runs through Strawberry's subscribe)"
        ]
    }
}


async def make_shop(settings: Settings) -> Shop:
    """The shop, made through the platform with its workers (see the module docstring)."""
    await seed_all(settings, SeedOptions(sellers=3, customers=4, products=30))
    app = build_platform_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        client = GraphQLClient(http)
        user_id, token = await sign_up(http, EMAIL)
        listing = await ok(
            client,
            "{ products(first: 5, sort: NEWEST) { nodes { id slug category { slug } "
            "variants { id inventory { quantityAvailable } } } } }",
        )
        product = next(
            node
            for node in listing["products"]["nodes"]
            if node["variants"] and node["variants"][0]["inventory"]["quantityAvailable"] > 3
        )
        variant_id = product["variants"][0]["id"]
        lines = [{"variantId": variant_id, "quantity": 1}]
        paid_cart_id = await cart_with(client, token, lines)
        checkout = {"cart": paid_cart_id, "address": ADDRESS, "key": IDEMPOTENCY_KEY}
        order_id = (await ok(client, CHECKOUT, checkout, token))["checkoutComplete"]["orderId"]
        payment_query = "query($id: ID!) { order(id: $id) { status payment { id } } }"

        async def payment_opened() -> bool:
            order = (await ok(client, payment_query, {"id": order_id}, token))["order"]
            return order["payment"] is not None

        await eventually(payment_opened)
        order = (await ok(client, payment_query, {"id": order_id}, token))["order"]
        payment_id = order["payment"]["id"]
        await ok(
            client,
            "mutation($id: ID!) { paymentSimulate(paymentId: $id, outcome: SUCCEED) "
            "{ errors { code } } }",
            {"id": payment_id},
            token,
        )

        async def paid() -> bool:
            order = (await ok(client, payment_query, {"id": order_id}, token))["order"]
            return bool(order["status"] == "PAID")

        await eventually(paid)
        cart_id = await cart_with(client, token, lines)
        cart = await ok(client, "{ me { cart { id lines { id } } } }", token=token)
        guest_cart_id = await cart_with(client, None, lines)
    return Shop(
        token=token,
        user_id=user_id,
        product_id=product["id"],
        slug=product["slug"],
        category_slug=product["category"]["slug"],
        variant_id=variant_id,
        order_id=order_id,
        payment_id=payment_id,
        paid_cart_id=paid_cart_id,
        cart_id=cart_id,
        cart_line_id=cart["me"]["cart"]["lines"][0]["id"],
        guest_cart_id=guest_cart_id,
    )


class RedisState:
    """This run's Redis keys, saved before the first run of a pair and put back before
    the second: both start from the same caches, throttles and counters."""

    def __init__(self, resources: Resources) -> None:
        self.redis = resources.redis
        self.pattern = f"{resources.settings.redis_key_prefix}*"
        self.saved: dict[bytes, tuple[bytes, int]] = {}

    async def before_run(self, first: bool) -> None:
        keys = [key async for key in self.redis.scan_iter(match=self.pattern, count=1000)]
        if first:
            pipeline = self.redis.pipeline(transaction=False)
            for key in keys:
                pipeline.dump(key)
                pipeline.pttl(key)
            values = await pipeline.execute()
            self.saved = {
                key: (values[2 * index], values[2 * index + 1]) for index, key in enumerate(keys)
            }
            return
        pipeline = self.redis.pipeline(transaction=False)
        for key in set(keys) - set(self.saved):
            pipeline.delete(key)
        for key, (value, ttl) in self.saved.items():
            if value is not None:
                pipeline.restore(key, max(ttl, 0), value, replace=True)
        await pipeline.execute()


async def forget_cached_entities(state: RedisState) -> None:
    """Empty the domains' entity and listing caches (not throttles, admission counters,
    revocations or event streams), so the next requests read the database."""
    prefix = state.pattern.removesuffix("*")
    for domain in ("users", "products", "carts", "orders", "payments"):
        keys = [
            key
            async for key in state.redis.scan_iter(match=f"{prefix}{domain}:*", count=1000)
            if b":throttle:" not in key and b":admission:" not in key
        ]
        if keys:
            await state.redis.delete(*keys)


def _executor(name: str) -> CompiledExecutor:
    schema = domain_specs()[name].schema
    assert isinstance(schema, FederatedSchema)
    return schema.compiled_executor


@dataclass
class DifferentialShop:
    http: httpx.AsyncClient
    recorder: Recorder
    subgraphs: dict[str, DifferentialSubgraph]
    state: RedisState


@pytest.fixture
async def differential(
    settings: Settings, resources: Resources, sql_counter: SqlCounter
) -> AsyncIterator[DifferentialShop]:
    """The gateway over the domains in-process, each request on both executors."""
    recorder = Recorder()
    state = RedisState(resources)
    core = Runtime(dataclasses.replace(settings, graphql_compiled=False), resources)
    compiled = Runtime(dataclasses.replace(settings, graphql_compiled=True), resources)
    specs = domain_specs()
    subgraphs = {
        name: DifferentialSubgraph(
            name,
            recorder,
            graphql_core=LocalSubgraph(spec, core).execute,
            compiled=LocalSubgraph(spec, compiled).execute,
            before_run=state.before_run,
            count_statements=lambda: sql_counter.count,
        )
        for name, spec in specs.items()
    }
    app = build_gateway_app(
        gateway_config(
            settings,
            supergraph_sdl=SUPERGRAPH.read_text(),
            subgraphs=dict(subgraphs),
            auth=local_auth(settings),
        )
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as http,
    ):
        yield DifferentialShop(http, recorder, subgraphs, state)


def _report(recorder: Recorder) -> str:
    return "\n\n".join(
        f"{c.subgraph}: {c.document}\nvariables: {c.variables}\n"
        f"graphql-core ({c.graphql_core_statements} SQL): {c.graphql_core}\n"
        f"compiled ({c.compiled_statements} SQL): {c.compiled}"
        for c in recorder.differences()
    )


async def test_every_committed_operation_answers_the_same_compiled(
    settings: Settings, differential: DifferentialShop
) -> None:
    shop = await make_shop(settings)
    await forget_cached_entities(differential.state)
    variables = _variables(shop)
    operations = committed_operations()
    assert set(operations) - NOT_SENT == set(variables), "every operation is sent"
    compiled_before = sum(_executor(name).runs[COMPILED] for name in differential.subgraphs)

    answers: dict[str, Any] = {}
    for name in sorted(variables):
        values, signed_in = variables[name]
        start = len(differential.recorder.comparisons)
        response = await differential.http.post(
            "/graphql",
            json={"query": operations[name], "operationName": name, "variables": values},
            headers={"Authorization": f"Bearer {shop.token}"} if signed_in else {},
        )
        answers[name] = response.json()
        assert len(differential.recorder.comparisons) > start, (name, answers[name])

    comparisons = differential.recorder.comparisons
    assert not differential.recorder.differences(), _report(differential.recorder)
    compiled_after = sum(_executor(name).runs[COMPILED] for name in differential.subgraphs)
    assert compiled_after - compiled_before == len(comparisons)
    # The requests did read the database, and the failures were failures.
    assert sum(c.compiled_statements for c in comparisons) > 50
    assert answers["ProductListing"]["data"]["products"]["nodes"], answers["ProductListing"]
    assert answers["OrderPage"]["data"]["order"]["status"] == "PAID", answers["OrderPage"]
    assert answers["CartLinesAdd"]["data"]["cartLinesAdd"]["errors"], answers["CartLinesAdd"]
    assert answers["CartTotals"]["data"]["cart"]["pricing"]["parcels"], answers["CartTotals"]
    print(
        f"\n{len(variables)} committed operations: {len(comparisons)} subgraph requests, "
        f"{sum(c.compiled_statements for c in comparisons)} SQL statements, the same on "
        "both executors"
    )
    fallbacks = {
        name: _fallbacks(operations[name], name, variables.get(name, ({"id": shop.order_id}, 0))[0])
        for name in operations
    }
    assert {name: found for name, found in fallbacks.items() if found} == EXPECTED_FALLBACKS


def _fallbacks(document: str, name: str, variables: dict[str, Any]) -> dict[str, list[str]]:
    """What of each subgraph document the gateway plans for an operation falls back."""
    plan = QueryPlanner(Supergraph(SUPERGRAPH.read_text())).plan(parse(document), name)
    found: dict[str, list[str]] = {}
    pending: list[Any] = [plan.node] if plan.node is not None else []
    while pending:
        node = pending.pop()
        if not isinstance(node, FetchNode):
            pending.extend(node.nodes)
            continue
        values = {key: value for key, value in variables.items() if key in node.variable_names}
        if node.is_entity_fetch:
            # Representations come from answers; with none, the same document compiles.
            values["representations"] = []
        reasons = _executor(node.subgraph).fallbacks(
            domain_specs()[node.subgraph].schema._schema, parse(node.document), values
        )
        if reasons:
            found[f"{node.subgraph}: {node.document}"] = reasons
    return found


ENTITIES = "query($representations: [_Any!]!) { _entities(representations: $representations) "


async def test_failures_answer_the_same_compiled(
    settings: Settings, resources: Resources, differential: DifferentialShop
) -> None:
    await seed_all(settings, SeedOptions(sellers=2, customers=3, products=8))
    listing = await differential.http.post(
        "/graphql", json={"query": "{ products(first: 2, sort: NEWEST) { nodes { id } } }"}
    )
    products = [node["id"] for node in listing.json()["data"]["products"]["nodes"]]
    customer, other = seed_id("user", "customer-0"), seed_id("user", "customer-1")
    signed_in = {"authorization": f"Bearer {token_for(resources, customer)}"}
    requests: list[tuple[str, str, str, dict[str, Any], dict[str, str]]] = [
        (
            "an entity list with unknown and malformed references",
            "products",
            ENTITIES + "{ ... on Product { id name slug variants { sku price { amount } } } } }",
            {
                "representations": [
                    {"__typename": "Product", "id": products[0]},
                    {"__typename": "Product", "id": str(uuid.uuid4())},
                    {"__typename": "Product", "id": "not-a-uuid"},
                    {"__typename": "Product", "id": products[1]},
                ]
            },
            {},
        ),
        (
            "fields refused inside an entity list (another customer's email and addresses)",
            "users",
            ENTITIES + "{ ... on User { id name email addresses { city } } } }",
            {
                "representations": [
                    {"__typename": "User", "id": str(customer)},
                    {"__typename": "User", "id": str(other)},
                    {"__typename": "User", "id": str(uuid.uuid4())},
                ]
            },
            signed_in,
        ),
        (
            "a non-null field refused inside an entity list (another customer's orders)",
            "orders",
            ENTITIES + "{ ... on User { id orders(first: 5) { totalCount nodes { id } } } } }",
            {
                "representations": [
                    {"__typename": "User", "id": str(customer)},
                    {"__typename": "User", "id": str(other)},
                ]
            },
            signed_in,
        ),
        (
            "a non-null root field asked anonymously",
            "orders",
            "{ sellerOrders(first: 5) { totalCount } }",
            {},
            {},
        ),
        (
            "a variable of the wrong type",
            "products",
            "query($first: Int!) { products(first: $first) { totalCount } }",
            {"first": "many"},
            {},
        ),
    ]
    for why, subgraph, document, variables, headers in requests:
        answer = await differential.subgraphs[subgraph].execute(document, variables, headers)
        assert "errors" in answer, (why, answer)

    assert not differential.recorder.differences(), _report(differential.recorder)


@pytest.mark.parametrize("first", [24, 100])
async def test_a_listing_costs_the_same_sql_on_both_executors(
    settings: Settings, differential: DifferentialShop, first: int
) -> None:
    await seed_all(settings, SeedOptions(sellers=4, customers=2, products=first + first // 4))
    await forget_cached_entities(differential.state)

    response = await differential.http.post("/graphql", json=listing_body(first))

    assert len(response.json()["data"]["products"]["edges"]) == first
    comparisons = differential.recorder.comparisons
    assert [c.subgraph for c in comparisons] == ["products", "users"]
    assert not differential.recorder.differences(), _report(differential.recorder)
    products, users = comparisons
    print(
        f"\nstorefront listing of {first}: products {products.compiled_statements} SQL "
        f"statements, users {users.compiled_statements}, on both executors"
    )
    assert products.compiled_statements > 0
    assert users.compiled_statements > 0
