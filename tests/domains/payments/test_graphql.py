"""The payments subgraph over HTTP: who sees what, payload errors naming the field, the
development-only simulation, and what `Order.payments` costs in SQL."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from domains.kit.app import Runtime
from domains.kit.config import AppEnv, Settings
from domains.kit.db import transaction
from domains.kit.edge import GATEWAY_TOKEN_HEADER
from domains.kit.resources import Resources
from domains.payments import events
from domains.payments.models import Payment
from domains.payments.providers import LocalProvider
from domains.payments.services.intents import intents
from tests.domains.products.helpers import Account, Catalog
from tests.support.graphql import GraphQLClient
from tests.support.sql_counter import SqlCounter


async def _client(settings: Settings, resources: Resources) -> AsyncIterator[GraphQLClient]:
    from domains.payments.app import create_app

    app = create_app(Runtime(settings, resources), manage_resources=False)
    transport = httpx.ASGITransport(app=app)
    # As the gateway calls it: with the token a subgraph served on its own requires.
    headers = {GATEWAY_TOKEN_HEADER: settings.subgraph_token} if settings.subgraph_token else {}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://payments.test", headers=headers
    ) as http:
        yield GraphQLClient(http)


@pytest.fixture
async def client(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[GraphQLClient]:
    monkeypatch.setenv("PAYMENTS_PROVIDER", "local")
    async for client in _client(resources.settings, resources):
        yield client


async def _payment(resources: Resources, customer: Account, total: int = 1800) -> Payment:
    async with transaction(resources.session_factory) as session:
        payment = await intents.open_for_order(
            session,
            LocalProvider(),
            events.OrderStatusChanged(
                order_id=uuid.uuid4(),
                customer_id=customer.user_id,
                status="AWAITING_PAYMENT",
                sequence=2,
                total=total,
                currency="EUR",
                changed_at=datetime.now(UTC),
            ),
        )
    assert payment is not None
    return payment


PAYMENT = "query($id: ID!) { payment(id: $id) { status amount currency clientSecret } }"
SIMULATE = (
    "mutation($id: ID!) { paymentSimulate(paymentId: $id, outcome: SUCCEED) "
    "{ payment { status capturedAmount } errors { field code message } } }"
)


async def test_the_client_secret_is_for_the_customer_alone(
    client: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    customer = catalog.customer()
    payment = await _payment(resources, customer)

    mine = await client.execute(PAYMENT, {"id": str(payment.id)}, token=customer.token)
    staff = await client.execute(PAYMENT, {"id": str(payment.id)}, token=catalog.staff().token)
    stranger = await client.execute(
        PAYMENT, {"id": str(payment.id)}, token=catalog.customer().token
    )
    anonymous = await client.execute(PAYMENT, {"id": str(payment.id)})

    assert mine.ok()["payment"] == {
        "status": "REQUIRES_ACTION",
        "amount": 1800,
        "currency": "EUR",
        "clientSecret": payment.client_secret,
    }
    assert staff.ok()["payment"]["clientSecret"] is None
    # Another customer's payment is null, as an unknown id is; anonymous callers are
    # told to sign in whatever the id.
    unknown = str(uuid.uuid4())
    assert stranger.body == {"data": {"payment": None}}
    assert (
        stranger.body
        == (await client.execute(PAYMENT, {"id": unknown}, token=catalog.customer().token)).body
    )
    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    assert (await client.execute(PAYMENT, {"id": unknown})).error_codes == ["UNAUTHENTICATED"]


async def test_bad_input_names_the_field_and_changes_nothing(
    client: GraphQLClient, resources: Resources
) -> None:
    catalog = Catalog(resources)
    customer = catalog.customer()
    staff = catalog.staff()
    payment = await _payment(resources, customer)
    refund = (
        "mutation($id: ID!, $amount: Int) { paymentRefund(paymentId: $id, amount: $amount) "
        "{ payment { status } errors { field code message } } }"
    )

    malformed = await client.execute(refund, {"id": "nope", "amount": 5}, token=staff.token)
    missing = await client.execute(
        refund, {"id": str(uuid.uuid4()), "amount": 5}, token=staff.token
    )
    unpaid = await client.execute(refund, {"id": str(payment.id), "amount": 5}, token=staff.token)

    def errors(response: object) -> list[tuple[str, str]]:
        body = response.ok()["paymentRefund"]  # type: ignore[attr-defined]
        assert body["payment"] is None
        return [(e["field"], e["code"]) for e in body["errors"]]

    assert errors(malformed) == [("paymentId", "INVALID")]
    assert errors(missing) == [("paymentId", "NOT_FOUND")]
    assert errors(unpaid) == [("paymentId", "NOT_REFUNDABLE")]
    again = await client.execute(PAYMENT, {"id": str(payment.id)}, token=customer.token)
    assert again.ok()["payment"]["status"] == "REQUIRES_ACTION"

    paid = await client.execute(SIMULATE, {"id": str(payment.id)}, token=customer.token)
    twice = await client.execute(SIMULATE, {"id": str(payment.id)}, token=customer.token)

    assert paid.ok()["paymentSimulate"]["payment"] == {
        "status": "SUCCEEDED",
        "capturedAmount": 1800,
    }
    assert [(e["field"], e["code"]) for e in twice.ok()["paymentSimulate"]["errors"]] == [
        ("paymentId", "ILLEGAL_STATE")
    ]


async def test_the_simulation_is_refused_in_production(
    resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYMENTS_PROVIDER", raising=False)
    customer = Catalog(resources).customer()
    payment = await _payment(resources, customer)
    production = dataclasses.replace(
        resources.settings,
        app_env=AppEnv.PRODUCTION,
        stripe_api_key="sk_live_unused",
        subgraph_token="t" * 40,
    )

    # The same connections, seen by a process whose settings say production.
    in_production = dataclasses.replace(resources, settings=production)
    async for client in _client(production, in_production):
        refused = await client.execute(SIMULATE, {"id": str(payment.id)}, token=customer.token)

    body = refused.ok()["paymentSimulate"]
    assert body["payment"] is None
    ((field, code, message),) = [(e["field"], e["code"], e["message"]) for e in body["errors"]]
    assert (field, code) == (None, "NOT_AVAILABLE")
    assert "development" in message
    assert "production" in message


@pytest.mark.parametrize(
    "orders",
    [
        pytest.param(3, id="3 orders cost 2 statements"),
        pytest.param(30, id="30 orders cost 2 statements"),
    ],
)
async def test_order_payments_cost_one_statement_per_relationship(
    client: GraphQLClient, resources: Resources, sql_counter: SqlCounter, orders: int
) -> None:
    customer = Catalog(resources).customer()
    made = [await _payment(resources, customer, total=100 + n) for n in range(orders)]
    query = (
        "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order "
        "{ payment { amount } payments { id transactions { type amount } } } } }"
    )
    reps = [{"__typename": "Order", "id": str(payment.order_id)} for payment in made]

    sql_counter.reset()
    response = await client.execute(query, {"reps": reps}, token=customer.token)

    entities = response.ok()["_entities"]
    assert [entity["payment"]["amount"] for entity in entities] == [100 + n for n in range(orders)]
    assert all(
        entity["payments"][0]["transactions"]
        == [{"type": "AUTHORIZATION_REQUEST", "amount": 100 + n}]
        for n, entity in enumerate(entities)
    )
    print(f"\n{orders} orders' payments: {sql_counter.count} SQL statements")
    assert sql_counter.count == 2
