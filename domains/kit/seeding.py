"""Options shared by every domain's deterministic seed data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

# uuid5 ids under this namespace make seed rows identical across runs and machines, so
# domains can refer to each other's seed rows (a product's seller) without a lookup.
SEED_NAMESPACE = uuid.UUID("5e3d0a9c-6f1b-4c55-9a59-0d7e8c1f2b3a")

# Published in the README: the demo accounts exist only in seeded development data.
DEMO_PASSWORD = "shopgraph-demo"  # noqa: S105


def seed_id(kind: str, key: str | int) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, f"{kind}:{key}")


@dataclass(frozen=True)
class SeedOptions:
    sellers: int = 10
    customers: int = 20
    products: int = 200
    random_seed: int = 42
    # The local media store (Settings.data_dir / "media") to draw pictures for the seeded
    # product images into; None draws none (the bench's large catalogs, tests).
    media_dir: Path | None = None
