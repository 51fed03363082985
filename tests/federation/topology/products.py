"""products: the catalogue, owner of Product, Brand and Variant.

Features it carries: multiple keys on one type (``Product @key(fields: "id")
@key(fields: "upc")``: orders references products by id, inventory and reviews by
upc); a compound key (``Variant @key(fields: "productUpc sku")``); the fields other
subgraphs @require (price, weight, dimensions, and the @inaccessible internalCode); a
field @shareable with reviews (Product.name); a root field @shareable with orders
(storeName); an interface (Catalogued) and a union (SearchResult) over entities whose
other fields live in other subgraphs; arguments with defaults, enums and an input
object; a nullable root field that fails (product with an unknown upc).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

from domains.kit.errors import NotFound
from domains.kit.graphql.errors import FederatedSchema
from tests.federation.topology import data

SUBGRAPH = "products"
STORE_NAME = "Shopgraph Test Store"


@strawberry.enum
class Category(Enum):
    BOOKS = "BOOKS"
    HARDWARE = "HARDWARE"
    STATIONERY = "STATIONERY"
    ELECTRONICS = "ELECTRONICS"
    GARDEN = "GARDEN"


@strawberry.enum
class TextFormat(Enum):
    PLAIN = "PLAIN"
    UPPERCASE = "UPPERCASE"
    HTML = "HTML"


@strawberry.input
class ProductFilter:
    category: Category | None = None
    max_price: int | None = None
    name_contains: str | None = None
    tags_any: list[str] | None = None


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


@strawberry.interface(description="Something with its own page in the catalogue.")
class Catalogued:
    id: strawberry.ID
    name: str


@strawberry.federation.type(keys=["id"])
class Brand(Catalogued):
    country: str | None

    @classmethod
    def from_row(cls, row: data.BrandRow) -> Brand:
        return cls(id=strawberry.ID(row.id), name=row.name, country=row.country)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Brand | None:
        row = data.state.brands.get(str(id))
        return None if row is None else cls.from_row(row)

    @strawberry.field
    def products(self) -> list[Product]:
        return [Product.from_row(p) for p in data.state.products.values() if p.brand_id == self.id]


@strawberry.federation.type(keys=["id", "upc"])
class Product(Catalogued):
    upc: str
    name: str = strawberry.federation.field(shareable=True)
    price: int
    weight: int
    category: Category
    tags: list[str]
    dimensions: Dimensions
    internal_code: str = strawberry.federation.field(inaccessible=True)
    _row: strawberry.Private[data.ProductRow]

    @classmethod
    def from_row(cls, row: data.ProductRow) -> Product:
        return cls(
            id=strawberry.ID(row.id),
            upc=row.upc,
            name=row.name,
            price=row.price,
            weight=row.weight,
            category=Category(row.category),
            tags=list(row.tags),
            dimensions=Dimensions(width=row.width, height=row.height, depth=row.depth),
            internal_code=row.internal_code,
            _row=row,
        )

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID | None = None, upc: str | None = None
    ) -> Product | None:
        row = data.state.products.get(str(id)) if id is not None else None
        if row is None and upc is not None:
            row = data.state.product_by_upc(upc)
        return None if row is None else cls.from_row(row)

    @strawberry.field
    def description(
        self, format: TextFormat = TextFormat.PLAIN, max_length: int | None = None
    ) -> str:
        text = self._row.description
        if format is TextFormat.UPPERCASE:
            text = text.upper()
        elif format is TextFormat.HTML:
            text = f"<p>{text}</p>"
        return text if max_length is None else text[:max_length]

    @strawberry.field
    def brand(self) -> Brand | None:
        brand_id = self._row.brand_id
        return None if brand_id is None else Brand.from_row(data.state.brands[brand_id])

    @strawberry.field
    def variants(self) -> list[Variant]:
        return [
            Variant.from_row(v) for v in data.state.variants.values() if v.product_upc == self.upc
        ]

    @strawberry.field(description="Products bought together with this one.")
    def related(self) -> list[Product]:
        rows = [data.state.product_by_upc(upc) for upc in self._row.related_upcs]
        return [Product.from_row(row) for row in rows if row is not None]


@strawberry.federation.type(keys=["productUpc sku"])
class Variant:
    product_upc: str
    sku: str
    label: str

    @classmethod
    def from_row(cls, row: data.VariantRow) -> Variant:
        return cls(product_upc=row.product_upc, sku=row.sku, label=row.label)

    @classmethod
    def resolve_reference(cls, productUpc: str, sku: str) -> Variant | None:
        row = data.state.variants.get((productUpc, sku))
        return None if row is None else cls.from_row(row)

    @strawberry.field
    def product(self) -> Product:
        row = data.state.product_by_upc(self.product_upc)
        assert row is not None
        return Product.from_row(row)


SearchResult = Annotated[Product | Brand, strawberry.union("SearchResult")]


@strawberry.type
class SetPricePayload:
    product: Product | None
    journal: list[JournalEntry]


def _matches(row: data.ProductRow, filter: ProductFilter) -> bool:
    if filter.category is not None and row.category != filter.category.value:
        return False
    if filter.max_price is not None and row.price > filter.max_price:
        return False
    if filter.name_contains is not None and filter.name_contains.lower() not in row.name.lower():
        return False
    return filter.tags_any is None or bool(set(filter.tags_any) & set(row.tags))


@strawberry.type
class Query:
    @strawberry.field
    def top_products(self, first: int = 5) -> list[Product]:
        return [Product.from_row(row) for row in list(data.state.products.values())[:first]]

    @strawberry.field
    def product(self, upc: str) -> Product | None:
        row = data.state.product_by_upc(upc)
        if row is None:
            raise NotFound(f"no product with upc {upc}")
        return Product.from_row(row)

    @strawberry.field
    def product_by_id(self, id: strawberry.ID) -> Product | None:
        row = data.state.products.get(str(id))
        return None if row is None else Product.from_row(row)

    @strawberry.field
    def products(
        self, filter: ProductFilter | None = None, first: int | None = None
    ) -> list[Product]:
        rows = [
            row for row in data.state.products.values() if filter is None or _matches(row, filter)
        ]
        return [Product.from_row(row) for row in rows[:first]]

    @strawberry.field
    def search(self, text: str) -> list[SearchResult]:
        needle = text.lower()
        found: list[Product | Brand] = [
            Product.from_row(row)
            for row in data.state.products.values()
            if needle in row.name.lower()
        ]
        found += [
            Brand.from_row(row) for row in data.state.brands.values() if needle in row.name.lower()
        ]
        return found

    @strawberry.field
    def catalog(self) -> list[Catalogued]:
        brands: list[Catalogued] = [Brand.from_row(row) for row in data.state.brands.values()]
        products: list[Catalogued] = [
            Product.from_row(row) for row in list(data.state.products.values())[:3]
        ]
        return [brands[0], *products, brands[1]]

    @strawberry.field
    def brand(self, id: strawberry.ID) -> Brand | None:
        return Brand.resolve_reference(id)

    @strawberry.federation.field(shareable=True)
    def store_name(self) -> str:
        return STORE_NAME


@strawberry.type
class Mutation:
    @strawberry.mutation
    def set_price(self, upc: str, price: int) -> SetPricePayload:
        row = data.state.product_by_upc(upc)
        if row is None:
            raise NotFound(f"no product with upc {upc}")
        row.price = price
        journal = data.record(SUBGRAPH, f"setPrice {upc} {price}")
        return SetPricePayload(
            product=Product.from_row(row),
            journal=[
                JournalEntry(seq=j.seq, subgraph=j.subgraph, action=j.action) for j in journal
            ],
        )


schema = FederatedSchema(query=Query, mutation=Mutation, types=[Product, Brand, Variant])
