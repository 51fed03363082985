"""search terms: the vocabulary of product names, for typo tolerance on short words

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:50:00.000000

Statement-level triggers with transition tables: a bulk insert (the seed's COPY, then
INSERT ... SELECT) adds its words in one statement, not one per row. Transition tables
cannot be combined with a column list, so the update trigger fires on any update of
products and reads only the names it was handed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Words of 2 to 64 letters or digits, lowercased; the same split the search uses. In
# order, so that two transactions adding the same new words take their locks in the same
# order and cannot deadlock.
_WORDS = """
    SELECT DISTINCT word
    FROM {source}, regexp_split_to_table(lower(name), '[^[:alnum:]]+') AS word
    WHERE length(word) BETWEEN 2 AND 64
    ORDER BY word
"""


def upgrade() -> None:
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_terms")),
        schema="products",
    )
    op.create_index(
        "ix_search_terms_term_trgm",
        "search_terms",
        ["term"],
        unique=False,
        schema="products",
        postgresql_using="gin",
        postgresql_ops={"term": "products.gin_trgm_ops"},
    )
    op.execute(
        f"""
        CREATE FUNCTION products.remember_search_terms() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO products.search_terms (term)
            {_WORDS.format(source="new_products")}
            ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER search_terms_on_{event.lower()} AFTER {event} ON products.products "
            "REFERENCING NEW TABLE AS new_products FOR EACH STATEMENT "
            "EXECUTE FUNCTION products.remember_search_terms()"
        )
    op.execute(
        "INSERT INTO products.search_terms (term) "
        + _WORDS.format(source="products.products")
        + " ON CONFLICT DO NOTHING"
    )


def downgrade() -> None:
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER search_terms_on_{event} ON products.products")
    op.execute("DROP FUNCTION products.remember_search_terms()")
    op.drop_index(
        "ix_search_terms_term_trgm",
        table_name="search_terms",
        schema="products",
        postgresql_using="gin",
        postgresql_ops={"term": "products.gin_trgm_ops"},
    )
    op.drop_table("search_terms", schema="products")
