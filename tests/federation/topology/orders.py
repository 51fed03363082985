"""orders: orders and budgets, referencing users, products (by id) and variants.

Features it carries: @override (User.email moved here from accounts, which still
answers with a stale value); a jump to the nested key of Team (budgets are kept per
team of an organization); references by Product's *other* key (id), so reaching reviews
or inventory (keyed by upc) goes through products first; a compound-key reference to
Variant (not resolvable here); a custom scalar (DateTime); arguments with enums; an
input object nesting a list of input objects; a root field @shareable with products
(storeName); mutations whose order the shared journal makes visible, one of which
(cancelOrder) fails on an unknown id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from domains.kit.errors import DomainError, NotFound
from domains.kit.graphql.errors import FederatedSchema
from tests.federation.topology import data

SUBGRAPH = "orders"
STORE_NAME = "Shopgraph Test Store"
# New orders are placed "now" in a frozen clock, so responses stay deterministic.
PLACED_AT = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


@strawberry.enum
class OrderStatus(Enum):
    PENDING = "PENDING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.federation.type(shareable=True)
class JournalEntry:
    seq: int
    subgraph: str
    action: str


def _journal(rows: list[data.JournalRow]) -> list[JournalEntry]:
    return [JournalEntry(seq=row.seq, subgraph=row.subgraph, action=row.action) for row in rows]


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Product:
        return cls(id=id)

    @strawberry.field
    def times_ordered(self) -> int:
        return sum(
            line.quantity
            for order in data.state.orders.values()
            for line in order.lines
            if line.product_id == self.id
        )


@strawberry.federation.type(keys=[Key(fields=FieldSet("productUpc sku"), resolvable=False)])
class Variant:
    product_upc: str
    sku: str


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Organization:
    id: strawberry.ID


@strawberry.federation.type(keys=["id organization { id }"])
class Team:
    id: strawberry.ID
    organization: Organization

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, organization: dict[str, str]) -> Team:
        return cls(id=id, organization=Organization(id=strawberry.ID(organization["id"])))

    @property
    def _key(self) -> tuple[str, str]:
        return (str(self.id), str(self.organization.id))

    @strawberry.field
    def budget(self) -> int:
        return data.state.team_budgets[self._key]

    @strawberry.field
    def spent(self) -> int:
        members = data.state.teams[self._key].member_ids
        return sum(
            Order.from_row(order).total()
            for order in data.state.orders.values()
            if order.buyer_id in members and order.status != "CANCELLED"
        )


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> User:
        return cls(id=id)

    @strawberry.federation.field(override="accounts")
    def email(self) -> str:
        return data.state.users[str(self.id)].email

    @strawberry.field
    def orders(self, status: OrderStatus | None = None, first: int | None = None) -> list[Order]:
        rows = [
            row
            for row in data.state.orders.values()
            if row.buyer_id == self.id and (status is None or row.status == status.value)
        ]
        return [Order.from_row(row) for row in rows[:first]]


@strawberry.type
class OrderLine:
    quantity: int
    unit_price: int
    _row: strawberry.Private[data.OrderLineRow]

    @strawberry.field
    def product(self) -> Product:
        return Product(id=strawberry.ID(self._row.product_id))

    @strawberry.field
    def variant(self) -> Variant | None:
        sku = self._row.sku
        return None if sku is None else Variant(product_upc=self._row.product_upc, sku=sku)


@strawberry.federation.type(keys=["id"])
class Order:
    id: strawberry.ID
    number: int
    status: OrderStatus
    placed_at: datetime
    note: str | None
    _row: strawberry.Private[data.OrderRow]

    @classmethod
    def from_row(cls, row: data.OrderRow) -> Order:
        return cls(
            id=strawberry.ID(row.id),
            number=row.number,
            status=OrderStatus(row.status),
            placed_at=row.placed_at,
            note=row.note,
            _row=row,
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Order | None:
        row = data.state.orders.get(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field
    def buyer(self) -> User:
        return User(id=strawberry.ID(self._row.buyer_id))

    @strawberry.field
    def lines(self) -> list[OrderLine]:
        return [
            OrderLine(quantity=line.quantity, unit_price=line.unit_price, _row=line)
            for line in self._row.lines
        ]

    @strawberry.field(description="Cents.")
    def total(self) -> int:
        return sum(line.quantity * line.unit_price for line in self._row.lines)


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    unit_price: int
    quantity: int = 1
    sku: str | None = None


@strawberry.input
class PlaceOrderInput:
    buyer_id: strawberry.ID
    lines: list[OrderLineInput]
    note: str | None = None


@strawberry.type
class PlaceOrderPayload:
    order: Order
    journal: list[JournalEntry]


@strawberry.type
class Query:
    @strawberry.field
    def order(self, id: strawberry.ID) -> Order | None:
        return Order.resolve_reference(id)

    @strawberry.field
    def orders(self, status: OrderStatus | None = None) -> list[Order]:
        return [
            Order.from_row(row)
            for row in data.state.orders.values()
            if status is None or row.status == status.value
        ]

    @strawberry.field
    def journal(self) -> list[JournalEntry]:
        return _journal(list(data.state.journal))

    @strawberry.federation.field(shareable=True)
    def store_name(self) -> str:
        return STORE_NAME


@strawberry.type
class Mutation:
    @strawberry.mutation
    def place_order(self, input: PlaceOrderInput) -> PlaceOrderPayload:
        if not input.lines:
            raise DomainError("an order needs at least one line")
        lines = []
        for line in input.lines:
            product = data.state.products.get(str(line.product_id))
            if product is None:
                raise NotFound(f"no product {line.product_id}")
            lines.append(
                data.OrderLineRow(
                    str(line.product_id), product.upc, line.sku, line.quantity, line.unit_price
                )
            )
        number = 1001 + len(data.state.orders)
        row = data.OrderRow(
            f"o{len(data.state.orders) + 1}", number, str(input.buyer_id), "PENDING",
            PLACED_AT, lines, input.note,
        )  # fmt: skip
        data.state.orders[row.id] = row
        journal = data.record(SUBGRAPH, f"placeOrder {row.id}")
        return PlaceOrderPayload(order=Order.from_row(row), journal=_journal(journal))

    @strawberry.mutation
    def cancel_order(self, id: strawberry.ID) -> Order:
        row = data.state.orders.get(str(id))
        if row is None:
            raise NotFound(f"no order {id}")
        row.status = "CANCELLED"
        data.record(SUBGRAPH, f"cancelOrder {id}")
        return Order.from_row(row)

    @strawberry.mutation(description="Append to the journal; returns it as it now stands.")
    def record_event(self, action: str) -> list[JournalEntry]:
        return _journal(data.record(SUBGRAPH, action))


schema = FederatedSchema(query=Query, mutation=Mutation, types=[User, Product, Team, Order])
