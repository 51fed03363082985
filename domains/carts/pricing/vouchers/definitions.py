"""Managing vouchers: staff create platform vouchers of any scope (or a seller's), a
seller creates vouchers on their own lines only; sellers list, update and end their own,
staff every one. Every bad input is reported at once, by field, and nothing is written.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts.errors import CartErrorCode
from domains.carts.pricing.money import DiscountKind, VoucherScope
from domains.carts.pricing.vouchers.models import (
    FULL_RATE,
    MAX_CODE_LENGTH,
    MAX_NAME_LENGTH,
    Voucher,
)
from domains.carts.pricing.vouchers.repository import voucher_repository
from domains.carts.pricing.vouchers.service import normalize_code
from domains.kit.auth import Viewer
from domains.kit.errors import FieldError, InputErrors, PermissionDenied, parse_uuid, quoted

Code = CartErrorCode

_CODE = re.compile(rf"^[A-Z0-9_-]{{3,{MAX_CODE_LENGTH}}}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_TARGETS = 100
# Seller vouchers reach the seller's own lines: a whole-order scope would be the
# platform's to give.
SELLER_SCOPES = frozenset({VoucherScope.SELLER, VoucherScope.PRODUCTS, VoucherScope.CATEGORIES})


@dataclass(frozen=True)
class VoucherManager:
    """Who manages vouchers: staff (every voucher), or a seller (their own only)."""

    is_staff: bool
    seller_id: uuid.UUID | None

    def may_manage(self, voucher: Voucher) -> bool:
        return self.is_staff or voucher.seller_id == self.seller_id


def manager_of(viewer: Viewer) -> VoucherManager:
    viewer.require_user()
    if viewer.is_staff:
        return VoucherManager(is_staff=True, seller_id=None)
    if viewer.seller_profile_id is not None:
        return VoucherManager(is_staff=False, seller_id=viewer.seller_profile_id)
    raise PermissionDenied("Only staff and sellers manage vouchers.")


@dataclass(frozen=True)
class VoucherInput:
    """A voucher's terms as a client gives them (ids unparsed, code as typed)."""

    code: str
    name: str
    kind: DiscountKind
    value: int
    scope: VoucherScope
    seller_id: str | None = None
    category_ids: Sequence[str] = ()
    product_ids: Sequence[str] = ()
    min_subtotal: int = 0
    currency: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None
    per_customer_limit: int | None = None
    combinable: bool = False


# What voucherUpdate may change: everything but the code and the owner.
UPDATABLE = frozenset(field.name for field in dataclasses.fields(VoucherInput)) - {
    "code",
    "seller_id",
}


def _utc(moment: datetime | None) -> datetime | None:
    # A time without an offset is read as UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _ids(errors: list[FieldError], raw: Sequence[str], field: str) -> list[uuid.UUID]:
    if len(raw) > MAX_TARGETS:
        errors.append(FieldError(field, Code.INVALID, f"At most {MAX_TARGETS} ids."))
        return []
    ids: list[uuid.UUID] = []
    for index, value in enumerate(raw):
        try:
            ids.append(parse_uuid(value, f"{field}.{index}", Code.INVALID))
        except InputErrors as error:
            errors.extend(error.errors)
    return list(dict.fromkeys(ids))


def _owner(errors: list[FieldError], manager: VoucherManager, raw: str | None) -> uuid.UUID | None:
    if not manager.is_staff:
        if raw is not None and parse_uuid(raw, "sellerId", Code.INVALID) != manager.seller_id:
            raise PermissionDenied("A seller creates vouchers for their own shop only.")
        return manager.seller_id
    if raw is None:
        return None
    try:
        return parse_uuid(raw, "sellerId", Code.INVALID)
    except InputErrors as error:
        errors.extend(error.errors)
        return None


def clean(raw: VoucherInput, manager: VoucherManager, *, uses_held: int = 0) -> dict[str, Any]:
    """The voucher's columns from `raw`, or InputErrors naming every field at fault."""
    errors: list[FieldError] = []

    def refuse(field: str, code: Code, message: str) -> None:
        errors.append(FieldError(field, code, message))

    code = normalize_code(raw.code)
    if not _CODE.match(code):
        refuse(
            "code",
            Code.INVALID,
            f"A code is 3 to {MAX_CODE_LENGTH} letters, digits, '-' or '_' "
            f"(got {quoted(raw.code)}).",
        )
    name = raw.name.strip()
    if not name:
        refuse("name", Code.REQUIRED, "A voucher needs a name.")
    elif len(name) > MAX_NAME_LENGTH:
        refuse("name", Code.INVALID, f"A name is at most {MAX_NAME_LENGTH} characters.")
    currency = raw.currency.strip().upper() if raw.currency else None
    if currency is not None and not _CURRENCY.match(currency):
        refuse("currency", Code.INVALID, f"{quoted(raw.currency)} is not an ISO 4217 code.")
    if raw.kind is DiscountKind.PERCENTAGE and not 1 <= raw.value <= FULL_RATE:
        refuse(
            "value",
            Code.INVALID,
            f"A percentage is 1 to {FULL_RATE} basis points (got {raw.value}).",
        )
    if raw.kind is DiscountKind.FIXED:
        if raw.value < 1:
            refuse("value", Code.INVALID, f"A fixed amount is at least 1 (got {raw.value}).")
        if currency is None:
            refuse("currency", Code.REQUIRED, "A fixed amount needs its currency.")
    if raw.min_subtotal < 0:
        refuse("minSubtotal", Code.INVALID, "A minimum subtotal is 0 (none) or more.")
    elif raw.min_subtotal > 0 and currency is None and raw.kind is not DiscountKind.FIXED:
        refuse("currency", Code.REQUIRED, "A minimum subtotal needs its currency.")

    seller_id = _owner(errors, manager, raw.seller_id)
    if not manager.is_staff and raw.scope not in SELLER_SCOPES:
        refuse(
            "scope",
            Code.INVALID,
            "A seller's voucher applies to their own lines: SELLER, PRODUCTS or CATEGORIES.",
        )
    if raw.scope is VoucherScope.SELLER and seller_id is None and manager.is_staff:
        refuse("sellerId", Code.REQUIRED, "A SELLER voucher names its seller.")
    category_ids = _ids(errors, raw.category_ids, "categoryIds")
    product_ids = _ids(errors, raw.product_ids, "productIds")
    if raw.scope is VoucherScope.CATEGORIES and not category_ids:
        refuse("categoryIds", Code.REQUIRED, "A CATEGORIES voucher names its categories.")
    if raw.scope is VoucherScope.PRODUCTS and not product_ids:
        refuse("productIds", Code.REQUIRED, "A PRODUCTS voucher names its products.")

    starts_at, ends_at = _utc(raw.starts_at), _utc(raw.ends_at)
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        refuse("endsAt", Code.INVALID, "A voucher ends after it starts.")
    if raw.usage_limit is not None and raw.usage_limit < max(uses_held, 1):
        refuse(
            "usageLimit",
            Code.INVALID,
            f"A usage limit is at least {max(uses_held, 1)}"
            + (f" ({uses_held} uses are held already)." if uses_held else "."),
        )
    if raw.per_customer_limit is not None and raw.per_customer_limit < 1:
        refuse("perCustomerLimit", Code.INVALID, "A per-customer limit is at least 1.")
    if errors:
        raise InputErrors(*errors)
    return {
        "code": code,
        "name": name,
        "kind": raw.kind.value,
        "value": raw.value,
        "scope": raw.scope.value,
        "seller_id": seller_id,
        # Targets outside the scope would only confuse: kept for their scope alone.
        "category_ids": category_ids if raw.scope is VoucherScope.CATEGORIES else [],
        "product_ids": product_ids if raw.scope is VoucherScope.PRODUCTS else [],
        "min_subtotal": raw.min_subtotal,
        "currency": currency,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "usage_limit": raw.usage_limit,
        "per_customer_limit": raw.per_customer_limit,
        "combinable": raw.combinable,
    }


def _as_input(voucher: Voucher) -> VoucherInput:
    return VoucherInput(
        code=voucher.code,
        name=voucher.name,
        kind=DiscountKind(voucher.kind),
        value=voucher.value,
        scope=VoucherScope(voucher.scope),
        seller_id=None if voucher.seller_id is None else str(voucher.seller_id),
        category_ids=[str(id) for id in voucher.category_ids],
        product_ids=[str(id) for id in voucher.product_ids],
        min_subtotal=voucher.min_subtotal,
        currency=voucher.currency,
        starts_at=voucher.starts_at,
        ends_at=voucher.ends_at,
        usage_limit=voucher.usage_limit,
        per_customer_limit=voucher.per_customer_limit,
        combinable=voucher.combinable,
    )


class VoucherDefinitions:
    async def create(self, session: AsyncSession, viewer: Viewer, raw: VoucherInput) -> Voucher:
        manager = manager_of(viewer)
        values = clean(raw, manager)
        voucher = await voucher_repository.insert_unless_code_taken(
            session, {"id": uuid.uuid4(), **values}
        )
        if voucher is None:
            raise InputErrors.single(
                "code", Code.VOUCHER_CODE_TAKEN, f"The code {values['code']} is taken."
            )
        return voucher

    async def update(
        self,
        session: AsyncSession,
        viewer: Viewer,
        voucher_id: uuid.UUID,
        changes: Mapping[str, Any],
    ) -> Voucher:
        """Change the fields in `changes` (VoucherInput's names, the code and owner
        aside); the voucher as a whole is checked again."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {', '.join(sorted(unknown))}")
        manager = manager_of(viewer)
        voucher = await self._managed(session, manager, voucher_id)
        if voucher.ended_at is not None:
            raise InputErrors.single(
                "id", Code.VOUCHER_EXPIRED, f"The voucher {voucher.code} has ended."
            )
        # The owner stays: staff editing a seller's voucher keep it the seller's.
        merged = dataclasses.replace(_as_input(voucher), **changes)
        values = clean(merged, manager, uses_held=voucher.uses_held)
        for name, value in values.items():
            setattr(voucher, name, value)
        voucher.updated_at = func.now()
        await session.flush()
        await session.refresh(voucher)
        return voucher

    async def end(self, session: AsyncSession, viewer: Viewer, voucher_id: uuid.UUID) -> Voucher:
        """End it now: applied carts can no longer check out with it. Ending an ended
        voucher changes nothing."""
        voucher = await self._managed(session, manager_of(viewer), voucher_id)
        if voucher.ended_at is None:
            voucher.ended_at = func.now()
            voucher.updated_at = func.now()
            await session.flush()
            await session.refresh(voucher)
        return voucher

    async def _managed(
        self, session: AsyncSession, manager: VoucherManager, voucher_id: uuid.UUID
    ) -> Voucher:
        voucher = await voucher_repository.get_for_update(session, voucher_id)
        # Another seller's voucher answers as an unknown id does.
        if voucher is None or not manager.may_manage(voucher):
            raise InputErrors.single("id", Code.NOT_FOUND, "No such voucher.")
        return voucher

    async def page(
        self,
        session: AsyncSession,
        viewer: Viewer,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> list[Voucher]:
        """Newest first: every voucher for staff, a seller's own for a seller."""
        manager = manager_of(viewer)
        return await voucher_repository.page(
            session, seller_id=manager.seller_id, limit=limit, after=after
        )

    async def count(self, session: AsyncSession, viewer: Viewer) -> int:
        return await voucher_repository.count(session, seller_id=manager_of(viewer).seller_id)


definitions = VoucherDefinitions()
