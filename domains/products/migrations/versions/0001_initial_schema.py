"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 23:11:30.789928

pg_trgm goes into the `products` schema, not `public`: the domain then owns every object
it depends on (lifting it into its own database takes the extension along, and going
down to base removes it), and nothing is created in `public`, where Postgres 15+ no
longer lets ordinary roles create objects. The price: an extension exists once per
database, so a second domain wanting pg_trgm would share this copy (or the extension
moves to a shared schema); queries name its operators and functions `products.*`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS products")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA products")
    # IF NOT EXISTS also passes when pg_trgm was installed elsewhere beforehand; the
    # indexes and queries below name products.gin_trgm_ops, so say so plainly instead.
    op.execute(
        """
        DO $$
        BEGIN
            IF (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm') <> 'products' THEN
                RAISE EXCEPTION 'pg_trgm is installed in another schema; the products domain needs it in schema products (ALTER EXTENSION pg_trgm SET SCHEMA products)';
            END IF;
        END
        $$
        """
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("parent_id <> id", name=op.f("ck_categories_not_own_parent")),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["products.categories.id"],
            name=op.f("fk_categories_parent_id_categories"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("slug", name=op.f("uq_categories_slug")),
        schema="products",
    )
    op.create_index(
        op.f("ix_products_categories_parent_id"),
        "categories",
        ["parent_id"],
        unique=False,
        schema="products",
    )
    op.create_table(
        "sellers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sellers")),
        sa.UniqueConstraint("user_id", name=op.f("uq_sellers_user_id")),
        schema="products",
    )
    op.create_table(
        "products",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seller_id", sa.UUID(), nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="DRAFT", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("price_min", sa.BigInteger(), nullable=True),
        sa.Column("price_max", sa.BigInteger(), nullable=True),
        sa.Column("in_stock", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, name), 'A') || setweight(to_tsvector('english'::regconfig, description), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_products_currency")),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'ACTIVE', 'ARCHIVED')", name=op.f("ck_products_status")
        ),
        sa.CheckConstraint(
            "price_min >= 0 AND price_max >= price_min", name=op.f("ck_products_price_range")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["products.categories.id"],
            name=op.f("fk_products_category_id_categories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("slug", name=op.f("uq_products_slug")),
        schema="products",
    )
    op.create_index(
        "ix_products_category_id", "products", ["category_id"], unique=False, schema="products"
    )
    op.create_index(
        "ix_products_name_trgm",
        "products",
        ["name"],
        unique=False,
        schema="products",
        postgresql_using="gin",
        postgresql_ops={"name": "products.gin_trgm_ops"},
        postgresql_with={"fastupdate": "off"},
    )
    op.create_index(
        "ix_products_search_vector",
        "products",
        ["search_vector"],
        unique=False,
        schema="products",
        postgresql_using="gin",
        postgresql_with={"fastupdate": "off"},
    )
    op.create_index(
        "ix_products_seller_newest",
        "products",
        ["seller_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        schema="products",
    )
    op.create_index(
        "ix_products_status_newest",
        "products",
        ["status", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        schema="products",
    )
    op.create_index(
        "ix_products_status_price_asc",
        "products",
        ["status", sa.literal_column("coalesce(price_min, 9223372036854775807)"), "id"],
        unique=False,
        schema="products",
    )
    op.create_index(
        "ix_products_status_price_desc",
        "products",
        [
            "status",
            sa.literal_column("coalesce(price_min, -1) DESC"),
            sa.literal_column("id DESC"),
        ],
        unique=False,
        schema="products",
    )
    op.create_table(
        "product_images",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("storage_key", sa.String(length=500), nullable=False),
        sa.Column("alt_text", sa.String(length=300), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.products.id"],
            name=op.f("fk_product_images_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_images")),
        schema="products",
    )
    op.create_index(
        "ix_product_images_product_position",
        "product_images",
        ["product_id", "position"],
        unique=False,
        schema="products",
    )
    op.create_table(
        "product_ratings",
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("review_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rating_total", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "average",
            sa.Numeric(precision=3, scale=2),
            sa.Computed(
                "CASE WHEN review_count > 0 THEN round(rating_total::numeric / review_count, 2) ELSE 0 END",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "rating_total BETWEEN review_count AND review_count * 5",
            name=op.f("ck_product_ratings_rating_total"),
        ),
        sa.CheckConstraint("review_count >= 0", name=op.f("ck_product_ratings_review_count")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.products.id"],
            name=op.f("fk_product_ratings_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_ratings")),
        schema="products",
    )
    op.create_index(
        "ix_product_ratings_best",
        "product_ratings",
        [
            sa.literal_column("average DESC"),
            sa.literal_column("review_count DESC"),
            sa.literal_column("product_id DESC"),
        ],
        unique=False,
        schema="products",
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "verified_purchase", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating")),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.products.id"],
            name=op.f("fk_reviews_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint(
            "product_id", "author_id", name=op.f("uq_reviews_product_id_author_id")
        ),
        schema="products",
    )
    op.create_index(
        "ix_reviews_author_newest",
        "reviews",
        ["author_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        schema="products",
    )
    op.create_index(
        "ix_reviews_product_newest",
        "reviews",
        ["product_id", sa.literal_column("created_at DESC"), sa.literal_column("id DESC")],
        unique=False,
        schema="products",
    )
    op.create_table(
        "variants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column(
            "options",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("price_amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("compare_at_amount", sa.BigInteger(), nullable=True),
        sa.Column("weight_grams", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_variants_currency")),
        sa.CheckConstraint(
            "compare_at_amount IS NULL OR compare_at_amount >= 0",
            name=op.f("ck_variants_compare_at"),
        ),
        sa.CheckConstraint("price_amount >= 0", name=op.f("ck_variants_price_amount")),
        sa.CheckConstraint(
            "weight_grams IS NULL OR weight_grams >= 0", name=op.f("ck_variants_weight")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.products.id"],
            name=op.f("fk_variants_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variants")),
        sa.UniqueConstraint("sku", name=op.f("uq_variants_sku")),
        schema="products",
    )
    op.create_index(
        "ix_variants_product_position",
        "variants",
        ["product_id", "position"],
        unique=False,
        schema="products",
    )
    op.create_table(
        "inventory",
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("on_hand", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("reserved", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_inventory_on_hand")),
        sa.CheckConstraint(
            "reserved <= on_hand", name=op.f("ck_inventory_reserved_within_on_hand")
        ),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_inventory_reserved")),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["products.variants.id"],
            name=op.f("fk_inventory_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("variant_id", name=op.f("pk_inventory")),
        schema="products",
    )
    op.create_table(
        "inventory_movements",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("on_hand_delta", sa.Integer(), nullable=False),
        sa.Column("reserved_delta", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("reserved_after", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'ADJUSTMENT') = (reason IS NOT NULL)",
            name=op.f("ck_inventory_movements_reason_iff_adjustment"),
        ),
        sa.CheckConstraint(
            "kind = 'ADJUSTMENT' OR order_id IS NOT NULL",
            name=op.f("ck_inventory_movements_order_of_stock_change"),
        ),
        sa.CheckConstraint(
            "kind IN ('ADJUSTMENT', 'RESERVATION', 'RELEASE', 'COMMIT')",
            name=op.f("ck_inventory_movements_kind"),
        ),
        sa.CheckConstraint(
            "reason IN ('RECEIVED', 'RETURNED', 'CORRECTION', 'DAMAGED', 'LOST')",
            name=op.f("ck_inventory_movements_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["products.variants.id"],
            name=op.f("fk_inventory_movements_variant_id_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_movements")),
        schema="products",
    )
    op.create_index(
        "ix_inventory_movements_order_id",
        "inventory_movements",
        ["order_id"],
        unique=False,
        schema="products",
    )
    op.create_index(
        "ix_inventory_movements_variant_created",
        "inventory_movements",
        ["variant_id", "created_at"],
        unique=False,
        schema="products",
    )
    op.create_table(
        "stock_reservations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="RESERVED", nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('RESERVED', 'RELEASED', 'COMMITTED')",
            name=op.f("ck_stock_reservations_status"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_reservations_quantity")),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["products.variants.id"],
            name=op.f("fk_stock_reservations_variant_id_variants"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_reservations")),
        sa.UniqueConstraint(
            "order_id", "variant_id", name=op.f("uq_stock_reservations_order_id_variant_id")
        ),
        schema="products",
    )
    op.create_index(
        op.f("ix_products_stock_reservations_variant_id"),
        "stock_reservations",
        ["variant_id"],
        unique=False,
        schema="products",
    )
    op.create_index(
        "ix_stock_reservations_status_expires",
        "stock_reservations",
        ["status", "expires_at"],
        unique=False,
        schema="products",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_stock_reservations_status_expires", table_name="stock_reservations", schema="products"
    )
    op.drop_index(
        op.f("ix_products_stock_reservations_variant_id"),
        table_name="stock_reservations",
        schema="products",
    )
    op.drop_table("stock_reservations", schema="products")
    op.drop_index(
        "ix_inventory_movements_variant_created",
        table_name="inventory_movements",
        schema="products",
    )
    op.drop_index(
        "ix_inventory_movements_order_id", table_name="inventory_movements", schema="products"
    )
    op.drop_table("inventory_movements", schema="products")
    op.drop_table("inventory", schema="products")
    op.drop_index("ix_variants_product_position", table_name="variants", schema="products")
    op.drop_table("variants", schema="products")
    op.drop_index("ix_reviews_product_newest", table_name="reviews", schema="products")
    op.drop_index("ix_reviews_author_newest", table_name="reviews", schema="products")
    op.drop_table("reviews", schema="products")
    op.drop_index("ix_product_ratings_best", table_name="product_ratings", schema="products")
    op.drop_table("product_ratings", schema="products")
    op.drop_index(
        "ix_product_images_product_position", table_name="product_images", schema="products"
    )
    op.drop_table("product_images", schema="products")
    op.drop_index("ix_products_status_price_desc", table_name="products", schema="products")
    op.drop_index("ix_products_status_price_asc", table_name="products", schema="products")
    op.drop_index("ix_products_status_newest", table_name="products", schema="products")
    op.drop_index("ix_products_seller_newest", table_name="products", schema="products")
    op.drop_index(
        "ix_products_search_vector",
        table_name="products",
        schema="products",
        postgresql_using="gin",
    )
    op.drop_index(
        "ix_products_name_trgm",
        table_name="products",
        schema="products",
        postgresql_using="gin",
        postgresql_ops={"name": "products.gin_trgm_ops"},
    )
    op.drop_index("ix_products_category_id", table_name="products", schema="products")
    op.drop_table("products", schema="products")
    op.drop_table("sellers", schema="products")
    op.drop_index(
        op.f("ix_products_categories_parent_id"), table_name="categories", schema="products"
    )
    op.drop_table("categories", schema="products")
    op.execute("DROP EXTENSION pg_trgm")
    # Without CASCADE: if anything is left in the schema, downgrading must fail loudly.
    op.execute("DROP SCHEMA products")
