"""The topology's data: a fixed seed, kept in memory, that mutations change.

Each subgraph reads only its own tables here, as if it had its own database; the one
thing they share is the journal, a global, ordered record of every mutation. Because
every payload returns the journal as it stood after its own step, a response shows the
order in which a gateway ran the top-level fields of a mutation, even across subgraphs.

Call :func:`reset` before each operation: it restores the seed (and empties the journal),
so every operation sees the same data whatever ran before it.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class UserRow:
    id: str
    username: str
    name: str
    legacy_email: str  # what accounts still answers; orders owns `email` (@override)
    email: str
    role: str
    organization_id: str | None
    city: str | None
    legacy_score: int


@dataclass
class OrganizationRow:
    id: str
    handle: str
    name: str
    city: str


@dataclass
class TeamRow:
    id: str  # unique only within its organization, hence the nested key
    organization_id: str
    name: str
    member_ids: list[str]


@dataclass
class ProductRow:
    id: str
    upc: str
    name: str
    price: int  # cents
    weight: int  # grams
    category: str
    brand_id: str | None
    tags: list[str]
    width: int
    height: int
    depth: int
    internal_code: str
    description: str
    related_upcs: list[str]


@dataclass
class BrandRow:
    id: str
    name: str
    country: str | None


@dataclass
class VariantRow:
    product_upc: str
    sku: str
    label: str


@dataclass
class StockRow:
    upc: str
    stock: int
    warehouse_id: str | None
    restock_date: str | None


@dataclass
class WarehouseRow:
    id: str
    name: str
    city: str
    country: str


@dataclass
class ReviewRow:
    id: str
    author_id: str
    author_username: str  # kept with the review, so reviews can @provide it
    product_upc: str
    rating: int
    body: str
    tags: list[str]
    edited_at: str | None


@dataclass
class OrderLineRow:
    product_id: str
    product_upc: str
    sku: str | None
    quantity: int
    unit_price: int


@dataclass
class OrderRow:
    id: str
    number: int
    buyer_id: str
    status: str
    placed_at: datetime
    lines: list[OrderLineRow]
    note: str | None


@dataclass
class JournalRow:
    seq: int
    subgraph: str
    action: str


@dataclass
class State:
    users: dict[str, UserRow]
    organizations: dict[str, OrganizationRow]
    teams: dict[tuple[str, str], TeamRow]
    products: dict[str, ProductRow]  # by id
    brands: dict[str, BrandRow]
    variants: dict[tuple[str, str], VariantRow]
    stock: dict[str, StockRow]  # by upc
    warehouses: dict[str, WarehouseRow]
    reviews: dict[str, ReviewRow]
    orders: dict[str, OrderRow]
    team_budgets: dict[tuple[str, str], int]
    preferred_warehouses: dict[str, str]  # account id -> warehouse id
    journal: list[JournalRow] = field(default_factory=list)

    def product_by_upc(self, upc: str) -> ProductRow | None:
        return next((p for p in self.products.values() if p.upc == upc), None)


def _seed() -> State:
    users = [
        UserRow("u1", "ada", "Ada Lovelace", "ada@legacy.example", "ada@example.com",
                "ADMIN", "org1", "London", 97),
        UserRow("u2", "alan", "Alan Turing", "alan@legacy.example", "alan@example.com",
                "CUSTOMER", "org1", "Manchester", 88),
        UserRow("u3", "grace", "Grace Hopper", "grace@legacy.example", "grace@example.com",
                "SELLER", "org2", "Arlington", 93),
        UserRow("u4", "linus", "Linus Torvalds", "linus@legacy.example", "linus@example.com",
                "CUSTOMER", None, None, 71),
    ]  # fmt: skip
    organizations = [
        OrganizationRow("org1", "analytical", "Analytical Engines Ltd", "London"),
        OrganizationRow("org2", "compilers", "Compilers Inc", "Arlington"),
    ]
    teams = [
        TeamRow("t1", "org1", "Research", ["u1"]),
        TeamRow("t2", "org1", "Sales", ["u2"]),
        TeamRow("t1", "org2", "Languages", ["u3"]),
    ]
    products = [
        ProductRow("p1", "1001", "Difference Engine Manual", 1299, 450, "BOOKS", "b1",
                   ["classic", "paper"], 21, 28, 3, "DEM-01", "How to crank the engine.",
                   ["1003"]),
        ProductRow("p2", "1002", "Brass Gear Set", 4999, 2300, "HARDWARE", "b1",
                   ["metal"], 30, 10, 30, "BGS-02", "Forty gears, hand cut.", ["1001", "1004"]),
        ProductRow("p3", "1003", "Punch Card Pack", 599, 200, "STATIONERY", "b2",
                   ["paper"], 19, 8, 2, "PCP-03", "Five hundred blank cards.", []),
        ProductRow("p4", "1004", "Vacuum Tube", 1999, 150, "ELECTRONICS", None,
                   ["glass", "classic"], 5, 12, 5, "VT-04", "A warm, glowing valve.", ["1002"]),
        ProductRow("p5", "1005", "Garden Gnome", 2599, 3200, "GARDEN", "b2",
                   [], 20, 40, 20, "GG-05", "Guards the compiler garden.", []),
    ]  # fmt: skip
    brands = [
        BrandRow("b1", "Babbage & Co", "GB"),
        BrandRow("b2", "Hopper Labs", None),
    ]
    variants = [
        VariantRow("1001", "1001-HC", "Hardcover"),
        VariantRow("1001", "1001-PB", "Paperback"),
        VariantRow("1002", "1002-S", "Small"),
        VariantRow("1002", "1002-L", "Large"),
    ]
    stock = [
        StockRow("1001", 12, "w1", None),
        StockRow("1002", 3, "w1", None),
        StockRow("1003", 0, "w2", "2030-01-15"),
        StockRow("1004", 0, None, None),
        StockRow("1005", 7, "w2", None),
    ]
    warehouses = [
        WarehouseRow("w1", "Thames Depot", "London", "GB"),
        WarehouseRow("w2", "Potomac Yard", "Arlington", "US"),
    ]
    reviews = [
        ReviewRow("r1", "u1", "ada", "1001", 5,
                  "Clear and thorough.", ["helpful"], "2024-03-01"),
        ReviewRow("r2", "u2", "alan", "1001", 4,
                  "Computable, mostly.", [], "2024-03-02"),
        ReviewRow("r3", "u3", "grace", "1002", 3,
                  "Found a moth in the box.", ["bug"], None),
        ReviewRow("r4", "u1", "ada", "1004", 1,
                  "Burnt out in a week.", ["defect"], "2024-03-04"),
        ReviewRow("r5", "u2", "alan", "1003", 5,
                  "Holes in all the right places.", ["helpful", "paper"], "2024-03-05"),
    ]  # fmt: skip
    orders = [
        OrderRow("o1", 1001, "u1", "SHIPPED", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                 [OrderLineRow("p1", "1001", "1001-HC", 2, 1299),
                  OrderLineRow("p3", "1003", None, 1, 599)], "Leave at the door"),
        OrderRow("o2", 1002, "u2", "PENDING", datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
                 [OrderLineRow("p2", "1002", "1002-L", 1, 4999)], None),
        OrderRow("o3", 1003, "u1", "DELIVERED", datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC),
                 [OrderLineRow("p5", "1005", None, 1, 2599)], None),
    ]  # fmt: skip
    return State(
        users={row.id: row for row in users},
        organizations={row.id: row for row in organizations},
        teams={(row.id, row.organization_id): row for row in teams},
        products={row.id: row for row in products},
        brands={row.id: row for row in brands},
        variants={(row.product_upc, row.sku): row for row in variants},
        stock={row.upc: row for row in stock},
        warehouses={row.id: row for row in warehouses},
        reviews={row.id: row for row in reviews},
        orders={row.id: row for row in orders},
        team_budgets={("t1", "org1"): 10000, ("t2", "org1"): 5000, ("t1", "org2"): 7500},
        preferred_warehouses={"u1": "w1", "u2": "w1", "u3": "w2", "org1": "w1", "org2": "w2"},
    )


_SEED = _seed()
_lock = threading.Lock()
state: State = copy.deepcopy(_SEED)


def reset() -> None:
    """Restore the seed data and empty the journal."""
    global state
    with _lock:
        state = copy.deepcopy(_SEED)


def record(subgraph: str, action: str) -> list[JournalRow]:
    """Append one mutation to the journal; return the journal as it now stands."""
    with _lock:
        state.journal.append(JournalRow(len(state.journal) + 1, subgraph, action))
        return list(state.journal)
