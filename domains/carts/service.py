"""Business rules of the carts domain. Methods take the session first and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from domains.carts import events
from domains.carts.admission import AdmissionRefused, Gate
from domains.carts.errors import CartErrorCode
from domains.carts.models import (
    MAX_LINES,
    MAX_QUANTITY,
    Cart,
    CartLine,
    CartStatus,
    Checkout,
    CheckoutStatus,
    VariantOffer,
)
from domains.carts.repository import (
    PriceSeen,
    StockSeen,
    cart_repository,
    checkout_repository,
    currency_repository,
    line_repository,
    offer_repository,
)
from domains.kit.auth import Viewer
from domains.kit.countries import normalize_country_code
from domains.kit.errors import FieldError, InputErrors, parse_uuid, quoted

if TYPE_CHECKING:  # its vouchers import this module: the caller hands the pricer in
    from domains.carts.pricing.checkout import CheckoutPricer

Code = CartErrorCode

MAX_IDEMPOTENCY_KEY_LENGTH = 200
DEFAULT_GUEST_CART_LIFETIME = timedelta(days=30)


def _now() -> datetime:
    return datetime.now(UTC)


def parse_id(value: str, field: str = "id") -> uuid.UUID:
    return parse_uuid(value, field, Code.INVALID)


def _id_or_error(errors: list[FieldError], value: str, field: str) -> uuid.UUID | None:
    """parse_id for one of many inputs: a bad id joins `errors` (None) instead of raising,
    so that every bad input is reported at once."""
    try:
        return parse_id(value, field)
    except InputErrors as error:
        errors.extend(error.errors)
        return None


# --------------------------------------------------------------------------- who


def can_open(cart: Cart, viewer: Viewer) -> bool:
    """A guest cart opens for whoever holds its id (122 random bits, the guest's token);
    a customer's cart for its customer and staff only."""
    if cart.customer_id is None:
        return True
    return viewer.user_id == cart.customer_id or viewer.is_staff


def _ensure_can_change(cart: Cart, viewer: Viewer, field: str = "cartId") -> None:
    # Another customer's cart answers as an unknown id does, so ids cannot be confirmed.
    if cart.customer_id is not None and viewer.user_id != cart.customer_id:
        raise InputErrors.single(field, Code.NOT_FOUND, "No such cart.")


@dataclass(frozen=True)
class LineInput:
    variant_id: str
    quantity: int


@dataclass(frozen=True)
class LineUpdate:
    line_id: str
    quantity: int


def _check_quantity(quantity: int, field: str) -> FieldError | None:
    if 1 <= quantity <= MAX_QUANTITY:
        return None
    return FieldError(
        field, Code.INVALID_QUANTITY, f"A quantity is 1 to {MAX_QUANTITY} (got {quantity})."
    )


class CartService:
    # ----------------------------------------------------------------- reads (dataloaders)

    async def get_by_ids(self, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Cart]:
        return await cart_repository.get_by_ids(session, ids)

    async def open_for_customers(
        self, session: AsyncSession, customer_ids: Sequence[uuid.UUID]
    ) -> list[Cart]:
        """Each customer's open cart, for those who have one."""
        return await cart_repository.open_for_customer(session, customer_ids)

    async def lines_of(
        self, session: AsyncSession, cart_ids: Sequence[uuid.UUID]
    ) -> list[CartLine]:
        return await line_repository.for_carts(session, cart_ids)

    # ----------------------------------------------------------------- changes

    async def create(
        self, session: AsyncSession, viewer: Viewer, lines: Sequence[LineInput]
    ) -> Cart:
        """A signed-in customer gets their open cart (created on first use); anyone else
        a new guest cart."""
        if viewer.user_id is not None:
            cart = await cart_repository.open_for_customer_for_update(session, viewer.user_id)
            if cart is None:
                cart = await cart_repository.add(session, Cart(customer_id=viewer.user_id))
        else:
            cart = await cart_repository.add(session, Cart())
        if lines:
            await self._add(session, cart, lines)
        return cart

    async def get_open_for_change(
        self, session: AsyncSession, viewer: Viewer, cart_id: uuid.UUID
    ) -> Cart:
        cart = await cart_repository.get_for_update(session, cart_id)
        if cart is None:
            raise InputErrors.single("cartId", Code.NOT_FOUND, "No such cart.")
        _ensure_can_change(cart, viewer)
        if cart.status != CartStatus.OPEN.value:
            raise InputErrors.single(
                "cartId", Code.CART_CLOSED, f"This cart is {cart.status.lower()}: start a new one."
            )
        return cart

    async def add_lines(
        self,
        session: AsyncSession,
        viewer: Viewer,
        cart_id: uuid.UUID,
        lines: Sequence[LineInput],
    ) -> Cart:
        cart = await self.get_open_for_change(session, viewer, cart_id)
        if not lines:
            raise InputErrors.single("lines", Code.REQUIRED, "Add at least one line.")
        await self._add(session, cart, lines)
        return cart

    async def _add(self, session: AsyncSession, cart: Cart, lines: Sequence[LineInput]) -> None:
        errors: list[FieldError] = []
        wanted: dict[uuid.UUID, int] = {}
        for index, line in enumerate(lines):
            variant_id = _id_or_error(errors, line.variant_id, f"lines.{index}.variantId")
            if variant_id is None:
                continue
            if problem := _check_quantity(line.quantity, f"lines.{index}.quantity"):
                errors.append(problem)
                continue
            wanted[variant_id] = wanted.get(variant_id, 0) + line.quantity
        if errors:
            raise InputErrors(*errors)
        existing = {
            line.variant_id: line for line in await line_repository.for_carts(session, [cart.id])
        }
        await self._check_currency(session, cart, list(wanted))
        new_count = len(existing) + len([v for v in wanted if v not in existing])
        if new_count > MAX_LINES:
            raise InputErrors.single(
                "lines", Code.TOO_MANY_LINES, f"A cart holds at most {MAX_LINES} lines."
            )
        for variant_id, quantity in wanted.items():
            if variant_id in existing:
                current = existing[variant_id]
                total = current.quantity + quantity
                if total > MAX_QUANTITY:
                    raise InputErrors.single(
                        "lines",
                        Code.INVALID_QUANTITY,
                        f"At most {MAX_QUANTITY} of one variant per cart ({current.quantity} "
                        f"already in the cart, {quantity} more asked for).",
                    )
                current.quantity = total
            else:
                await line_repository.add(
                    session, CartLine(cart_id=cart.id, variant_id=variant_id, quantity=quantity)
                )
        await cart_repository.touch(session, cart)

    async def _check_currency(
        self, session: AsyncSession, cart: Cart, variant_ids: Sequence[uuid.UUID]
    ) -> None:
        offers = await offer_repository.get_many_held(session, variant_ids)
        currencies = {offer.currency for offer in offers.values() if offer.currency}
        if cart.currency:
            currencies.add(cart.currency)
        if len(currencies) > 1:
            raise InputErrors.single(
                "lines",
                Code.CURRENCY_MISMATCH,
                f"A cart holds one currency; these lines are in {', '.join(sorted(currencies))}.",
            )
        if currencies and cart.currency is None:
            cart.currency = currencies.pop()

    async def update_lines(
        self,
        session: AsyncSession,
        viewer: Viewer,
        cart_id: uuid.UUID,
        updates: Sequence[LineUpdate],
    ) -> Cart:
        cart = await self.get_open_for_change(session, viewer, cart_id)
        lines = {line.id: line for line in await line_repository.for_carts(session, [cart.id])}
        errors: list[FieldError] = []
        for index, update in enumerate(updates):
            line_id = _id_or_error(errors, update.line_id, f"lines.{index}.lineId")
            if line_id is None:
                continue
            line = lines.get(line_id)
            if line is None:
                errors.append(
                    FieldError(
                        f"lines.{index}.lineId", Code.NOT_FOUND, "No such line in this cart."
                    )
                )
            elif problem := _check_quantity(update.quantity, f"lines.{index}.quantity"):
                errors.append(problem)
            else:
                line.quantity = update.quantity
        if errors:
            raise InputErrors(*errors)
        await cart_repository.touch(session, cart)
        return cart

    async def remove_lines(
        self, session: AsyncSession, viewer: Viewer, cart_id: uuid.UUID, line_ids: Sequence[str]
    ) -> Cart:
        cart = await self.get_open_for_change(session, viewer, cart_id)
        lines = {line.id: line for line in await line_repository.for_carts(session, [cart.id])}
        errors: list[FieldError] = []
        doomed = []
        for index, raw in enumerate(line_ids):
            line_id = _id_or_error(errors, raw, f"lineIds.{index}")
            if line_id is None:
                continue
            if line_id not in lines:
                errors.append(
                    FieldError(f"lineIds.{index}", Code.NOT_FOUND, "No such line in this cart.")
                )
            else:
                doomed.append(lines[line_id])
        if errors:
            raise InputErrors(*errors)
        for line in doomed:
            await line_repository.delete(session, line)
        if len(doomed) == len(lines):
            cart.currency = None
        await cart_repository.touch(session, cart)
        return cart

    async def merge(self, session: AsyncSession, viewer: Viewer, guest_cart_id: uuid.UUID) -> Cart:
        """Fold a guest cart into the signed-in customer's cart: quantities of the same
        variant are summed, capped by the stock carts last heard of and by 999."""
        customer_id = viewer.require_user()
        guest = await cart_repository.get_for_update(session, guest_cart_id)
        if guest is None:
            raise InputErrors.single("guestCartId", Code.NOT_FOUND, "No such cart.")
        if guest.customer_id is not None:
            _ensure_can_change(guest, viewer, "guestCartId")
            raise InputErrors.single(
                "guestCartId", Code.NOT_A_GUEST_CART, "Only a guest cart can be merged."
            )
        if guest.status != CartStatus.OPEN.value:
            raise InputErrors.single("guestCartId", Code.CART_CLOSED, "This cart is closed.")
        cart = await cart_repository.open_for_customer_for_update(session, customer_id)
        if cart is None:
            # Nothing to merge into: the guest cart becomes the customer's.
            guest.customer_id = customer_id
            await cart_repository.touch(session, guest)
            return guest
        guest_lines = await line_repository.for_carts(session, [guest.id])
        mine = {
            line.variant_id: line for line in await line_repository.for_carts(session, [cart.id])
        }
        if guest.currency and cart.currency and guest.currency != cart.currency and mine:
            raise InputErrors.single(
                "guestCartId",
                Code.CURRENCY_MISMATCH,
                f"The guest cart is in {guest.currency}, your cart in {cart.currency}.",
            )
        if len(mine) + len([g for g in guest_lines if g.variant_id not in mine]) > MAX_LINES:
            raise InputErrors.single(
                "guestCartId", Code.TOO_MANY_LINES, f"A cart holds at most {MAX_LINES} lines."
            )
        offers = await offer_repository.get_many(session, [line.variant_id for line in guest_lines])
        for line in guest_lines:
            offer = offers.get(line.variant_id)
            cap = MAX_QUANTITY
            if offer is not None and offer.available is not None:
                cap = min(cap, max(offer.available, 1))
            if line.variant_id in mine:
                mine[line.variant_id].quantity = min(
                    mine[line.variant_id].quantity + line.quantity, cap
                )
            else:
                await line_repository.add(
                    session,
                    CartLine(
                        cart_id=cart.id,
                        variant_id=line.variant_id,
                        quantity=min(line.quantity, cap),
                    ),
                )
        cart.currency = cart.currency or guest.currency
        guest.status = CartStatus.MERGED.value
        await cart_repository.touch(session, guest)
        await cart_repository.touch(session, cart)
        return cart

    async def expire_guest_carts(
        self, session: AsyncSession, *, lifetime: timedelta, now: datetime | None = None
    ) -> int:
        return await cart_repository.expire_guest_carts(
            session, (now or _now()) - lifetime, limit=500
        )


# --------------------------------------------------------------------------- checkout


@dataclass(frozen=True)
class AddressInput:
    first_name: str
    last_name: str
    street_address_1: str
    city: str
    postal_code: str
    country_code: str
    company: str = ""
    street_address_2: str = ""
    country_area: str = ""
    phone: str = ""


_ADDRESS_LIMITS = {
    "first_name": ("firstName", 100, True),
    "last_name": ("lastName", 100, True),
    "company": ("company", 200, False),
    "street_address_1": ("streetAddress1", 200, True),
    "street_address_2": ("streetAddress2", 200, False),
    "city": ("city", 100, True),
    "postal_code": ("postalCode", 20, True),
    "country_area": ("countryArea", 100, False),
    "phone": ("phone", 40, False),
}


def clean_address(raw: AddressInput) -> events.ShippingAddress:
    errors: list[FieldError] = []
    values: dict[str, str] = {}
    for attribute, (name, limit, required) in _ADDRESS_LIMITS.items():
        value = str(getattr(raw, attribute) or "").strip()
        field = f"shippingAddress.{name}"
        if required and not value:
            errors.append(FieldError(field, Code.INVALID_ADDRESS, f"`{name}` is required."))
        elif len(value) > limit:
            errors.append(
                FieldError(field, Code.INVALID_ADDRESS, f"`{name}` is at most {limit} characters.")
            )
        values[attribute] = value
    country = normalize_country_code(raw.country_code or "")
    if country is None:
        errors.append(
            FieldError(
                "shippingAddress.countryCode",
                Code.INVALID_ADDRESS,
                f"{quoted(raw.country_code)} is not an ISO 3166-1 alpha-2 country code.",
            )
        )
    if errors:
        raise InputErrors(*errors)
    return events.ShippingAddress(country_code=country or "", **values)


class CheckoutService:
    async def request(
        self,
        session: AsyncSession,
        viewer: Viewer,
        cart_id: uuid.UUID,
        address: AddressInput,
        idempotency_key: str,
        gate: Gate | None = None,
        *,
        pricer: CheckoutPricer,
        new_ids: tuple[uuid.UUID, uuid.UUID] | None = None,
    ) -> Checkout:
        """Validate the cart and ask for its order (CheckoutRequested), once per key.

        The same key from the same customer returns the first request's checkout, however
        the cart changed since and however many retries race. With a `gate`, a checkout
        of more units than the admission gate lets into the saga is refused at once
        (CheckoutRefused, with no order and nothing stored). The cart is re-priced once
        by `pricer` (pricing/checkout.py): PRICE_CHANGED when the quote shown differs.
        `new_ids`: the (checkout, order) ids a new checkout gets, chosen by the caller to
        listen for its decision before it commits.
        """
        customer_id = viewer.require_user()
        key = idempotency_key.strip()
        if not (1 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH):
            raise InputErrors.single(
                "idempotencyKey",
                Code.INVALID,
                f"An idempotency key is 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters.",
            )
        # The cart's lock first: a retry racing the first request with its key waits
        # here, then finds that request's checkout in the one lookup below, which also
        # finds another key's checkout still deciding this cart.
        cart = await cart_repository.get_for_update(session, cart_id)
        existing, in_progress = await checkout_repository.by_key_or_pending_for_cart(
            session, customer_id, key, None if cart is None else cart.id
        )
        if existing is not None:
            return existing
        if cart is None:
            raise InputErrors.single("cartId", Code.NOT_FOUND, "No such cart.")
        if cart.customer_id != customer_id:
            if cart.customer_id is None:
                raise InputErrors.single(
                    "cartId",
                    Code.NOT_A_GUEST_CART,
                    "Merge the guest cart into your cart (cartMerge) and check that out.",
                )
            raise InputErrors.single("cartId", Code.NOT_FOUND, "No such cart.")
        if cart.status != CartStatus.OPEN.value:
            raise InputErrors.single("cartId", Code.CART_CLOSED, "This cart is checked out.")
        if in_progress is not None:
            raise InputErrors.single(
                "cartId",
                Code.CHECKOUT_IN_PROGRESS,
                "This cart is being checked out already: retry with the same idempotency key.",
            )
        lines, offers = await line_repository.with_offers(session, cart.id)
        if not lines:
            raise InputErrors.single("cartId", Code.EMPTY_CART, "The cart is empty.")
        shipping_address = clean_address(address)
        new_checkout_id, order_id = new_ids or (uuid.uuid4(), uuid.uuid4())
        line_ids = {str(line.variant_id): str(line.id) for line in lines}
        if gate is not None:
            # Before the pricing: in a rush most checkouts end here, and the refusal
            # needs no quote. A quote that then fails releases the admission (Gate's exit).
            await _admit(gate, order_id, lines, offers, line_ids)
        quote = await pricer.quote(session, cart, lines, offers, shipping_address)
        checkout = await checkout_repository.insert_unless_exists(
            session,
            {
                "id": new_checkout_id,
                "cart_id": cart.id,
                "customer_id": customer_id,
                "idempotency_key": key,
                "order_id": order_id,
                "line_ids": line_ids,
            },
        )
        if checkout is None:
            if gate is not None:
                await gate.release_admitted()  # the first request with this key holds
            winner = await checkout_repository.get_by_key(session, customer_id, key)
            assert winner is not None
            return winner
        pricing = await pricer.reserve(
            session, quote, customer_id=customer_id, checkout_id=checkout.id, order_id=order_id
        )
        await events.publish(
            session,
            events.CheckoutRequested(
                checkout_id=checkout.id,
                order_id=order_id,
                customer_id=customer_id,
                cart_id=cart.id,
                idempotency_key=key,
                lines=pricer.lines(lines, offers, pricing),
                shipping_address=shipping_address,
                requested_at=_now(),
                pricing=pricing,
            ),
        )
        return checkout

    async def record_order_status(
        self, session: AsyncSession, event: events.OrderStatusChanged
    ) -> Checkout | None:
        """Follow the order a checkout asked for; the cart closes once it awaits payment.
        The checkout as recorded, or None when the event was not newer than its record."""
        return await checkout_repository.record_order_status(
            session,
            event.order_id,
            status=CheckoutStatus(event.status).value,
            sequence=event.sequence,
            failure_reason=event.reason,
            failed_lines=[
                {
                    "variant_id": str(line.variant_id),
                    "requested": line.requested,
                    "available": line.available,
                }
                for line in event.failed_lines
            ],
        )


class CheckoutRefused(Exception):
    """The admission gate refused the checkout: `checkout` is its answer, FAILED with
    INSUFFICIENT_STOCK as the saga would have said it, and is not stored."""

    def __init__(self, checkout: Checkout) -> None:
        super().__init__("checkout refused at admission")
        self.checkout = checkout


async def _admit(
    gate: Gate,
    order_id: uuid.UUID,
    lines: Sequence[CartLine],
    offers: Mapping[uuid.UUID, VariantOffer],
    line_ids: dict[str, str],
) -> None:
    quantities: dict[uuid.UUID, int] = {}
    for line in lines:
        quantities[line.variant_id] = quantities.get(line.variant_id, 0) + line.quantity
    available = {variant_id: offer.available for variant_id, offer in offers.items()}
    try:
        await gate.admit(order_id, quantities, available)
    except AdmissionRefused as refused:
        raise CheckoutRefused(
            Checkout(
                status=CheckoutStatus.FAILED.value,
                failure_reason="INSUFFICIENT_STOCK",
                failed_lines=[
                    {
                        "variant_id": str(variant_id),
                        "requested": quantities[variant_id],
                        "available": max(available.get(variant_id) or 0, 0),
                    }
                    for variant_id in refused.variant_ids
                ],
                line_ids=line_ids,
            )
        ) from refused


class OfferService:
    async def record_price(self, session: AsyncSession, event: events.VariantPriceChanged) -> None:
        await offer_repository.record_prices(session, [PriceSeen.of(event, event.changed_at)])
        await currency_repository.adopt_for_variants(session, {event.variant_id: event.currency})

    async def record_stock(self, session: AsyncSession, event: events.StockLevelChanged) -> None:
        await offer_repository.record_stock(
            session, [StockSeen(event.variant_id, event.available, event.changed_at)]
        )

    async def record_loaded(self, session: AsyncSession, event: events.VariantOffersLoaded) -> None:
        """A batch loaded in bulk: each offer as a price change and a stock change."""
        at = event.loaded_at
        await offer_repository.record_prices(
            session, [PriceSeen.of(offer, at) for offer in event.offers]
        )
        await offer_repository.record_stock(
            session, [StockSeen(o.variant_id, o.available, at) for o in event.offers]
        )
        await currency_repository.adopt_for_variants(
            session, {offer.variant_id: offer.currency for offer in event.offers}
        )


carts = CartService()
checkouts = CheckoutService()
offers = OfferService()
