"""The checkout admission gate against a real Redis: it counts the units held by
checkouts in flight, admits all of a checkout's variants or none, and leaves nothing
behind for a refused or failed request."""

from __future__ import annotations

import time
import uuid

import pytest

from domains.carts.admission import (
    SETTLE_SECONDS,
    AdmissionRefused,
    Gate,
    hold_key,
    release,
    settle,
)
from domains.kit.resources import Resources


def _gate(resources: Resources, margin: int | None = 2) -> Gate:
    return Gate(resources.redis, resources.settings, margin)


async def _holds(resources: Resources, variant: uuid.UUID) -> dict[str, str]:
    raw = await resources.redis.hgetall(hold_key(resources.settings, variant))  # type: ignore[misc]
    return {key.decode(): value.decode() for key, value in raw.items()}


async def test_admits_the_stock_seen_plus_the_margin_and_refuses_the_next(
    resources: Resources,
) -> None:
    variant = uuid.uuid4()
    admitted = []
    for _ in range(5):  # 3 seen available + a margin of 2
        checkout = uuid.uuid4()
        await _gate(resources).admit(checkout, {variant: 1}, {variant: 3})
        admitted.append(checkout)

    with pytest.raises(AdmissionRefused) as refused:
        await _gate(resources).admit(uuid.uuid4(), {variant: 1}, {variant: 3})

    assert refused.value.variant_ids == [variant]
    assert set(await _holds(resources, variant)) == {str(c) for c in admitted}

    # A decision frees its hold, and the next shopper is let in.
    await release(resources.redis, resources.settings, admitted[0], [variant])
    await _gate(resources).admit(uuid.uuid4(), {variant: 1}, {variant: 3})


async def test_counts_quantities_not_checkouts(resources: Resources) -> None:
    variant = uuid.uuid4()
    await _gate(resources, margin=0).admit(uuid.uuid4(), {variant: 3}, {variant: 4})

    with pytest.raises(AdmissionRefused):
        await _gate(resources, margin=0).admit(uuid.uuid4(), {variant: 2}, {variant: 4})
    await _gate(resources, margin=0).admit(uuid.uuid4(), {variant: 1}, {variant: 4})


async def test_one_refused_variant_releases_the_others_of_the_checkout(
    resources: Resources,
) -> None:
    plenty, scarce = uuid.uuid4(), uuid.uuid4()
    await _gate(resources, margin=0).admit(uuid.uuid4(), {scarce: 1}, {scarce: 1})

    with pytest.raises(AdmissionRefused) as refused:
        await _gate(resources, margin=0).admit(
            uuid.uuid4(), {plenty: 1, scarce: 1}, {plenty: 50, scarce: 1}
        )

    assert refused.value.variant_ids == [scarce]
    assert await _holds(resources, plenty) == {}


async def test_a_request_that_fails_after_admission_leaves_no_hold(resources: Resources) -> None:
    variant = uuid.uuid4()
    held_inside: list[int] = []

    async def failing_request() -> None:
        async with _gate(resources) as gate:
            await gate.admit(uuid.uuid4(), {variant: 1}, {variant: 3})
            held_inside.append(len(await _holds(resources, variant)))
            raise RuntimeError("the commit failed")

    with pytest.raises(RuntimeError):
        await failing_request()

    assert held_inside == [1]
    assert await _holds(resources, variant) == {}


async def test_a_committed_request_keeps_its_hold(resources: Resources) -> None:
    variant, checkout = uuid.uuid4(), uuid.uuid4()

    async with _gate(resources) as gate:
        await gate.admit(checkout, {variant: 2}, {variant: 3})

    assert list(await _holds(resources, variant)) == [str(checkout)]


async def test_an_expired_hold_no_longer_counts_and_is_dropped(resources: Resources) -> None:
    variant = uuid.uuid4()
    key = hold_key(resources.settings, variant)
    stale = uuid.uuid4()
    past = int((time.time() - 1) * 1000)
    await resources.redis.hset(key, str(stale), f"5 {past}")  # type: ignore[misc]

    await _gate(resources, margin=0).admit(uuid.uuid4(), {variant: 1}, {variant: 1})

    assert str(stale) not in await _holds(resources, variant)


async def test_a_variant_of_unknown_stock_and_a_gate_turned_off_hold_nothing(
    resources: Resources,
) -> None:
    unknown, known = uuid.uuid4(), uuid.uuid4()
    await _gate(resources, margin=0).admit(uuid.uuid4(), {unknown: 5}, {unknown: None})
    for _ in range(3):
        await _gate(resources, margin=None).admit(uuid.uuid4(), {known: 1}, {known: 0})

    assert await _holds(resources, unknown) == {}
    assert await _holds(resources, known) == {}


async def test_sold_out_stock_admits_no_one_however_few_are_in_flight(
    resources: Resources,
) -> None:
    # The margin is for stock there is: counted from nothing, it let in a new crowd each
    # time the checkouts it had let in failed.
    variant = uuid.uuid4()

    with pytest.raises(AdmissionRefused):
        await _gate(resources, margin=64).admit(uuid.uuid4(), {variant: 1}, {variant: 0})
    with pytest.raises(AdmissionRefused):
        await _gate(resources, margin=64).admit(uuid.uuid4(), {variant: 1}, {variant: -2})
    await _gate(resources, margin=64).admit(uuid.uuid4(), {variant: 65}, {variant: 1})


async def test_a_reserved_checkout_keeps_its_hold_with_a_nearer_deadline(
    resources: Resources,
) -> None:
    variant, order = uuid.uuid4(), uuid.uuid4()
    await _gate(resources, margin=0).admit(order, {variant: 2}, {variant: 2})
    before = time.time()

    await settle(resources.redis, resources.settings, order, [variant])

    quantity, deadline_ms = (await _holds(resources, variant))[str(order)].split()
    assert quantity == "2"
    assert before + SETTLE_SECONDS - 1 <= int(deadline_ms) / 1000 <= time.time() + SETTLE_SECONDS
    with pytest.raises(AdmissionRefused):  # its units still count
        await _gate(resources, margin=0).admit(uuid.uuid4(), {variant: 1}, {variant: 2})


async def test_settling_a_hold_released_already_leaves_it_released(resources: Resources) -> None:
    variant, order = uuid.uuid4(), uuid.uuid4()
    await _gate(resources).admit(order, {variant: 1}, {variant: 3})
    await release(resources.redis, resources.settings, order, [variant])

    await settle(resources.redis, resources.settings, order, [variant])

    assert await _holds(resources, variant) == {}
