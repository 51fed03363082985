"""Prices as a request shows them: list prices from the (cached) rows, priced with the
request's price book (the open promotions, live or not decided at the request's
instant). Nothing cached holds a promoted price, so none can outlive its promotion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from domains.kit.graphql.selection import now_or_later
from domains.products import models
from domains.products.promotion_price import PriceBook, PromotedPrice

if TYPE_CHECKING:
    from domains.products.graphql.types import ProductsInfo

AnswerT = TypeVar("AnswerT")


def _unpromoted(list_price: int) -> PromotedPrice:
    return PromotedPrice(list_price, list_price, None)


async def variant_price(info: ProductsInfo, model: models.Variant) -> PromotedPrice:
    """What one unit of the variant sells for now; its product is read only when some
    promotion is live (from the entity cache, or primed by the listing)."""
    loaders = info.context.loaders
    book = await loaders.price_book()
    if not book.live:
        return _unpromoted(model.price_amount)
    product = await loaders.product_by_id.load(model.product_id)
    if product is None:
        return _unpromoted(model.price_amount)
    return book.price(model.price_amount, model.currency, product)


def product_prices(
    info: ProductsInfo,
    model: models.Product,
    answer: Callable[[PromotedPrice, PromotedPrice], AnswerT],
) -> AnswerT | Awaitable[AnswerT] | None:
    """`answer(lowest, highest)` of the product's variants as they sell now; None without
    variants. Without an await once the request's price book is in (a listing loads it
    first). Every promotion's price rises with the list price, so the cheapest and
    dearest variants stay so: each end of the range is priced on its own."""
    low, high, currency = model.price_min, model.price_max, model.currency
    if low is None or high is None or currency is None:
        return None

    def priced(book: PriceBook) -> AnswerT:
        return answer(book.price(low, currency, model), book.price(high, currency, model))

    return now_or_later(info.context.loaders.price_book(), priced)
