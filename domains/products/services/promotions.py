"""Promotions: staff's and sellers' automatic catalogue discounts, created, changed and
ended through the admin API, and their start and end announced once each.

Who may do what: staff run platform promotions on any categories or products, and any
seller's sale; a seller runs promotions on their own products only (the scope is held
to their shop, and naming another seller's product is refused).

Announcing: every write that changes what some variant sells for now publishes
VariantPriceChanged for every variant in the promotion's scope (before and after the
change), in the write's transaction. A promotion that starts or ends by the clock is
announced by the sweeper (`announce_boundary`), which moves `announced_state` in the
same transaction as the events, under the row's lock: each boundary once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domains.kit.auth import Viewer
from domains.kit.cache import mark_stale
from domains.kit.errors import InputErrors, PermissionDenied, quoted
from domains.products import cache as keys
from domains.products.currencies import normalize_currency
from domains.products.models import Promotion, PromotionAnnouncement, PromotionKind
from domains.products.promotion_price import BASIS_POINTS, PromotionTerms
from domains.products.repositories.catalog import product_repository
from domains.products.repositories.categories import category_repository
from domains.products.repositories.promotions import Scope, promotion_repository
from domains.products.services.actors import Actor, actor_of, catalog_editor
from domains.products.services.promoted_prices import publish_prices
from domains.products.services.validation import (
    UNCHANGED,
    Code,
    Errors,
    Unchanged,
    clean_text,
    now_utc,
    parse_id,
)
from domains.products.services.variants import MAX_AMOUNT, MoneyInput

MAX_NAME_LENGTH = 100
MAX_SCOPE_CATEGORIES = 50
MAX_SCOPE_PRODUCTS = 500


@dataclass(frozen=True)
class PromotionFields:
    """Promotion input as given; None means "not given" where UNCHANGED is not the default.

    The discount is exactly one of `basis_points` (PERCENTAGE) and `amount_off` (FIXED).
    """

    name: str | None = None
    basis_points: int | None = None
    amount_off: MoneyInput | None = None
    # Updates: whether a discount was given at all (then it must be exactly one).
    discount_given: bool = False
    category_ids: Sequence[str] | None = None
    product_ids: Sequence[str] | None = None
    seller_id: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | Unchanged | None = UNCHANGED


@dataclass(frozen=True)
class _Discount:
    kind: PromotionKind
    value: int
    currency: str | None


def state_at(terms: PromotionTerms, now: datetime) -> PromotionAnnouncement:
    """Which boundaries have passed at `now`."""
    over_at = terms.over_at
    if over_at is not None and over_at <= now:
        return PromotionAnnouncement.ENDED
    if terms.starts_at <= now:
        return PromotionAnnouncement.STARTED
    return PromotionAnnouncement.PENDING


def _moment(raw: datetime, field: str, errors: Errors) -> datetime | None:
    if raw.tzinfo is None or raw.utcoffset() is None:
        errors.add(field, Code.INVALID_PERIOD, f"`{field}` must include a time zone offset.")
        return None
    return raw


def _discount(fields: PromotionFields, errors: Errors) -> _Discount | None:
    if (fields.basis_points is None) == (fields.amount_off is None):
        errors.add(
            "discount",
            Code.INVALID_DISCOUNT,
            "Give exactly one of `discount.basisPoints` (a percentage) and "
            "`discount.amountOff` (a fixed amount off each unit).",
        )
        return None
    if fields.basis_points is not None:
        if not 1 <= fields.basis_points <= BASIS_POINTS:
            errors.add(
                "discount.basisPoints",
                Code.INVALID_DISCOUNT,
                f"`discount.basisPoints` must be between 1 and {BASIS_POINTS} (2000 is 20 %; "
                f"got {fields.basis_points}).",
            )
            return None
        return _Discount(PromotionKind.PERCENTAGE, fields.basis_points, None)
    assert fields.amount_off is not None
    amount, ok = fields.amount_off.amount, True
    if not 1 <= amount <= MAX_AMOUNT:
        errors.add(
            "discount.amountOff.amount",
            Code.INVALID_DISCOUNT,
            f"`discount.amountOff.amount` must be between 1 and {MAX_AMOUNT} minor units "
            f"(got {amount}).",
        )
        ok = False
    currency = normalize_currency(fields.amount_off.currency)
    if currency is None:
        errors.add(
            "discount.amountOff.currency",
            Code.INVALID_CURRENCY,
            f"{quoted(fields.amount_off.currency)} is not an ISO 4217 currency code.",
        )
        ok = False
    return _Discount(PromotionKind.FIXED, amount, currency) if ok else None


def _ids(raw: Sequence[str] | None, field: str, limit: int, errors: Errors) -> list[uuid.UUID]:
    if raw is None:
        return []
    if len(raw) > limit:
        errors.add(field, Code.INVALID, f"`{field}` names at most {limit} (got {len(raw)}).")
        return []
    parsed: list[uuid.UUID] = []
    for index, value in enumerate(raw):
        found = errors.check(lambda value=value, index=index: parse_id(value, f"{field}.{index}"))
        if found is not None and found not in parsed:
            parsed.append(found)
    return parsed


class PromotionService:
    async def create(
        self, session: AsyncSession, viewer: Viewer, fields: PromotionFields
    ) -> Promotion:
        actor = await catalog_editor(session, viewer)
        now = now_utc()
        errors = Errors()
        name = None
        if fields.name is None:
            errors.add("name", Code.REQUIRED, "`name` is required.")
        else:
            name = errors.check(lambda: self._clean_name(fields.name or ""))
        discount = _discount(fields, errors)
        seller_id = self._seller_of_new(actor, fields.seller_id, errors)
        category_ids = _ids(fields.category_ids, "categoryIds", MAX_SCOPE_CATEGORIES, errors)
        product_ids = _ids(fields.product_ids, "productIds", MAX_SCOPE_PRODUCTS, errors)
        starts_at: datetime | None = now
        if fields.starts_at is not None:
            starts_at = _moment(fields.starts_at, "startsAt", errors)
        ends_at = None
        if isinstance(fields.ends_at, datetime):
            ends_at = _moment(fields.ends_at, "endsAt", errors)
        self._check_period(starts_at, ends_at, now, errors)
        errors.raise_if_any()
        assert name is not None
        assert discount is not None
        assert starts_at is not None
        await self._check_scope(session, actor, seller_id, category_ids, product_ids)

        promotion = Promotion(
            name=name,
            kind=discount.kind.value,
            value=discount.value,
            currency=discount.currency,
            category_ids=category_ids,
            product_ids=product_ids,
            seller_id=seller_id,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor.user_id,
        )
        await promotion_repository.add(session, promotion)
        await session.refresh(promotion)
        await self._announce(session, promotion, [Scope.of(promotion)], was_live=False, now=now)
        return promotion

    async def update(
        self,
        session: AsyncSession,
        viewer: Viewer,
        promotion_id: uuid.UUID,
        fields: PromotionFields,
    ) -> Promotion:
        actor = await catalog_editor(session, viewer)
        now = now_utc()
        promotion = await self._to_manage(session, actor, promotion_id)
        before = PromotionTerms.of(promotion)
        if state_at(before, now) is PromotionAnnouncement.ENDED:
            raise InputErrors.single(
                "id", Code.PROMOTION_ENDED, "The promotion has ended; create a new one."
            )
        errors = Errors()
        if fields.seller_id is not None:
            errors.add("sellerId", Code.INVALID, "A promotion's seller cannot change.")
        name = None
        if fields.name is not None:
            name = errors.check(lambda: self._clean_name(fields.name or ""))
        discount = None
        if fields.discount_given or fields.basis_points is not None or fields.amount_off:
            discount = _discount(fields, errors)
        category_ids = (
            None
            if fields.category_ids is None
            else _ids(fields.category_ids, "categoryIds", MAX_SCOPE_CATEGORIES, errors)
        )
        product_ids = (
            None
            if fields.product_ids is None
            else _ids(fields.product_ids, "productIds", MAX_SCOPE_PRODUCTS, errors)
        )
        starts_at: datetime | None = promotion.starts_at
        if fields.starts_at is not None:
            starts_at = _moment(fields.starts_at, "startsAt", errors)
        ends_at: datetime | None = promotion.ends_at
        if fields.ends_at is not UNCHANGED:
            ends_at = None if fields.ends_at is None else _moment(fields.ends_at, "endsAt", errors)
        self._check_period(starts_at, ends_at, now, errors)
        errors.raise_if_any()
        if category_ids is not None or product_ids is not None:
            await self._check_scope(
                session,
                actor,
                promotion.seller_id,
                list(promotion.category_ids) if category_ids is None else category_ids,
                list(promotion.product_ids) if product_ids is None else product_ids,
            )

        old_scope = Scope.of(promotion)
        if name is not None:
            promotion.name = name
        if discount is not None:
            promotion.kind = discount.kind.value
            promotion.value = discount.value
            promotion.currency = discount.currency
        if category_ids is not None:
            promotion.category_ids = category_ids
        if product_ids is not None:
            promotion.product_ids = product_ids
        assert starts_at is not None
        promotion.starts_at = starts_at
        promotion.ends_at = ends_at
        await session.flush()
        await session.refresh(promotion)
        await self._announce(
            session,
            promotion,
            [old_scope, Scope.of(promotion)],
            was_live=before.live_at(now),
            now=now,
        )
        return promotion

    async def end(
        self, session: AsyncSession, viewer: Viewer, promotion_id: uuid.UUID
    ) -> Promotion:
        """Over from now on, whatever its end said; one not started yet never will."""
        actor = await catalog_editor(session, viewer)
        now = now_utc()
        promotion = await self._to_manage(session, actor, promotion_id)
        before = PromotionTerms.of(promotion)
        if state_at(before, now) is PromotionAnnouncement.ENDED:
            raise InputErrors.single("id", Code.PROMOTION_ENDED, "The promotion has already ended.")
        promotion.ended_at = now
        await session.flush()
        await session.refresh(promotion)
        await self._announce(
            session, promotion, [Scope.of(promotion)], was_live=before.live_at(now), now=now
        )
        return promotion

    async def page(
        self,
        session: AsyncSession,
        viewer: Viewer,
        *,
        active: bool | None,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> Sequence[Promotion]:
        """Staff see every promotion; a seller their shops' own."""
        actor = await actor_of(session, viewer)
        if not actor.is_staff and not actor.seller_ids:
            raise PermissionDenied("Only sellers and staff can list promotions.")
        return await promotion_repository.page(
            session,
            seller_ids=None if actor.is_staff else actor.seller_ids,
            active=active,
            now=now_utc(),
            limit=limit,
            after=after,
        )

    async def announce_boundary(
        self, session: AsyncSession, promotion_id: uuid.UUID, now: datetime
    ) -> bool:
        """Announce a promotion's start or end that passed by `now`, once: whether this
        call did (False when another sweeper holds it or did it already)."""
        promotion = await promotion_repository.claim(session, promotion_id)
        if promotion is None:
            return False
        state = state_at(PromotionTerms.of(promotion), now)
        if state.value == promotion.announced_state:
            return False
        pairs = await promotion_repository.variants_in_scopes(session, [Scope.of(promotion)])
        await publish_prices(session, pairs, now)
        promotion.announced_state = state.value
        await session.flush()
        return True

    async def due_boundaries(
        self, session: AsyncSession, now: datetime, *, limit: int
    ) -> list[uuid.UUID]:
        return await promotion_repository.due_boundaries(session, now, limit=limit)

    async def get_by_ids(
        self, session: AsyncSession, ids: Sequence[uuid.UUID]
    ) -> Sequence[Promotion]:
        return await promotion_repository.get_by_ids(session, ids)

    # ------------------------------------------------------------------ helpers

    def _clean_name(self, raw: str) -> str:
        return clean_text(raw, "name", max_length=MAX_NAME_LENGTH)

    def _seller_of_new(self, actor: Actor, raw: str | None, errors: Errors) -> uuid.UUID | None:
        if raw is not None:
            seller_id = errors.check(lambda: parse_id(raw, "sellerId"))
            if seller_id is not None and not actor.may_edit(seller_id):
                errors.add(
                    "sellerId",
                    Code.PERMISSION_DENIED,
                    "Sellers can only run promotions for their own shop.",
                )
                return None
            return seller_id  # type: ignore[no-any-return]
        if actor.is_staff:
            return None  # the platform's own
        if len(actor.seller_ids) == 1:
            return next(iter(actor.seller_ids))
        if not actor.seller_ids:
            errors.add(
                "sellerId",
                Code.NOT_A_SELLER,
                "Your account runs no shop: open one with sellerProfileCreate first.",
            )
        else:
            errors.add("sellerId", Code.REQUIRED, "You run several shops: say which one.")
        return None

    def _check_period(
        self, starts_at: datetime | None, ends_at: datetime | None, now: datetime, errors: Errors
    ) -> None:
        if starts_at is None or ends_at is None:
            return
        if ends_at <= starts_at:
            errors.add("endsAt", Code.INVALID_PERIOD, "`endsAt` must be after `startsAt`.")
        elif ends_at <= now:
            errors.add(
                "endsAt",
                Code.INVALID_PERIOD,
                "`endsAt` is in the past; to stop a promotion now, use promotionEnd.",
            )

    async def _check_scope(
        self,
        session: AsyncSession,
        actor: Actor,
        seller_id: uuid.UUID | None,
        category_ids: list[uuid.UUID],
        product_ids: list[uuid.UUID],
    ) -> None:
        errors = Errors()
        known_categories = {
            row.id for row in await category_repository.get_by_ids(session, category_ids)
        }
        for index, category_id in enumerate(category_ids):
            if category_id not in known_categories:
                errors.add(f"categoryIds.{index}", Code.NOT_FOUND, f"No category {category_id}.")
        found = await product_repository.get_by_ids(session, product_ids)
        products = {row.id: row for row in found}
        for index, product_id in enumerate(product_ids):
            field = f"productIds.{index}"
            product = products.get(product_id)
            if product is None:
                errors.add(field, Code.NOT_FOUND, f"No product {product_id}.")
            elif not actor.may_edit(product.seller_id):
                errors.add(
                    field,
                    Code.PERMISSION_DENIED,
                    f"The product {product_id} is another seller's: a seller's promotion "
                    "covers their own products only.",
                )
            elif seller_id is not None and product.seller_id != seller_id:
                errors.add(
                    field,
                    Code.INVALID,
                    f"The product {product_id} is not sold by the promotion's seller.",
                )
        errors.raise_if_any()

    async def _to_manage(
        self, session: AsyncSession, actor: Actor, promotion_id: uuid.UUID
    ) -> Promotion:
        promotion = await promotion_repository.get_for_update(session, promotion_id)
        if promotion is None:
            raise InputErrors.single("id", Code.NOT_FOUND, "No such promotion.")
        if not actor.is_staff and (
            promotion.seller_id is None or promotion.seller_id not in actor.seller_ids
        ):
            raise InputErrors.single(
                "id",
                Code.PERMISSION_DENIED,
                "Only staff, or the seller whose sale it is, can change a promotion.",
            )
        return promotion

    async def _announce(
        self,
        session: AsyncSession,
        promotion: Promotion,
        scopes: list[Scope],
        *,
        was_live: bool,
        now: datetime,
    ) -> None:
        """Publish the scope's prices if the write changed what they sell for now, and
        record which boundaries have passed (the sweeper announces the others)."""
        terms = PromotionTerms.of(promotion)
        if was_live or terms.live_at(now):
            pairs = await promotion_repository.variants_in_scopes(session, scopes)
            await publish_prices(session, pairs, now)
        promotion.announced_state = state_at(terms, now).value
        await session.flush()
        await session.refresh(promotion)
        # Every read prices from the cached open set; the write replaces it.
        mark_stale(session, keys.PROMOTIONS)


promotions = PromotionService()
