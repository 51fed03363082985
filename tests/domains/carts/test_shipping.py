"""Shipping: which methods a seller's parcel is offered for a destination (the most
specific zone, the seller's own or else the platform's), and who manages which methods
and zones through the admin mutations."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from domains.carts.pricing.shipping.models import ShippingMethod, ShippingRate, ShippingZone
from domains.carts.pricing.shipping.service import BUILT_IN_STANDARD, shipping
from domains.kit.auth import Role
from domains.kit.resources import Resources
from tests.domains.carts.test_quote import without_platform_shipping
from tests.support.graphql import GraphQLClient
from tests.support.tokens import token_for

ZONE_CREATE = """
mutation($input: ShippingZoneCreateInput!) {
  shippingZoneCreate(input: $input) {
    zone { id sellerId name countryCodes } errors { field code message }
  }
}
"""
METHOD_CREATE = """
mutation($input: ShippingMethodCreateInput!) {
  shippingMethodCreate(input: $input) {
    method { id sellerId name minDays maxDays freeAbove currency rates { zone { id } price } }
    errors { field code message }
  }
}
"""
METHOD_UPDATE = """
mutation($id: ID!, $input: ShippingMethodUpdateInput!) {
  shippingMethodUpdate(id: $id, input: $input) {
    method { id name freeAbove rates { price } } errors { field code message }
  }
}
"""


def _seller(resources: Resources) -> tuple[uuid.UUID, str]:
    seller_id = uuid.uuid4()
    return seller_id, token_for(resources, uuid.uuid4(), Role.SELLER, shop=seller_id)


def _staff(resources: Resources) -> str:
    return token_for(resources, uuid.uuid4(), Role.STAFF)


async def _zone(client: GraphQLClient, token: str, name: str, codes: list[str]) -> str:
    answer = (
        await client.execute(
            ZONE_CREATE, {"input": {"name": name, "countryCodes": codes}}, token=token
        )
    ).ok()["shippingZoneCreate"]
    assert answer["errors"] == []
    return str(answer["zone"]["id"])


async def _method(client: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    answer = (await client.execute(METHOD_CREATE, {"input": fields}, token=token)).ok()
    result: dict[str, Any] = answer["shippingMethodCreate"]
    return result


async def _options(
    resources: Resources, sellers: list[uuid.UUID], country: str, currency: str = "EUR"
) -> dict[uuid.UUID, list[tuple[str, int]]]:
    async with resources.session_factory() as session:
        offered = await shipping.parcel_options(session, sellers, country, currency)
    return {seller: [(o.name, o.price) for o in options] for seller, options in offered.items()}


async def test_a_platform_without_methods_ships_at_the_built_in_flat_rate(
    resources: Resources,
) -> None:
    # Migration 0004's default row gone: the state the built-in standard shipping is for.
    await without_platform_shipping(resources)
    seller = uuid.uuid4()

    offered = await _options(resources, [seller], "FR")

    assert offered == {seller: [("Standard shipping", 500)]}
    assert BUILT_IN_STANDARD.method_id is None
    assert (BUILT_IN_STANDARD.min_days, BUILT_IN_STANDARD.max_days) == (3, 7)


async def test_the_most_specific_zone_prices_a_method_and_sellers_without_methods_get_the_platforms(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    await without_platform_shipping(resources)
    staff = _staff(resources)
    seller, seller_token = _seller(resources)
    other_seller = uuid.uuid4()  # defines nothing: ships with the platform's methods
    everywhere = await _zone(carts_client, staff, "Everywhere", [])
    europe = await _zone(carts_client, staff, "Europe", ["fr", "DE"])
    await _method(
        carts_client, staff, name="Standard", minDays=3, maxDays=7,
        rates=[{"zoneId": everywhere, "price": 700}, {"zoneId": europe, "price": 900}],
    )  # fmt: skip
    home = await _zone(carts_client, seller_token, "Home", ["DE"])
    world = await _zone(carts_client, seller_token, "World", [])
    await _method(
        carts_client, seller_token, name="Parcel", minDays=2, maxDays=5,
        rates=[{"zoneId": home, "price": 390}, {"zoneId": world, "price": 1500}],
    )  # fmt: skip
    await _method(
        carts_client, seller_token, name="Courier", minDays=1, maxDays=1,
        rates=[{"zoneId": home, "price": 1200}],
    )  # fmt: skip
    await _method(
        carts_client, seller_token, name="Dollar post", minDays=5, maxDays=9, currency="USD",
        rates=[{"zoneId": world, "price": 100}],
    )  # fmt: skip

    to_germany = await _options(resources, [seller, other_seller], "DE")
    to_japan = await _options(resources, [seller, other_seller], "JP")

    # A zone naming the country beats 'everywhere' (Europe's 900 over 700; Home's 390
    # over World's 1500), even when the 'everywhere' rate is cheaper; cheapest first;
    # a method in another currency than the cart's is not offered.
    assert to_germany == {
        seller: [("Parcel", 390), ("Courier", 1200)],
        other_seller: [("Standard", 900)],
    }
    assert to_japan == {seller: [("Parcel", 1500)], other_seller: [("Standard", 700)]}


async def test_an_ended_method_is_not_offered_and_a_seller_reaching_nowhere_has_no_option(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    await without_platform_shipping(resources)
    seller, token = _seller(resources)
    home = await _zone(carts_client, token, "Home", ["NL"])
    parcel = await _method(
        carts_client, token, name="Parcel", minDays=1, maxDays=2,
        rates=[{"zoneId": home, "price": 400}],
    )  # fmt: skip

    assert await _options(resources, [seller], "BE") == {seller: []}
    ended = await carts_client.execute(
        "mutation($id: ID!) { shippingMethodEnd(id: $id) { method { endedAt } errors { code } } }",
        {"id": parcel["method"]["id"]},
        token=token,
    )
    assert ended.ok()["shippingMethodEnd"]["method"]["endedAt"] is not None
    # No active method of their own any more: the platform's (here the built-in one).
    assert await _options(resources, [seller], "NL") == {seller: [("Standard shipping", 500)]}


async def test_sellers_manage_their_own_shipping_and_staff_the_platforms(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    await without_platform_shipping(resources)
    staff = _staff(resources)
    seller, seller_token = _seller(resources)
    _, rival_token = _seller(resources)
    customer = token_for(resources, uuid.uuid4())
    platform_zone = await _zone(carts_client, staff, "Everywhere", [])
    own_zone = await _zone(carts_client, seller_token, "Home", ["US"])

    as_customer = await carts_client.execute(
        ZONE_CREATE, {"input": {"name": "Mine", "countryCodes": []}}, token=customer
    )
    on_platform_zone = await _method(
        carts_client, seller_token, name="Cheeky", minDays=1, maxDays=2,
        rates=[{"zoneId": platform_zone, "price": 1}],
    )  # fmt: skip
    created = await _method(
        carts_client, seller_token, name="Parcel", minDays=1, maxDays=4, freeAbove=5000,
        rates=[{"zoneId": own_zone, "price": 450}],
    )  # fmt: skip
    method_id = created["method"]["id"]
    by_rival = await carts_client.execute(
        METHOD_UPDATE, {"id": method_id, "input": {"name": "Mine now"}}, token=rival_token
    )
    by_staff = await carts_client.execute(
        METHOD_UPDATE, {"id": method_id, "input": {"freeAbove": None}}, token=staff
    )
    listing = "{ shippingMethods { name sellerId } shippingZones { name } }"
    sellers_view = (await carts_client.execute(listing, token=seller_token)).ok()
    rivals_view = (await carts_client.execute(listing, token=rival_token)).ok()
    staff_view = (await carts_client.execute(listing, token=staff)).ok()

    assert as_customer.error_codes == ["FORBIDDEN"]
    assert on_platform_zone["method"] is None
    assert [(e["field"], e["code"]) for e in on_platform_zone["errors"]] == [
        ("rates.0.zoneId", "NOT_FOUND")
    ]
    assert created["method"]["sellerId"] == str(seller)
    assert (created["method"]["freeAbove"], created["method"]["rates"]) == (
        5000,
        [{"zone": {"id": own_zone}, "price": 450}],
    )
    assert [e["code"] for e in by_rival.ok()["shippingMethodUpdate"]["errors"]] == ["NOT_FOUND"]
    assert by_staff.ok()["shippingMethodUpdate"]["method"] == {
        "id": method_id,
        "name": "Parcel",
        "freeAbove": None,
        "rates": [{"price": 450}],
    }
    assert sellers_view["shippingMethods"] == [{"name": "Parcel", "sellerId": str(seller)}]
    assert sellers_view["shippingZones"] == [{"name": "Home"}]
    assert rivals_view == {"shippingMethods": [], "shippingZones": []}
    assert {z["name"] for z in staff_view["shippingZones"]} == {"Everywhere", "Home"}
    assert staff_view["shippingMethods"] == [{"name": "Parcel", "sellerId": str(seller)}]


async def test_bad_input_is_refused_field_by_field_with_nothing_written(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    await without_platform_shipping(resources)
    _, token = _seller(resources)
    zone = await _zone(carts_client, token, "Home", ["SE"])

    bad_zone = await carts_client.execute(
        ZONE_CREATE, {"input": {"name": " ", "countryCodes": ["SE", "XX"]}}, token=token
    )
    bad_method = await _method(
        carts_client, token, name="Parcel", minDays=5, maxDays=2, freeAbove=-1, currency="EURO",
        rates=[{"zoneId": zone, "price": 300}, {"zoneId": "nope", "price": -5}],
    )  # fmt: skip
    no_rates = await _method(carts_client, token, name="Parcel", minDays=1, maxDays=2, rates=[])

    assert {(e["field"], e["code"]) for e in bad_zone.ok()["shippingZoneCreate"]["errors"]} == {
        ("name", "REQUIRED"),
        ("countryCodes.1", "INVALID"),
    }
    assert {(e["field"], e["code"]) for e in bad_method["errors"]} == {
        ("maxDays", "INVALID"),
        ("freeAbove", "INVALID"),
        ("currency", "INVALID"),
        ("rates.1.zoneId", "INVALID"),
        ("rates.1.price", "INVALID"),
    }
    assert [(e["field"], e["code"]) for e in no_rates["errors"]] == [("rates", "REQUIRED")]
    async with resources.session_factory() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(table))
            for table in (ShippingZone, ShippingMethod, ShippingRate)
        ]
    assert counts == [1, 0, 0]


async def test_a_zone_in_use_by_an_active_method_is_not_deleted(
    carts_client: GraphQLClient, resources: Resources
) -> None:
    staff = _staff(resources)
    zone = await _zone(carts_client, staff, "Nordics", ["NO", "SE"])
    method = await _method(
        carts_client, staff, name="Express", minDays=1, maxDays=2,
        rates=[{"zoneId": zone, "price": 900}],
    )  # fmt: skip
    delete = "mutation($id: ID!) { shippingZoneDelete(id: $id) { deletedId errors { code } } }"

    in_use = await carts_client.execute(delete, {"id": zone}, token=staff)
    await carts_client.execute(
        "mutation($id: ID!) { shippingMethodEnd(id: $id) { errors { code } } }",
        {"id": method["method"]["id"]},
        token=staff,
    )
    deleted = await carts_client.execute(delete, {"id": zone}, token=staff)

    assert in_use.ok()["shippingZoneDelete"] == {"deletedId": None, "errors": [{"code": "IN_USE"}]}
    assert deleted.ok()["shippingZoneDelete"] == {"deletedId": zone, "errors": []}
