"""shipping and tax: zones, methods and rates; tax countries and rules

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-12 10:00:00.000000

Shipping zones (sets of countries), methods (a seller's or the platform's, with their
delivery estimate) and each method's rate per zone; each country's tax settings and the
rules overriding its standard rate by region or category. The platform's default method
is inserted: "Standard shipping", 3 to 7 days, 500 everywhere in any currency, the flat
fee per parcel every order paid until now.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Fixed ids: the seed and the documentation can name the platform's default.
DEFAULT_ZONE_ID = "00000000-0000-4000-8000-00000000a001"
DEFAULT_METHOD_ID = "00000000-0000-4000-8000-00000000a002"


def _created_at() -> sa.Column[sa.DateTime]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "shipping_zones",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seller_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "country_codes",
            postgresql.ARRAY(sa.String(length=2)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_zones")),
        schema="carts",
    )
    op.create_index("ix_shipping_zones_seller_id", "shipping_zones", ["seller_id"], schema="carts")
    op.create_table(
        "shipping_methods",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seller_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("min_days", sa.Integer(), nullable=False),
        sa.Column("max_days", sa.Integer(), nullable=False),
        sa.Column("free_above", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.CheckConstraint(
            "min_days >= 0 AND max_days >= min_days",
            name=op.f("ck_shipping_methods_delivery_days"),
        ),
        sa.CheckConstraint("free_above >= 0", name=op.f("ck_shipping_methods_free_above")),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_shipping_methods_currency")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_methods")),
        schema="carts",
    )
    op.create_index(
        "ix_shipping_methods_seller_id", "shipping_methods", ["seller_id"], schema="carts"
    )
    op.create_table(
        "shipping_rates",
        sa.Column("method_id", sa.UUID(), nullable=False),
        sa.Column("zone_id", sa.UUID(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_shipping_rates_price")),
        sa.ForeignKeyConstraint(
            ["method_id"],
            ["carts.shipping_methods.id"],
            name=op.f("fk_shipping_rates_method_id_shipping_methods"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["carts.shipping_zones.id"],
            name=op.f("fk_shipping_rates_zone_id_shipping_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("method_id", "zone_id", name=op.f("pk_shipping_rates")),
        schema="carts",
    )
    op.create_index("ix_shipping_rates_zone_id", "shipping_rates", ["zone_id"], schema="carts")
    op.create_table(
        "tax_countries",
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("tax_shipping", sa.Boolean(), nullable=False),
        sa.Column("standard_rate", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "standard_rate BETWEEN 0 AND 10000", name=op.f("ck_tax_countries_standard_rate")
        ),
        sa.PrimaryKeyConstraint("country_code", name=op.f("pk_tax_countries")),
        schema="carts",
    )
    op.create_table(
        "tax_rules",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("region_code", sa.String(length=10), server_default="", nullable=False),
        sa.Column("category_id", sa.UUID(), nullable=True),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        _created_at(),
        sa.CheckConstraint("rate BETWEEN 0 AND 10000", name=op.f("ck_tax_rules_rate")),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["carts.tax_countries.country_code"],
            name=op.f("fk_tax_rules_country_code_tax_countries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rules")),
        sa.UniqueConstraint(
            "country_code",
            "region_code",
            "category_id",
            name=op.f("uq_tax_rules_country_code_region_code_category_id"),
            postgresql_nulls_not_distinct=True,
        ),
        schema="carts",
    )
    op.execute(
        sa.text(
            "INSERT INTO carts.shipping_zones (id, seller_id, name, country_codes) "
            "VALUES (CAST(:zone AS uuid), NULL, 'Everywhere', '{}')"
        ).bindparams(zone=DEFAULT_ZONE_ID)
    )
    op.execute(
        sa.text(
            "INSERT INTO carts.shipping_methods (id, seller_id, name, min_days, max_days) "
            "VALUES (CAST(:method AS uuid), NULL, 'Standard shipping', 3, 7)"
        ).bindparams(method=DEFAULT_METHOD_ID)
    )
    op.execute(
        sa.text(
            "INSERT INTO carts.shipping_rates (method_id, zone_id, price) "
            "VALUES (CAST(:method AS uuid), CAST(:zone AS uuid), 500)"
        ).bindparams(method=DEFAULT_METHOD_ID, zone=DEFAULT_ZONE_ID)
    )


def downgrade() -> None:
    op.drop_table("tax_rules", schema="carts")
    op.drop_table("tax_countries", schema="carts")
    op.drop_index("ix_shipping_rates_zone_id", table_name="shipping_rates", schema="carts")
    op.drop_table("shipping_rates", schema="carts")
    op.drop_index("ix_shipping_methods_seller_id", table_name="shipping_methods", schema="carts")
    op.drop_table("shipping_methods", schema="carts")
    op.drop_index("ix_shipping_zones_seller_id", table_name="shipping_zones", schema="carts")
    op.drop_table("shipping_zones", schema="carts")
