"""Seed ids are uuid5 under the seed namespace, whatever way they are computed: other
domains and earlier databases refer to seed rows by them."""

from __future__ import annotations

import uuid

import pytest

from domains.kit.seeding import SEED_NAMESPACE, seed_id


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("user", "customer-0"),
        ("seller", 0),
        ("seller", 999),
        ("product", 123_456),
        ("variant", "1000000:3"),
        ("category", "kitchen/knives"),
        ("review", "naïve café ☕"),
        ("", ""),
    ],
)
def test_a_seed_id_is_the_uuid5_of_its_kind_and_key(kind: str, key: str | int) -> None:
    expected = uuid.uuid5(SEED_NAMESPACE, f"{kind}:{key}")

    made = seed_id(kind, key)

    assert made == expected
    assert str(made) == str(expected)
    assert hash(made) == hash(expected)
    assert (made.version, made.variant) == (5, uuid.RFC_4122)
