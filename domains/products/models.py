"""Tables of the products domain, all in the Postgres schema `products`.

Sellers and review authors belong to the users domain: they are plain UUID columns here,
never foreign keys across schemas.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

from domains.kit.db import created_at_column, domain_metadata, one_of, updated_at_column
from domains.kit.events import EventTables

SCHEMA = "products"

# pg_trgm is installed into this schema (see migration 0001), so its operator classes,
# operators and functions are spelled with the schema name.
TRGM = SCHEMA

# The text search configuration of the search vector and of every query against it.
SEARCH_CONFIG = "english"

# Stand-ins for "no price yet" in the price orders, so that such products come last.
PRICE_UNKNOWN_LAST_ASC = 9_223_372_036_854_775_807  # bigint max
PRICE_UNKNOWN_LAST_DESC = -1


class Base(DeclarativeBase):
    metadata = domain_metadata(SCHEMA)


# products.outbox and products.processed_events (domains.kit.events).
EVENT_TABLES = EventTables(Base.metadata)


class ProductStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


class InventoryChange(StrEnum):
    """What moved stock; every change of an inventory row writes one movement."""

    ADJUSTMENT = "ADJUSTMENT"
    RESERVATION = "RESERVATION"
    RELEASE = "RELEASE"
    COMMIT = "COMMIT"
    # A paid order cancelled before anything shipped: its committed units come back.
    RESTOCK = "RESTOCK"


class AdjustmentReason(StrEnum):
    RECEIVED = "RECEIVED"
    RETURNED = "RETURNED"
    CORRECTION = "CORRECTION"
    DAMAGED = "DAMAGED"
    LOST = "LOST"


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    COMMITTED = "COMMITTED"
    RESTOCKED = "RESTOCKED"


class PromotionKind(StrEnum):
    """PERCENTAGE: `value` basis points off (2000 = 20 %). FIXED: `value` minor units of
    `currency` off each unit."""

    PERCENTAGE = "PERCENTAGE"
    FIXED = "FIXED"


class PromotionAnnouncement(StrEnum):
    """Which of a promotion's boundaries other domains have heard of (the sweeper's
    bookkeeping): PENDING, its start not yet; STARTED, its start but not its end; ENDED,
    both (or it never needs announcing again)."""

    PENDING = "PENDING"
    STARTED = "STARTED"
    ENDED = "ENDED"


class TimestampedMixin:
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class Seller(Base):
    """Which account runs which shop: a local copy of the users domain's seller profiles.

    Products name their seller by the seller profile id, while access tokens name the
    user; this table links the two without reaching into the users schema. The seed
    writes it; `SellerProfileCreated` events from the users domain will keep it current.
    """

    __tablename__ = "sellers"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()


class Category(TimestampedMixin, Base):
    __tablename__ = "categories"
    __table_args__ = (CheckConstraint("parent_id <> id", name="not_own_parent"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.categories.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    slug: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))


class Product(TimestampedMixin, Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(one_of("status", ProductStatus), name="status"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
        CheckConstraint("price_min >= 0 AND price_max >= price_min", name="price_range"),
        # fastupdate off: a catalog is read far more than written, and a GIN pending list
        # is scanned by every search and makes the planner prefer reading the table.
        Index(
            "ix_products_search_vector",
            "search_vector",
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ),
        Index(
            "ix_products_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": f"{TRGM}.gin_trgm_ops"},
            postgresql_with={"fastupdate": "off"},
        ),
        # One index per listing order, led by status so that "ACTIVE only" is a range.
        Index("ix_products_status_newest", "status", text("created_at DESC"), text("id DESC")),
        # Price orders sort products without a price last, through a sentinel rather than
        # NULLS LAST: keys that are never null make every keyset cursor one row
        # comparison, an index range however deep the page.
        Index(
            "ix_products_status_price_asc",
            "status",
            text(f"coalesce(price_min, {PRICE_UNKNOWN_LAST_ASC})"),
            "id",
        ),
        Index(
            "ix_products_status_price_desc",
            "status",
            text(f"coalesce(price_min, {PRICE_UNKNOWN_LAST_DESC}) DESC"),
            text("id DESC"),
        ),
        Index("ix_products_seller_newest", "seller_id", text("created_at DESC"), text("id DESC")),
        Index("ix_products_category_id", "category_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    seller_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    category_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(f"{SCHEMA}.categories.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    slug: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=ProductStatus.DRAFT.value
    )
    # Summary of the variants' prices, kept by the service in the variant's transaction:
    # the "from" price that listings sort and filter on. Null while there are no variants.
    currency: Mapped[str | None] = mapped_column(String(3))
    price_min: Mapped[int | None] = mapped_column(BigInteger)
    price_max: Mapped[int | None] = mapped_column(BigInteger)
    # Whether any variant can be ordered: kept by the service whenever a variant's stock
    # crosses zero, so listings filter and count on a column instead of joining every
    # variant's inventory (1.2 s for a broad search's facets at 100,000 products).
    in_stock: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    # Name weighs more than description (A > B) in ts_rank.
    search_vector: Mapped[Any] = deferred(
        mapped_column(
            TSVECTOR,
            Computed(
                f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, name), 'A') || "
                f"setweight(to_tsvector('{SEARCH_CONFIG}'::regconfig, description), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        raiseload=True,
    )

    variants: Mapped[list[Variant]] = relationship(back_populates="product", lazy="raise")
    images: Mapped[list[ProductImage]] = relationship(back_populates="product", lazy="raise")
    rating: Mapped[ProductRating | None] = relationship(back_populates="product", lazy="raise")


class SearchTerm(Base):
    """The vocabulary of product names: one row per lowercase word any name has held.

    A search word that is no word of any name looks here for the words it may have
    meant (trigram similarity), which the full-text index then finds. Whole words compare
    better than a word against a name: "jeens" is half "jeans" by trigrams but too little
    of "Slim Jeans" to pass a name-similarity threshold. A trigger on products keeps it
    (migration 0005), so every write path feeds it; a word whose last product is renamed
    stays, and only ever offers a correction that then matches nothing.
    """

    __tablename__ = "search_terms"
    __table_args__ = (
        Index(
            "ix_search_terms_term_trgm",
            "term",
            postgresql_using="gin",
            postgresql_ops={"term": f"{TRGM}.gin_trgm_ops"},
        ),
    )

    term: Mapped[str] = mapped_column(String(64), primary_key=True)


class Variant(TimestampedMixin, Base):
    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("price_amount >= 0", name="price_amount"),
        CheckConstraint("compare_at_amount IS NULL OR compare_at_amount >= 0", name="compare_at"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency"),
        CheckConstraint("weight_grams IS NULL OR weight_grams >= 0", name="weight"),
        Index("ix_variants_product_position", "product_id", "position"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.products.id", ondelete="CASCADE"), nullable=False
    )
    sku: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    # [{"name": "Size", "value": "M"}, ...]: a list, so the seller's order is kept.
    options: Mapped[list[dict[str, str]]] = mapped_column(
        JSONB, nullable=False, server_default=text("'[]'::jsonb")
    )
    # Minor units of `currency` (cents for USD, yen for JPY).
    price_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    compare_at_amount: Mapped[int | None] = mapped_column(BigInteger)
    weight_grams: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))

    product: Mapped[Product] = relationship(back_populates="variants", lazy="raise")
    inventory: Mapped[Inventory | None] = relationship(back_populates="variant", lazy="raise")


class Inventory(Base):
    """Stock of one variant. `reserved` never exceeds `on_hand`: the database says so."""

    __tablename__ = "inventory"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand"),
        CheckConstraint("reserved >= 0", name="reserved"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )

    variant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.variants.id", ondelete="CASCADE"), primary_key=True
    )
    on_hand: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    reserved: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    updated_at: Mapped[datetime] = updated_at_column()

    variant: Mapped[Variant] = relationship(back_populates="inventory", lazy="raise")

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class InventoryMovement(Base):
    """The audit trail: one row per change of an inventory row, with why and by whom."""

    __tablename__ = "inventory_movements"
    __table_args__ = (
        CheckConstraint(one_of("kind", InventoryChange), name="kind"),
        CheckConstraint(one_of("reason", AdjustmentReason), name="reason"),
        # Adjustments say why; reservations, releases and commits name their order.
        CheckConstraint(
            "(kind = 'ADJUSTMENT') = (reason IS NOT NULL)", name="reason_iff_adjustment"
        ),
        CheckConstraint(
            "kind = 'ADJUSTMENT' OR order_id IS NOT NULL", name="order_of_stock_change"
        ),
        Index("ix_inventory_movements_variant_created", "variant_id", "created_at"),
        Index("ix_inventory_movements_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    variant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.variants.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    on_hand_delta: Mapped[int] = mapped_column(Integer, nullable=False)
    reserved_delta: Mapped[int] = mapped_column(Integer, nullable=False)
    on_hand_after: Mapped[int] = mapped_column(Integer, nullable=False)
    reserved_after: Mapped[int] = mapped_column(Integer, nullable=False)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    order_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = created_at_column()


class StockReservation(TimestampedMixin, Base):
    """Stock held for an order between checkout and payment (or expiry)."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        UniqueConstraint("order_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint(one_of("status", ReservationStatus), name="status"),
        Index("ix_stock_reservations_status_expires", "status", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    variant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.variants.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=ReservationStatus.RESERVED.value
    )
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ProductImage(Base):
    __tablename__ = "product_images"
    __table_args__ = (Index("ix_product_images_product_position", "product_id", "position"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.products.id", ondelete="CASCADE"), nullable=False
    )
    # A path inside the media store; the URL is MEDIA_BASE_URL + "/" + this, so moving
    # buckets or CDNs rewrites no rows.
    storage_key: Mapped[str] = mapped_column(String(500), nullable=False)
    alt_text: Mapped[str] = mapped_column(String(300), nullable=False, server_default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    product: Mapped[Product] = relationship(back_populates="images", lazy="raise")


class ProductRating(Base):
    """Review count and total of a product, updated in the review's own transaction.

    A row of its own rather than columns on products: a review then neither rewrites
    the product row (and its search indexes) nor evicts the product from the cache.
    """

    __tablename__ = "product_ratings"
    __table_args__ = (
        CheckConstraint("review_count >= 0", name="review_count"),
        CheckConstraint(
            "rating_total BETWEEN review_count AND review_count * 5", name="rating_total"
        ),
        Index(
            "ix_product_ratings_best",
            text("average DESC"),
            text("review_count DESC"),
            text("product_id DESC"),
        ),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.products.id", ondelete="CASCADE"), primary_key=True
    )
    review_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    rating_total: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    average: Mapped[Decimal] = mapped_column(
        Numeric(3, 2),
        Computed(
            "CASE WHEN review_count > 0 THEN round(rating_total::numeric / review_count, 2) "
            "ELSE 0 END",
            persisted=True,
        ),
        nullable=False,
    )

    product: Mapped[Product] = relationship(back_populates="rating", lazy="raise")


class Review(TimestampedMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("product_id", "author_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        Index("ix_reviews_product_newest", "product_id", text("created_at DESC"), text("id DESC")),
        Index("ix_reviews_author_newest", "author_id", text("created_at DESC"), text("id DESC")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.products.id", ondelete="CASCADE"), nullable=False
    )
    author_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    rating: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, server_default="")
    # Set by the orders domain (a delivered order containing the product), never by the
    # author.
    verified_purchase: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )


class Purchase(Base):
    """A customer received this product (an OrderDelivered event): what makes a review of
    it, written before or after, a verified purchase."""

    __tablename__ = "purchases"

    customer_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(f"{SCHEMA}.products.id", ondelete="CASCADE"), primary_key=True
    )
    delivered_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class Promotion(TimestampedMixin, Base):
    """An automatic catalogue discount: a percentage or a fixed amount off each unit of
    the products in its scope, from `starts_at` until `ends_at` (or until ended early).

    Scope: the products named, and the products in the categories named or any category
    below them; with neither, every product (of the seller, for a seller's promotion).
    A seller's promotion only ever covers that seller's products. Promotions do not
    stack: a variant sells at the lowest of its list price and each live promotion's
    price (domains/products/promotion_price.py).
    """

    __tablename__ = "promotions"
    __table_args__ = (
        CheckConstraint(one_of("kind", PromotionKind), name="kind"),
        CheckConstraint(one_of("announced_state", PromotionAnnouncement), name="announced_state"),
        CheckConstraint(
            "kind <> 'PERCENTAGE' OR (value BETWEEN 1 AND 10000 AND currency IS NULL)",
            name="percentage",
        ),
        CheckConstraint("kind <> 'FIXED' OR (value > 0 AND currency ~ '^[A-Z]{3}$')", name="fixed"),
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("char_length(name) BETWEEN 1 AND 100", name="name"),
        # The live and upcoming set every price read starts from: not ended early.
        Index("ix_promotions_open_ends_at", "ends_at", postgresql_where=text("ended_at IS NULL")),
        # The sweeper's work: boundaries not yet announced.
        Index(
            "ix_promotions_unannounced",
            "starts_at",
            postgresql_where=text("announced_state <> 'ENDED'"),
        ),
        Index("ix_promotions_newest", text("created_at DESC"), text("id DESC")),
        Index("ix_promotions_seller_newest", "seller_id", text("created_at DESC"), text("id DESC")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # Basis points for PERCENTAGE, minor units of `currency` for FIXED.
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)
    currency: Mapped[str | None] = mapped_column(String(3))
    category_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'::uuid[]")
    )
    product_ids: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'::uuid[]")
    )
    # A seller's sale on their own products; null for the platform's promotions.
    seller_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by promotionEnd: over from this instant, whatever `ends_at` said.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    announced_state: Mapped[str] = mapped_column(
        String(16), nullable=False, server_default=PromotionAnnouncement.PENDING.value
    )
