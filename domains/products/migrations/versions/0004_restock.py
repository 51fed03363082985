"""restock: a paid order cancelled before shipping puts its committed units back

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 05:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _replace(table: str, name: str, condition: str) -> None:
    op.drop_constraint(op.f(name), table, schema="products", type_="check")
    op.create_check_constraint(op.f(name), table, condition, schema="products")


def upgrade() -> None:
    _replace(
        "inventory_movements",
        "ck_inventory_movements_kind",
        "kind IN ('ADJUSTMENT', 'RESERVATION', 'RELEASE', 'COMMIT', 'RESTOCK')",
    )
    _replace(
        "stock_reservations",
        "ck_stock_reservations_status",
        "status IN ('RESERVED', 'RELEASED', 'COMMITTED', 'RESTOCKED')",
    )


def downgrade() -> None:
    op.execute(
        "UPDATE products.stock_reservations SET status = 'RELEASED' WHERE status = 'RESTOCKED'"
    )
    op.execute("DELETE FROM products.inventory_movements WHERE kind = 'RESTOCK'")
    _replace(
        "inventory_movements",
        "ck_inventory_movements_kind",
        "kind IN ('ADJUSTMENT', 'RESERVATION', 'RELEASE', 'COMMIT')",
    )
    _replace(
        "stock_reservations",
        "ck_stock_reservations_status",
        "status IN ('RESERVED', 'RELEASED', 'COMMITTED')",
    )
