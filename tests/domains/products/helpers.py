"""Shared steps of the products tests: accounts with access tokens, catalog set-up, reads.

Set-up goes through the domain's services (so the rules hold for the data too) in a
committed unit of work, and evicts the cache keys it made stale, exactly as a mutation
does; tests then act and assert through the GraphQL API and the database.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Role, Viewer
from domains.kit.cache import EntityCache
from domains.kit.db import transaction
from domains.kit.resources import Resources
from domains.products.models import Category, Product, Variant
from domains.products.services.catalog import ProductFields, catalog
from domains.products.services.images import images as image_service
from domains.products.services.reviews import reviews
from domains.products.services.sellers import sellers
from domains.products.services.variants import MoneyInput, VariantFields
from domains.products.services.variants import variants as variant_service
from tests.support.tokens import token_for


@dataclass(frozen=True)
class Account:
    user_id: uuid.UUID
    roles: frozenset[Role]
    token: str
    seller_id: uuid.UUID | None = None

    @property
    def viewer(self) -> Viewer:
        return Viewer(user_id=self.user_id, roles=self.roles)


@dataclass(frozen=True)
class VariantSpec:
    sku: str
    price: int = 1999
    currency: str = "USD"
    stock: int = 10
    options: Sequence[tuple[str, str]] = ()


@dataclass
class Catalog:
    resources: Resources
    _skus: int = field(default=0)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A committed unit of work whose stale cache keys are evicted, as in a mutation."""
        async with transaction(self.resources.session_factory) as session:
            yield session
        cache = EntityCache.from_settings(self.resources.redis, self.resources.settings)
        await cache.invalidate_stale(session)

    def account(self, *roles: Role, seller_id: uuid.UUID | None = None) -> Account:
        user_id = uuid.uuid4()
        token = token_for(self.resources, user_id, *roles)
        return Account(user_id, frozenset(roles), token, seller_id)

    def customer(self) -> Account:
        return self.account(Role.CUSTOMER)

    def staff(self) -> Account:
        return self.account(Role.CUSTOMER, Role.STAFF)

    async def seller(self) -> Account:
        """A seller whose shop the catalog knows (as the users domain's event would say)."""
        account = self.account(Role.CUSTOMER, Role.SELLER, seller_id=uuid.uuid4())
        assert account.seller_id is not None
        async with self.write() as session:
            await sellers.link(session, account.seller_id, account.user_id)
        return account

    async def category(self, name: str, parent: uuid.UUID | None = None) -> uuid.UUID:
        async with self.write() as session:
            category = Category(name=name, slug=name.lower().replace(" ", "-"), parent_id=parent)
            session.add(category)
        return category.id

    async def product(
        self,
        seller: Account,
        name: str = "Linen Shirt",
        *,
        description: str = "",
        category_id: uuid.UUID | None = None,
        status: str = "ACTIVE",
        variants: Sequence[VariantSpec] | None = None,
        images: int = 0,
        created_at: datetime | None = None,
    ) -> Product:
        if variants is None:
            variants = [VariantSpec(sku=self.next_sku())]
        async with self.write() as session:
            product = await catalog.create(
                session,
                seller.viewer,
                ProductFields(
                    name=name,
                    description=description,
                    category_id=None if category_id is None else str(category_id),
                ),
            )
            for spec in variants:
                await variant_service.create(
                    session,
                    seller.viewer,
                    product.id,
                    VariantFields(
                        sku=spec.sku,
                        price=MoneyInput(spec.price, spec.currency),
                        options=spec.options,
                        stock=spec.stock,
                    ),
                )
            for position in range(images):
                await image_service.add(
                    session,
                    seller.viewer,
                    product.id,
                    url=f"products/{product.id}/{position}.jpg",
                    alt_text=f"{name} {position}",
                    position=None,
                )
            if status != "DRAFT":
                product = await catalog.update(
                    session, seller.viewer, product.id, ProductFields(status=status)
                )
            if created_at is not None:
                await session.execute(
                    update(Product).where(Product.id == product.id).values(created_at=created_at)
                )
        return product

    def next_sku(self) -> str:
        self._skus += 1
        return f"SKU-{self._skus:04d}"

    async def review(self, author: Account, product_id: uuid.UUID, rating: int) -> uuid.UUID:
        async with self.write() as session:
            review = await reviews.create(
                session, author.viewer, product_id, rating=rating, title="Fine", body=None
            )
        return review.id

    async def variant_ids(self, product_id: uuid.UUID) -> list[uuid.UUID]:
        async with self.resources.session_factory() as session:
            result = await session.scalars(
                select(Variant.id)
                .where(Variant.product_id == product_id)
                .order_by(Variant.position)
            )
            return list(result.all())


async def count_rows(resources: Resources, model: type[Any]) -> int:
    async with resources.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def table_snapshot(resources: Resources) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every products table, to show that a refused mutation wrote nothing."""
    tables = [
        "sellers", "categories", "products", "product_ratings", "variants", "inventory",
        "inventory_movements", "product_images", "reviews", "stock_reservations",
    ]  # fmt: skip
    snapshot = {}
    async with resources.session_factory() as session:
        for table in tables:
            query = text(f"SELECT * FROM products.{table} ORDER BY 1")  # noqa: S608 - our names
            rows = await session.execute(query)
            snapshot[table] = [tuple(row) for row in rows.all()]
    return snapshot


async def delete_cached(resources: Resources, pattern: str) -> int:
    """Delete this run's cache keys matching `pattern` (after the prefix); how many."""
    prefix = resources.settings.redis_key_prefix
    found = [key async for key in resources.redis.scan_iter(match=f"{prefix}{pattern}")]
    if found:
        await resources.redis.delete(*found)
    return len(found)
