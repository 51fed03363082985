"""Every SQL statement of the products domain."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    Select,
    Text,
    bindparam,
    cast,
    column,
    delete,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement, UnaryExpression
from sqlalchemy.sql.expression import Executable

from domains.products.models import (
    PRICE_UNKNOWN_LAST_ASC,
    PRICE_UNKNOWN_LAST_DESC,
    SCHEMA,
    SEARCH_CONFIG,
    TRGM,
    Category,
    Inventory,
    InventoryMovement,
    Product,
    ProductImage,
    ProductRating,
    ProductStatus,
    Purchase,
    Review,
    Seller,
    StockReservation,
    Variant,
)

_SEARCH_CONFIG: ColumnElement[Any] = literal_column("'english'::regconfig")

# Upper bounds (inclusive) of the price bands in facets, in minor units; the last band
# is open-ended. Bands are [0, 999], [1000, 2499], ..., [25000, ...).
PRICE_BAND_BOUNDS: tuple[int, ...] = (1000, 2500, 5000, 10000, 25000)


def _uuid_values(name: str, ids: Sequence[uuid.UUID]) -> Any:
    """The ids as a one-column table, `unnest($1::uuid[]) AS name(id)`.

    One array parameter rather than a VALUES list keeps the SQL text the same whatever
    the ids, so SQLAlchemy compiles it once and Postgres can reuse the prepared plan.
    """
    array = bindparam(f"{name}_ids", list(ids), type_=ARRAY(PG_UUID(as_uuid=True)), unique=True)
    return func.unnest(array).table_valued("id", name=name).render_derived()


class SellerRepository:
    async def ids_for_user(self, session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
        result = await session.scalars(select(Seller.id).where(Seller.user_id == user_id))
        return list(result.all())

    async def ids_for_users(
        self, session: AsyncSession, user_ids: Sequence[uuid.UUID]
    ) -> Sequence[Seller]:
        result = await session.scalars(select(Seller).where(Seller.user_id.in_(user_ids)))
        return result.all()

    async def get(self, session: AsyncSession, seller_id: uuid.UUID) -> Seller | None:
        return await session.get(Seller, seller_id)

    async def link(self, session: AsyncSession, seller_id: uuid.UUID, user_id: uuid.UUID) -> None:
        await session.execute(
            insert(Seller)
            .values(id=seller_id, user_id=user_id)
            .on_conflict_do_update(index_elements=[Seller.id], set_={"user_id": user_id})
        )


class CategoryRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Category]:
        result = await session.scalars(select(Category).where(Category.id.in_(ids)))
        return result.all()

    async def get_by_slugs(self, session: AsyncSession, slugs: Sequence[str]) -> Sequence[Category]:
        result = await session.scalars(select(Category).where(Category.slug.in_(slugs)))
        return result.all()

    async def list_all(self, session: AsyncSession) -> Sequence[Category]:
        result = await session.scalars(
            select(Category).order_by(Category.position, Category.name, Category.id)
        )
        return result.all()

    async def exists(self, session: AsyncSession, category_id: uuid.UUID) -> bool:
        found = await session.scalar(select(Category.id).where(Category.id == category_id))
        return found is not None


class ProductRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Product]:
        result = await session.scalars(select(Product).where(Product.id.in_(ids)))
        return result.all()

    async def get_by_slugs(self, session: AsyncSession, slugs: Sequence[str]) -> Sequence[Product]:
        result = await session.scalars(select(Product).where(Product.slug.in_(slugs)))
        return result.all()

    async def get_for_update(self, session: AsyncSession, product_id: uuid.UUID) -> Product | None:
        return await session.scalar(
            select(Product)
            .where(Product.id == product_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def slug_exists(
        self, session: AsyncSession, slug: str, *, other_than: uuid.UUID | None = None
    ) -> bool:
        query = select(Product.id).where(Product.slug == slug)
        if other_than is not None:
            query = query.where(Product.id != other_than)
        return (await session.scalar(query.limit(1))) is not None

    async def add(self, session: AsyncSession, product: Product) -> None:
        session.add(product)
        await session.flush()
        # Every product has a rating row from the start, so rating sorts are an inner
        # join and reviews only ever update it.
        await session.execute(insert(ProductRating).values(product_id=product.id))

    async def refresh_price_summary(self, session: AsyncSession, product_id: uuid.UUID) -> None:
        """Recompute the product's "from" price and currency from its variants."""
        prices = (
            select(
                func.min(Variant.price_amount).label("low"),
                func.max(Variant.price_amount).label("high"),
                func.min(Variant.currency).label("currency"),
            )
            .where(Variant.product_id == product_id)
            .subquery()
        )
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(
                price_min=select(prices.c.low).scalar_subquery(),
                price_max=select(prices.c.high).scalar_subquery(),
                currency=select(prices.c.currency).scalar_subquery(),
                updated_at=func.now(),
            )
        )

    async def refresh_stock_flags(
        self, session: AsyncSession, variant_ids: Sequence[uuid.UUID]
    ) -> Sequence[tuple[uuid.UUID, str]]:
        """Recompute `in_stock` of the variants' products; (id, slug) of those that changed.

        Called after stock crossed zero, with the inventory rows already locked: the
        product rows are then locked in id order, the same order for every caller.
        """
        product_ids = (
            await session.scalars(
                select(Variant.product_id)
                .where(Variant.id.in_(variant_ids))
                .distinct()
                .order_by(Variant.product_id)
            )
        ).all()
        changed: list[tuple[uuid.UUID, str]] = []
        for product_id in product_ids:
            available = _any_variant_available()
            row = (
                await session.execute(
                    update(Product)
                    .where(Product.id == product_id, Product.in_stock.is_distinct_from(available))
                    .values(in_stock=available)
                    .returning(Product.id, Product.slug)
                )
            ).one_or_none()
            if row is not None:
                changed.append((row.id, row.slug))
        return changed

    async def page_by_sellers(
        self,
        session: AsyncSession,
        seller_ids: Sequence[uuid.UUID],
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Product]:
        """Newest ACTIVE products of each seller, `limit` per seller, in one statement."""
        sellers = _uuid_values("sellers", seller_ids)
        inner = (
            select(*_product_columns())
            .where(
                Product.seller_id == sellers.c.id,
                Product.status == ProductStatus.ACTIVE.value,
            )
            .order_by(Product.created_at.desc(), Product.id.desc())
            .limit(limit)
        )
        if after is not None:
            inner = inner.where(tuple_(Product.created_at, Product.id) < tuple_(*after))
        page = inner.lateral("page")
        result = await session.scalars(
            select(aliased(Product, page)).select_from(sellers).join(page, true())
        )
        return result.all()

    async def count_by_sellers(
        self, session: AsyncSession, seller_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, int]:
        result = await session.execute(
            select(Product.seller_id, func.count())
            .where(Product.seller_id.in_(seller_ids), Product.status == ProductStatus.ACTIVE.value)
            .group_by(Product.seller_id)
        )
        return {seller_id: int(count) for seller_id, count in result.all()}


def _product_columns() -> list[Any]:
    # Everything but the search vector, which no caller reads back.
    return [c for c in Product.__table__.c if c.name != "search_vector"]


class VariantRepository:
    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Variant]:
        result = await session.scalars(select(Variant).where(Variant.id.in_(ids)))
        return result.all()

    async def get_by_skus(self, session: AsyncSession, skus: Sequence[str]) -> Sequence[Variant]:
        result = await session.scalars(select(Variant).where(Variant.sku.in_(skus)))
        return result.all()

    async def list_by_product_ids(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[Variant]:
        result = await session.scalars(
            select(Variant)
            .where(Variant.product_id.in_(product_ids))
            .order_by(Variant.product_id, Variant.position, Variant.created_at, Variant.id)
        )
        return result.all()

    async def get_for_update(self, session: AsyncSession, variant_id: uuid.UUID) -> Variant | None:
        return await session.scalar(
            select(Variant)
            .where(Variant.id == variant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def sku_exists(
        self, session: AsyncSession, sku: str, *, other_than: uuid.UUID | None = None
    ) -> bool:
        query = select(Variant.id).where(Variant.sku == sku)
        if other_than is not None:
            query = query.where(Variant.id != other_than)
        return (await session.scalar(query.limit(1))) is not None

    async def next_position(self, session: AsyncSession, product_id: uuid.UUID) -> int:
        highest = await session.scalar(
            select(func.max(Variant.position)).where(Variant.product_id == product_id)
        )
        return 0 if highest is None else int(highest) + 1

    async def add(self, session: AsyncSession, variant: Variant) -> None:
        session.add(variant)
        await session.flush()
        await session.execute(insert(Inventory).values(variant_id=variant.id))


@dataclass(frozen=True)
class StockLevel:
    variant_id: uuid.UUID
    on_hand: int
    reserved: int


class InventoryRepository:
    async def get_by_variant_ids(
        self, session: AsyncSession, variant_ids: Sequence[uuid.UUID]
    ) -> Sequence[Inventory]:
        result = await session.scalars(
            select(Inventory).where(Inventory.variant_id.in_(variant_ids))
        )
        return result.all()

    async def adjust_on_hand(
        self, session: AsyncSession, variant_id: uuid.UUID, delta: int
    ) -> StockLevel | None:
        """Add `delta` to on hand unless that would leave less than is reserved.

        One conditional UPDATE: the check and the write are the same statement, so two
        concurrent adjustments cannot both pass a check made before the other wrote.
        """
        row = (
            await session.execute(
                update(Inventory)
                .where(
                    Inventory.variant_id == variant_id,
                    Inventory.on_hand + delta >= Inventory.reserved,
                )
                .values(on_hand=Inventory.on_hand + delta, updated_at=func.now())
                .returning(Inventory.on_hand, Inventory.reserved)
            )
        ).one_or_none()
        return None if row is None else StockLevel(variant_id, row.on_hand, row.reserved)

    async def reserve(
        self, session: AsyncSession, variant_id: uuid.UUID, quantity: int
    ) -> StockLevel | None:
        """Hold `quantity` if that many are available; None (and nothing held) otherwise.

        The row lock taken by the UPDATE makes concurrent reservations of one variant
        queue up, and each re-checks the condition against the committed row it waited
        for: stock can neither be oversold nor go negative.
        """
        row = (
            await session.execute(
                update(Inventory)
                .where(
                    Inventory.variant_id == variant_id,
                    Inventory.on_hand - Inventory.reserved >= quantity,
                )
                .values(reserved=Inventory.reserved + quantity, updated_at=func.now())
                .returning(Inventory.on_hand, Inventory.reserved)
            )
        ).one_or_none()
        return None if row is None else StockLevel(variant_id, row.on_hand, row.reserved)

    async def release(
        self, session: AsyncSession, variant_id: uuid.UUID, quantity: int
    ) -> StockLevel:
        row = (
            await session.execute(
                update(Inventory)
                .where(Inventory.variant_id == variant_id)
                .values(reserved=Inventory.reserved - quantity, updated_at=func.now())
                .returning(Inventory.on_hand, Inventory.reserved)
            )
        ).one()
        return StockLevel(variant_id, row.on_hand, row.reserved)

    async def restock(
        self, session: AsyncSession, variant_id: uuid.UUID, quantity: int
    ) -> StockLevel:
        """Committed units come back on hand (their order was cancelled before shipping)."""
        row = (
            await session.execute(
                update(Inventory)
                .where(Inventory.variant_id == variant_id)
                .values(on_hand=Inventory.on_hand + quantity, updated_at=func.now())
                .returning(Inventory.on_hand, Inventory.reserved)
            )
        ).one()
        return StockLevel(variant_id, row.on_hand, row.reserved)

    async def commit(
        self, session: AsyncSession, variant_id: uuid.UUID, quantity: int
    ) -> StockLevel:
        """The reserved units leave the warehouse: both on hand and reserved go down."""
        row = (
            await session.execute(
                update(Inventory)
                .where(Inventory.variant_id == variant_id)
                .values(
                    on_hand=Inventory.on_hand - quantity,
                    reserved=Inventory.reserved - quantity,
                    updated_at=func.now(),
                )
                .returning(Inventory.on_hand, Inventory.reserved)
            )
        ).one()
        return StockLevel(variant_id, row.on_hand, row.reserved)

    async def get(self, session: AsyncSession, variant_id: uuid.UUID) -> Inventory | None:
        return await session.get(Inventory, variant_id)

    async def add_movements(self, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await session.execute(insert(InventoryMovement), list(rows))

    async def movements_for_variant(
        self, session: AsyncSession, variant_id: uuid.UUID
    ) -> Sequence[InventoryMovement]:
        result = await session.scalars(
            select(InventoryMovement)
            .where(InventoryMovement.variant_id == variant_id)
            .order_by(InventoryMovement.id)
        )
        return result.all()


class ReservationRepository:
    async def for_order(
        self, session: AsyncSession, order_id: uuid.UUID
    ) -> Sequence[StockReservation]:
        result = await session.scalars(
            select(StockReservation)
            .where(StockReservation.order_id == order_id)
            .order_by(StockReservation.variant_id)
        )
        return result.all()

    async def add_all(
        self, session: AsyncSession, rows: Sequence[dict[str, Any]]
    ) -> Sequence[StockReservation]:
        result = await session.scalars(
            insert(StockReservation).returning(StockReservation, sort_by_parameter_order=True),
            list(rows),
        )
        return result.all()

    async def delete_for_order(self, session: AsyncSession, order_id: uuid.UUID) -> None:
        await session.execute(delete(StockReservation).where(StockReservation.order_id == order_id))

    async def close_for_order(
        self,
        session: AsyncSession,
        order_id: uuid.UUID,
        status: str,
        *,
        from_status: str = "RESERVED",
    ) -> Sequence[StockReservation]:
        """Move an order's lines in `from_status` (held ones, by default) to `status` and
        return them, in variant order.

        Claiming the rows with an UPDATE ... WHERE status = `from_status` means two callers
        (a payment and an expiry sweep) cannot both release the same units.
        """
        result = await session.scalars(
            update(StockReservation)
            .where(
                StockReservation.order_id == order_id,
                StockReservation.status == from_status,
            )
            .values(status=status, updated_at=func.now())
            .returning(StockReservation)
        )
        return sorted(result.all(), key=lambda row: row.variant_id)

    async def expired_orders(
        self, session: AsyncSession, now: datetime, limit: int
    ) -> list[uuid.UUID]:
        """Orders holding stock past their expiry, oldest first."""
        result = await session.scalars(
            select(StockReservation.order_id)
            .where(StockReservation.status == "RESERVED", StockReservation.expires_at <= now)
            .group_by(StockReservation.order_id)
            .order_by(func.min(StockReservation.expires_at))
            .limit(limit)
        )
        return list(result.all())


class ImageRepository:
    async def list_by_product_ids(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[ProductImage]:
        result = await session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id.in_(product_ids))
            .order_by(ProductImage.product_id, ProductImage.position, ProductImage.created_at)
        )
        return result.all()

    async def get_for_update(
        self, session: AsyncSession, image_id: uuid.UUID
    ) -> ProductImage | None:
        return await session.scalar(
            select(ProductImage)
            .where(ProductImage.id == image_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def count_for_product(self, session: AsyncSession, product_id: uuid.UUID) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(ProductImage)
            .where(ProductImage.product_id == product_id)
        )
        return int(count or 0)

    async def make_room(self, session: AsyncSession, product_id: uuid.UUID, position: int) -> None:
        await session.execute(
            update(ProductImage)
            .where(ProductImage.product_id == product_id, ProductImage.position >= position)
            .values(position=ProductImage.position + 1)
        )

    async def close_gap(self, session: AsyncSession, product_id: uuid.UUID, position: int) -> None:
        await session.execute(
            update(ProductImage)
            .where(ProductImage.product_id == product_id, ProductImage.position > position)
            .values(position=ProductImage.position - 1)
        )

    async def add(self, session: AsyncSession, image: ProductImage) -> None:
        session.add(image)
        await session.flush()

    async def delete(self, session: AsyncSession, image_id: uuid.UUID) -> None:
        await session.execute(delete(ProductImage).where(ProductImage.id == image_id))


class RatingRepository:
    async def get_by_product_ids(
        self, session: AsyncSession, product_ids: Sequence[uuid.UUID]
    ) -> Sequence[ProductRating]:
        result = await session.scalars(
            select(ProductRating).where(ProductRating.product_id.in_(product_ids))
        )
        return result.all()

    async def add_review(self, session: AsyncSession, product_id: uuid.UUID, rating: int) -> None:
        """Count a review in, atomically: concurrent reviews cannot lose an update."""
        statement = insert(ProductRating).values(
            product_id=product_id, review_count=1, rating_total=rating
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[ProductRating.product_id],
                set_={
                    "review_count": ProductRating.review_count + 1,
                    "rating_total": ProductRating.rating_total + statement.excluded.rating_total,
                },
            )
        )

    async def remove_review(
        self, session: AsyncSession, product_id: uuid.UUID, rating: int
    ) -> None:
        await session.execute(
            update(ProductRating)
            .where(ProductRating.product_id == product_id)
            .values(
                review_count=ProductRating.review_count - 1,
                rating_total=ProductRating.rating_total - rating,
            )
        )


class ReviewRepository:
    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> Sequence[Review]:
        result = await session.scalars(select(Review).where(Review.id.in_(ids)))
        return result.all()

    async def get_for_update(self, session: AsyncSession, review_id: uuid.UUID) -> Review | None:
        return await session.scalar(
            select(Review)
            .where(Review.id == review_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    async def exists_for(
        self, session: AsyncSession, product_id: uuid.UUID, author_id: uuid.UUID
    ) -> bool:
        found = await session.scalar(
            select(Review.id).where(Review.product_id == product_id, Review.author_id == author_id)
        )
        return found is not None

    async def add(self, session: AsyncSession, review: Review) -> None:
        session.add(review)
        await session.flush()

    async def delete(self, session: AsyncSession, review_id: uuid.UUID) -> None:
        await session.execute(delete(Review).where(Review.id == review_id))

    async def record_purchases(
        self, session: AsyncSession, customer_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
    ) -> None:
        """Remember delivered products (those still in the catalog), once each."""
        if not product_ids:
            return
        await session.execute(
            insert(Purchase)
            .from_select(
                ["customer_id", "product_id"],
                select(literal(customer_id, PG_UUID(as_uuid=True)), Product.id).where(
                    Product.id.in_(product_ids)
                ),
            )
            .on_conflict_do_nothing()
        )

    async def has_purchased(
        self, session: AsyncSession, customer_id: uuid.UUID, product_id: uuid.UUID
    ) -> bool:
        found = await session.scalar(
            select(Purchase.product_id).where(
                Purchase.customer_id == customer_id, Purchase.product_id == product_id
            )
        )
        return found is not None

    async def mark_verified_purchases(
        self, session: AsyncSession, author_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
    ) -> int:
        if not product_ids:
            return 0
        result = await session.execute(
            update(Review)
            .where(
                Review.author_id == author_id,
                Review.product_id.in_(product_ids),
                Review.verified_purchase.is_(False),
            )
            .values(verified_purchase=True)
            .returning(Review.id)
        )
        return len(result.all())

    async def newest_by_authors(
        self, session: AsyncSession, author_ids: Sequence[uuid.UUID], *, limit: int
    ) -> Sequence[Review]:
        """Each author's newest `limit` reviews, in one statement."""
        return await self._newest(session, Review.author_id, author_ids, limit=limit, after=None)

    async def page_by_products(
        self,
        session: AsyncSession,
        product_ids: Sequence[uuid.UUID],
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Review]:
        """Each product's newest `limit` reviews after the cursor, in one statement."""
        return await self._newest(session, Review.product_id, product_ids, limit=limit, after=after)

    async def _newest(
        self,
        session: AsyncSession,
        owner: Any,
        owner_ids: Sequence[uuid.UUID],
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Review]:
        owners = _uuid_values("owners", owner_ids)
        inner = (
            select(Review)
            .where(owner == owners.c.id)
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
        if after is not None:
            inner = inner.where(tuple_(Review.created_at, Review.id) < tuple_(*after))
        page = inner.lateral("page")
        result = await session.scalars(
            select(aliased(Review, page)).select_from(owners).join(page, true())
        )
        return result.all()


# --------------------------------------------------------------------------- search


class ProductSort(StrEnum):
    RELEVANCE = "RELEVANCE"
    PRICE_ASC = "PRICE_ASC"
    PRICE_DESC = "PRICE_DESC"
    NEWEST = "NEWEST"
    RATING = "RATING"


@dataclass(frozen=True)
class ProductSearch:
    """What a listing asks for; every field narrows the result (None: no constraint)."""

    text: str | None = None
    category_id: uuid.UUID | None = None
    seller_id: uuid.UUID | None = None
    min_price: int | None = None
    max_price: int | None = None
    currency: str | None = None
    in_stock: bool | None = None
    statuses: tuple[str, ...] = (ProductStatus.ACTIVE.value,)

    def cache_key(self) -> list[Any]:
        return [
            self.text,
            self.category_id,
            self.seller_id,
            self.min_price,
            self.max_price,
            self.currency,
            self.in_stock,
            sorted(self.statuses),
        ]


@dataclass(frozen=True)
class _SortKey:
    """One key of a listing order; never null, so that a cursor is one row comparison."""

    expression: ColumnElement[Any]
    descending: bool

    def order_by(self) -> UnaryExpression[Any]:
        return self.expression.desc() if self.descending else self.expression.asc()


@dataclass(frozen=True)
class _SearchPlan:
    statement: Select[Any]
    keys: list[_SortKey] = field(default_factory=list)


def _tsquery(text: str) -> ColumnElement[Any]:
    return func.websearch_to_tsquery(_SEARCH_CONFIG, text)


# How many search words are corrected, and how many corrections each may have.
_MAX_CORRECTED_WORDS = 8
_MAX_CORRECTIONS = 5

# The search words as one tsquery in which every word unknown to the vocabulary also
# stands for its nearest vocabulary words: "blue jeens" is blue & (jeens | jeans).
# Words the vocabulary knows stay as they are, so "wool" never widens to "wood". Both the
# search's words (search_words) and the vocabulary's are letters and digits only, so they
# are safe in to_tsquery's syntax; the f-string holds only our own names and numbers.
_CORRECTED_TSQUERY = f"""
SELECT to_tsquery('{SEARCH_CONFIG}'::regconfig, string_agg(alternatives, ' & '))
FROM (
    SELECT '(' || concat_ws(' | ', query.word, string_agg(nearest.term, ' | ')) || ')'
        AS alternatives
    FROM unnest(CAST(:words AS text[])) AS query(word)
    LEFT JOIN LATERAL (
        SELECT term
        FROM {SCHEMA}.search_terms
        WHERE NOT EXISTS (SELECT FROM {SCHEMA}.search_terms known WHERE known.term = query.word)
          AND term OPERATOR({TRGM}.%) query.word
        ORDER BY {TRGM}.similarity(term, query.word) DESC, term
        LIMIT {_MAX_CORRECTIONS}
    ) AS nearest ON true
    GROUP BY query.word
) AS per_word
"""  # noqa: S608


def search_words(text: str) -> list[str]:
    """The words of a search as the vocabulary holds them: lowercase letters and digits."""
    words = [word for word in re.split(r"[^\w]+|_", text.lower()) if 2 <= len(word) <= 64]
    return list(dict.fromkeys(words))[:_MAX_CORRECTED_WORDS]


def _corrected_tsquery(text: str) -> ColumnElement[Any] | None:
    words = search_words(text)
    if not words:
        return None
    clause = sql_text(_CORRECTED_TSQUERY).bindparams(
        bindparam("words", words, type_=ARRAY(Text()), unique=True)
    )
    return clause.columns(column("query", TSQUERY)).scalar_subquery()


def _text_match(text: str) -> ColumnElement[bool]:
    """Full-text match, a name within typo distance (pg_trgm word similarity), or a
    full-text match of the search with its misspelt words corrected from the vocabulary.

    Name similarity catches a typo in a long word ("wterproof"); the vocabulary catches
    short ones, whose few trigrams are too small a part of a whole name ("jeens", "wol").
    Every branch is GIN-indexed (the corrected query is computed once, before the scan),
    so Postgres answers the OR with a BitmapOr of indexes rather than reading the table.
    """
    full_text = Product.search_vector.op("@@", return_type=Boolean)(_tsquery(text))
    similar_name = literal(text).op(f"OPERATOR({TRGM}.<%)", return_type=Boolean)(Product.name)
    corrected = _corrected_tsquery(text)
    if corrected is None:
        return or_(full_text, similar_name)
    corrected_text = Product.search_vector.op("@@", return_type=Boolean)(corrected)
    return or_(full_text, similar_name, corrected_text)


def _relevance(text: str) -> ColumnElement[float]:
    # ts_rank weighs name (A, 1.0) above description (B, 0.4); word similarity to the
    # name ranks typo'd matches, which have no full-text rank at all.
    rank = func.ts_rank(Product.search_vector, _tsquery(text))
    similarity = getattr(func, TRGM).word_similarity(text, Product.name)
    return cast(rank * 2 + similarity, Float(53))


def _any_variant_available() -> ColumnElement[bool]:
    return exists(
        select(literal(1))
        .select_from(Variant)
        .join(Inventory, Inventory.variant_id == Variant.id)
        .where(Variant.product_id == Product.id, Inventory.on_hand > Inventory.reserved)
    )


def _price_key(*, ascending: bool) -> ColumnElement[int]:
    """The expression of a price index (see models.Product). The sentinel is a literal: a
    bound parameter would not match the index expression in a generic plan."""
    sentinel = PRICE_UNKNOWN_LAST_ASC if ascending else PRICE_UNKNOWN_LAST_DESC
    return func.coalesce(Product.price_min, literal_column(str(sentinel), BigInteger()))


def _category_subtree(category_id: uuid.UUID) -> Any:
    subtree = select(Category.id).where(Category.id == category_id).cte("subtree", recursive=True)
    return subtree.union_all(select(Category.id).where(Category.parent_id == subtree.c.id))


def search_conditions(criteria: ProductSearch) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if len(criteria.statuses) == 1:
        conditions.append(Product.status == criteria.statuses[0])
    else:
        conditions.append(Product.status.in_(criteria.statuses))
    if criteria.text:
        conditions.append(_text_match(criteria.text))
    if criteria.category_id is not None:
        subtree = _category_subtree(criteria.category_id)
        conditions.append(Product.category_id.in_(select(subtree.c.id)))
    if criteria.seller_id is not None:
        conditions.append(Product.seller_id == criteria.seller_id)
    if criteria.currency is not None:
        conditions.append(Product.currency == criteria.currency)
    # On the PRICE_ASC index expression, so that a price range is an index range there;
    # a product without a price never matches (its sentinel exceeds any maximum).
    if criteria.min_price is not None:
        conditions.append(_price_key(ascending=True) >= criteria.min_price)
    if criteria.max_price is not None:
        conditions.append(_price_key(ascending=True) <= criteria.max_price)
    if criteria.in_stock is not None:
        conditions.append(Product.in_stock.is_(criteria.in_stock))
    return conditions


def _sort_keys(criteria: ProductSearch, sort: ProductSort) -> list[_SortKey]:
    if sort is ProductSort.RELEVANCE and criteria.text:
        return [_SortKey(_relevance(criteria.text), True), _SortKey(Product.id.expression, True)]
    if sort is ProductSort.PRICE_ASC:
        return [_SortKey(_price_key(ascending=True), False), _SortKey(Product.id.expression, False)]
    if sort is ProductSort.PRICE_DESC:
        return [_SortKey(_price_key(ascending=False), True), _SortKey(Product.id.expression, True)]
    if sort is ProductSort.RATING:
        return [
            _SortKey(ProductRating.average.expression, True),
            _SortKey(ProductRating.review_count.expression, True),
            _SortKey(ProductRating.product_id.expression, True),
        ]
    # NEWEST, and RELEVANCE without search text (nothing to be relevant to).
    return [_SortKey(Product.created_at.expression, True), _SortKey(Product.id.expression, True)]


def sort_key_count(criteria: ProductSearch, sort: ProductSort) -> int:
    return len(_sort_keys(criteria, sort))


def _after(keys: list[_SortKey], cursor: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `cursor`: one row comparison, which Postgres answers as an
    index range, so page N costs what page 1 does. Every order has all its keys in one
    direction (the id breaks ties in the order's own direction) for this to hold."""
    assert len({key.descending for key in keys}) == 1
    row = tuple_(*(key.expression for key in keys))
    bound = tuple_(
        *(literal(value, key.expression.type) for key, value in zip(keys, cursor, strict=True))
    )
    return row < bound if keys[0].descending else row > bound


def search_plan(
    criteria: ProductSearch,
    sort: ProductSort,
    *,
    limit: int,
    after: Sequence[Any] | None = None,
) -> _SearchPlan:
    """The listing statement: products with their sort key values, one page."""
    keys = _sort_keys(criteria, sort)
    statement = select(Product, *(key.expression.label(f"sort_{i}") for i, key in enumerate(keys)))
    if sort is ProductSort.RATING:
        statement = statement.join(ProductRating, ProductRating.product_id == Product.id)
    statement = statement.where(*search_conditions(criteria))
    if after is not None:
        statement = statement.where(_after(keys, after))
    statement = statement.order_by(*(key.order_by() for key in keys)).limit(limit)
    return _SearchPlan(statement, keys)


def aggregates_statement(criteria: ProductSearch) -> Select[Any]:
    """Total and facet counts of a listing, in one statement.

    Rows are (facet, value, count): ("category", id, n) counts products in the category
    or below it; ("price", band index, n); ("stock", true|false, n).
    """
    matched = (
        select(
            Product.category_id.label("category_id"),
            func.width_bucket(
                Product.price_min, literal(list(PRICE_BAND_BOUNDS), ARRAY(BigInteger()))
            ).label("band"),
            Product.in_stock.label("in_stock"),
        )
        .where(*search_conditions(criteria))
        .cte("matched")
    )
    # Each category with every ancestor it rolls up into (itself included).
    lineage = select(Category.id.label("category_id"), Category.id.label("ancestor_id")).cte(
        "lineage", recursive=True
    )
    parent = aliased(Category)
    lineage = lineage.union_all(
        select(lineage.c.category_id, parent.parent_id)
        .join(parent, parent.id == lineage.c.ancestor_id)
        .where(parent.parent_id.is_not(None))
    )
    by_category = (
        select(
            literal("category").label("facet"),
            cast(lineage.c.ancestor_id, Text).label("value"),
            func.count().label("count"),
        )
        .select_from(matched)
        .join(lineage, lineage.c.category_id == matched.c.category_id)
        .group_by(lineage.c.ancestor_id)
    )
    by_band = (
        select(
            literal("price").label("facet"),
            cast(matched.c.band, Text).label("value"),
            func.count().label("count"),
        )
        .where(matched.c.band.is_not(None))
        .group_by(matched.c.band)
    )
    by_stock = select(
        literal("stock").label("facet"),
        cast(matched.c.in_stock, Text).label("value"),
        func.count().label("count"),
    ).group_by(matched.c.in_stock)
    return union_all(by_category, by_band, by_stock)  # type: ignore[return-value]


@dataclass(frozen=True)
class SearchAggregates:
    total: int
    in_stock: int
    by_category: dict[uuid.UUID, int]
    by_price_band: dict[int, int]


class _Explain(Executable, ClauseElement):
    """EXPLAIN around a statement, its parameters bound exactly as when it runs."""

    inherit_cache = False

    def __init__(self, statement: Any, *, analyze: bool) -> None:
        self.statement = statement
        self.analyze = analyze


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: SQLCompiler, **kw: Any) -> str:
    options = "ANALYZE, BUFFERS" if element.analyze else "COSTS"
    return f"EXPLAIN ({options}) {compiler.process(element.statement, **kw)}"


class SearchRepository:
    async def explain(
        self, session: AsyncSession, statement: Any, *, analyze: bool = False
    ) -> list[str]:
        """The plan of a search statement (from `search_plan` or `aggregates_statement`)."""
        rows = await session.execute(_Explain(statement, analyze=analyze))
        return [str(row[0]) for row in rows.all()]

    async def page(
        self,
        session: AsyncSession,
        criteria: ProductSearch,
        sort: ProductSort,
        *,
        limit: int,
        after: Sequence[Any] | None,
    ) -> list[tuple[Product, list[Any]]]:
        plan = search_plan(criteria, sort, limit=limit, after=after)
        result = await session.execute(plan.statement)
        return [(row[0], list(row[1:])) for row in result.all()]

    async def aggregates(self, session: AsyncSession, criteria: ProductSearch) -> SearchAggregates:
        rows = (await session.execute(aggregates_statement(criteria))).all()
        by_category: dict[uuid.UUID, int] = {}
        by_band: dict[int, int] = {}
        stock = {True: 0, False: 0}
        for facet, value, count in rows:
            if facet == "category":
                by_category[uuid.UUID(value)] = int(count)
            elif facet == "price":
                by_band[int(value)] = int(count)
            else:
                stock[value == "true"] = int(count)
        return SearchAggregates(
            total=stock[True] + stock[False],
            in_stock=stock[True],
            by_category=by_category,
            by_price_band=by_band,
        )


def cursor_value(value: Any) -> Any:
    """A sort key value as it goes into a cursor (JSON)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    return value


def parse_cursor_values(
    criteria: ProductSearch, sort: ProductSort, raw: Sequence[Any]
) -> list[Any]:
    """Sort key values back from a cursor; ValueError when they do not fit the sort."""
    keys = _sort_keys(criteria, sort)
    if len(raw) != len(keys):
        raise ValueError("wrong number of sort keys")
    parsed: list[Any] = []
    for key, value in zip(keys, raw, strict=True):
        if value is None:
            raise ValueError("null sort key")
        python_type = key.expression.type.python_type
        if python_type is datetime:
            parsed.append(datetime.fromisoformat(str(value)))
        elif python_type is uuid.UUID:
            parsed.append(uuid.UUID(str(value)))
        elif python_type is Decimal:
            parsed.append(Decimal(str(value)))
        elif python_type is float and isinstance(value, (int, float)):
            parsed.append(float(value))
        elif python_type is int and isinstance(value, int) and not isinstance(value, bool):
            parsed.append(value)
        else:
            raise ValueError(f"unexpected sort key {value!r}")
    return parsed


seller_repository = SellerRepository()
category_repository = CategoryRepository()
product_repository = ProductRepository()
variant_repository = VariantRepository()
inventory_repository = InventoryRepository()
reservation_repository = ReservationRepository()
image_repository = ImageRepository()
rating_repository = RatingRepository()
review_repository = ReviewRepository()
search_repository = SearchRepository()
