"""The demo catalog's promotions, and how the seed prices the offers it announces.

Three live promotions, so listings and carts show prices before and after a discount:
20 % off knitwear for a month, the first seller's 15 % sale on their whole shop for two
weeks, and 5.00 off every Outdoors product until ended. Their dates are relative to the
moment of seeding (a promotion must be live to show): a second seed keeps the first rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.seeding import seed_id
from domains.products.models import PromotionAnnouncement, PromotionKind
from domains.products.promotion_price import PriceBook, PromotionTerms
from domains.products.services.promoted_prices import open_promotions

STARTED = PromotionAnnouncement.STARTED.value


def promotion_rows(now: datetime) -> list[tuple[Any, ...]]:
    """Rows in the seed's `promotions` column order; announced as STARTED, since the
    seed's offers carry their prices."""
    staff = seed_id("user", "staff")
    return [
        (
            seed_id("promotion", "knitwear-winter-sale"),
            "Knitwear winter sale",
            PromotionKind.PERCENTAGE.value,
            2000,
            None,
            [seed_id("category", "clothing-knitwear")],
            [],
            None,
            now - timedelta(days=1),
            now + timedelta(days=30),
            staff,
            STARTED,
        ),
        (
            seed_id("promotion", "seller-0-spring-sale"),
            "Spring sale",
            PromotionKind.PERCENTAGE.value,
            1500,
            None,
            [],
            [],
            seed_id("seller", 0),
            now - timedelta(days=1),
            now + timedelta(days=14),
            seed_id("user", "seller-user-0"),
            STARTED,
        ),
        (
            seed_id("promotion", "outdoors-five-off"),
            "5.00 off the outdoors",
            PromotionKind.FIXED.value,
            500,
            "USD",
            [seed_id("category", "outdoors")],
            [],
            None,
            now - timedelta(days=1),
            None,
            staff,
            STARTED,
        ),
    ]


@dataclass(frozen=True)
class SeedProduct:
    id: uuid.UUID
    seller_id: uuid.UUID
    category_id: uuid.UUID | None


@dataclass(frozen=True)
class SeedPricing:
    """The open promotions and the category tree, to price offers as products would."""

    promotions: tuple[PromotionTerms, ...]
    parents: dict[uuid.UUID, uuid.UUID | None]

    @classmethod
    async def load(
        cls, session: AsyncSession, category_rows: Sequence[tuple[Any, ...]], now: datetime
    ) -> SeedPricing:
        parents = {row[0]: row[1] for row in category_rows}
        return cls(tuple(await open_promotions(session, now)), parents)

    def book(self, now: datetime) -> PriceBook:
        return PriceBook(self.promotions, now)

    def lineage(self, category_id: uuid.UUID | None) -> list[uuid.UUID]:
        """The category and every category above it, nearest first."""
        lineage: list[uuid.UUID] = []
        while category_id is not None and category_id not in lineage:
            lineage.append(category_id)
            category_id = self.parents.get(category_id)
        return lineage
