"""inventory: stock and warehouses, extending Product (by upc), Variant and Account.

Features it carries: @interfaceObject (``Account`` here is an object type that adds
preferredWarehouse to every implementation of the entity interface accounts defines,
without knowing them, and is returned by root fields and by ``Warehouse.preferredBy``,
so a gateway must ask accounts for each item's concrete type; it lives here because
composition forbids an @interfaceObject in a subgraph that also defines an
implementation, as reviews and orders define User); @requires (shippingEstimate needs
price and weight, packaging needs a nested selection of dimensions plus the
@inaccessible internalCode, all owned by products); a jump on the compound key of
Variant; a @shareable value type shared with accounts (Location); errors inside entity
fetches: ``restockDate`` fails for products that are out of stock with no date, and the
non-null ``stockLevel`` is null for products stocked nowhere, so its null propagates; a
root field that returns entities only known here by key (lowStock), so the gateway must
jump to products.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from domains.kit.errors import NotFound
from domains.kit.graphql.errors import FederatedSchema
from tests.federation.topology import data

SUBGRAPH = "inventory"


@strawberry.enum
class StockLevel(Enum):
    NONE = "NONE"
    LOW = "LOW"
    HIGH = "HIGH"


@strawberry.federation.type(shareable=True)
class Location:
    city: str
    country: str


@strawberry.federation.type(shareable=True)
class Dimensions:
    width: int
    height: int
    depth: int


@strawberry.federation.type(shareable=True)
class JournalEntry:
    seq: int
    subgraph: str
    action: str


@strawberry.federation.type(keys=["id"])
class Warehouse:
    id: strawberry.ID
    name: str
    location: Location

    @strawberry.field(description="Accounts that prefer this warehouse, by id.")
    def preferred_by(self) -> list[Account]:
        return _accounts_preferring(str(self.id))

    @classmethod
    def from_row(cls, row: data.WarehouseRow) -> Warehouse:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            location=Location(city=row.city, country=row.country),
        )

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Warehouse | None:
        row = data.state.warehouses.get(str(id))
        return None if row is None else cls.from_row(row)


@strawberry.federation.interface_object(keys=["id"])
class Account:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Account:
        return cls(id=id)

    @strawberry.field
    def preferred_warehouse(self) -> Warehouse | None:
        warehouse_id = data.state.preferred_warehouses.get(str(self.id))
        return (
            None
            if warehouse_id is None
            else Warehouse.resolve_reference(strawberry.ID(warehouse_id))
        )


def _accounts_preferring(warehouse_id: str) -> list[Account]:
    preferred = data.state.preferred_warehouses
    return [Account(id=strawberry.ID(a)) for a, w in sorted(preferred.items()) if w == warehouse_id]


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    # Declared with the owner's (non-null) types; None here means "not sent by the
    # gateway for this fetch", which only @requires fields ever are.
    price: int | None = strawberry.federation.field(external=True, default=None, graphql_type=int)
    weight: int | None = strawberry.federation.field(external=True, default=None, graphql_type=int)
    dimensions: Dimensions | None = strawberry.federation.field(
        external=True, default=None, graphql_type=Dimensions
    )
    internal_code: str | None = strawberry.federation.field(
        external=True, default=None, graphql_type=str
    )

    @classmethod
    def resolve_reference(cls, upc: str, **required: Any) -> Product:
        # `required` holds whichever @requires fields the gateway sent for this fetch.
        dimensions = required.get("dimensions")
        return cls(
            upc=upc,
            price=required.get("price"),
            weight=required.get("weight"),
            dimensions=None if dimensions is None else Dimensions(**dimensions),
            internal_code=required.get("internalCode"),
        )

    @property
    def _stock(self) -> data.StockRow:
        return data.state.stock[self.upc]

    @strawberry.field
    def stock(self) -> int:
        return self._stock.stock

    @strawberry.field
    def in_stock(self) -> bool:
        return self._stock.stock > 0

    @strawberry.field
    def warehouse(self) -> Warehouse | None:
        warehouse_id = self._stock.warehouse_id
        return (
            None
            if warehouse_id is None
            else Warehouse.resolve_reference(strawberry.ID(warehouse_id))
        )

    @strawberry.federation.field(requires=["price weight"], description="Cents; free over 50.00.")
    def shipping_estimate(self) -> int:
        if self.price is None or self.weight is None:
            raise RuntimeError("the gateway did not send the @requires fields")
        return 0 if self.price >= 5000 else 300 + self.weight // 10

    @strawberry.federation.field(requires=["dimensions { width height depth } internalCode"])
    def packaging(self) -> str:
        if self.dimensions is None or self.internal_code is None:
            raise RuntimeError("the gateway did not send the @requires fields")
        d = self.dimensions
        box = "parcel" if d.width * d.height * d.depth > 2000 else "envelope"
        return f"{box} for {self.internal_code}"

    @strawberry.field(description="Fails for products out of stock with no date set.")
    def restock_date(self) -> str | None:
        stock = self._stock
        if stock.stock == 0 and stock.restock_date is None:
            raise NotFound(f"no restock scheduled for {self.upc}")
        return stock.restock_date

    @strawberry.field(description="Null, against its type, for products stocked nowhere.")
    def stock_level(self) -> StockLevel:
        stock = self._stock
        if stock.warehouse_id is None:
            return None  # type: ignore[return-value]  # the null-propagation case
        if stock.stock == 0:
            return StockLevel.NONE
        return StockLevel.LOW if stock.stock < 5 else StockLevel.HIGH


@strawberry.federation.type(keys=["productUpc sku"])
class Variant:
    product_upc: str
    sku: str

    @classmethod
    def resolve_reference(cls, productUpc: str, sku: str) -> Variant:
        return cls(product_upc=productUpc, sku=sku)

    @strawberry.field
    def stock(self) -> int:
        # Split evenly between a product's variants, the larger share to the first.
        siblings = sorted(sku for upc, sku in data.state.variants if upc == self.product_upc)
        total = data.state.stock[self.product_upc].stock
        share, extra = divmod(total, len(siblings))
        return share + (extra if siblings.index(self.sku) == 0 else 0)


@strawberry.type
class RestockPayload:
    product: Product
    journal: list[JournalEntry]


@strawberry.type
class Query:
    @strawberry.field
    def warehouses(self) -> list[Warehouse]:
        return [Warehouse.from_row(row) for row in data.state.warehouses.values()]

    @strawberry.field(description="Accounts that prefer a warehouse (the interface, typed here).")
    def accounts_preferring(self, warehouse_id: strawberry.ID) -> list[Account]:
        return _accounts_preferring(str(warehouse_id))

    @strawberry.field(description="An account with a preferred warehouse; null for any other.")
    def account_with_warehouse(self, id: strawberry.ID) -> Account | None:
        return Account(id=id) if str(id) in data.state.preferred_warehouses else None

    @strawberry.field
    def low_stock(self, threshold: int = 5) -> list[Product]:
        return [Product(upc=row.upc) for row in data.state.stock.values() if row.stock < threshold]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def restock(self, upc: str, quantity: int) -> RestockPayload:
        row = data.state.stock.get(upc)
        if row is None:
            raise NotFound(f"no stock record for {upc}")
        row.stock += quantity
        journal = data.record(SUBGRAPH, f"restock {upc} {quantity}")
        return RestockPayload(
            product=Product(upc=upc),
            journal=[
                JournalEntry(seq=j.seq, subgraph=j.subgraph, action=j.action) for j in journal
            ],
        )


schema = FederatedSchema(
    query=Query, mutation=Mutation, types=[Account, Product, Variant, Warehouse]
)
