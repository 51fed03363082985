"""Outgoing mail: messages are written to an outbox in the caller's transaction and
delivered afterwards by a worker, so a rolled-back mutation never sends mail and a
mail-provider outage never fails a mutation."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domains.kit.aio import raise_if_stopping
from domains.kit.config import Settings
from domains.kit.db import transaction
from domains.users.models import EmailOutbox
from domains.users.repositories.mail import email_outbox_repository

logger = logging.getLogger("shopgraph.users.mail")

MAX_ATTEMPTS = 10
POLL_INTERVAL_SECONDS = 2.0


class MailDeliveryError(Exception):
    pass


class MailSender(Protocol):
    async def send(self, message: EmailOutbox) -> None: ...


async def enqueue(
    session: AsyncSession, *, recipient: str, subject: str, body: str, template: str
) -> None:
    await email_outbox_repository.add(
        session, EmailOutbox(recipient=recipient, subject=subject, body=body, template=template)
    )


def account_link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}{path}?{urlencode({'token': token})}"


@dataclass(frozen=True)
class AccountLinkMail:
    """A mail that carries a one-use link to an account page: the page's path, and the
    text around the link (`{name}` and `{link}` are filled in)."""

    path: str
    subject: str
    template: str
    text: str


EMAIL_CONFIRMATION = AccountLinkMail(
    path="/account/confirm",
    subject="Confirm your Shopgraph account",
    template="email_confirmation",
    text="Hello {name},\n\nConfirm your email address by opening:\n{link}\n",
)
PASSWORD_RESET = AccountLinkMail(
    path="/account/reset-password",
    subject="Reset your Shopgraph password",
    template="password_reset",
    text=(
        "Hello {name},\n\nSomeone asked to reset your password. If it was you, open:\n"
        "{link}\n\nThe link works once and expires in one hour. If it was not you, "
        "ignore this message.\n"
    ),
)


async def enqueue_account_link(
    session: AsyncSession,
    settings: Settings,
    mail: AccountLinkMail,
    *,
    recipient: str,
    name: str,
    token: str,
) -> None:
    link = account_link(settings, mail.path, token)
    await enqueue(
        session,
        recipient=recipient,
        subject=mail.subject,
        body=mail.text.format(name=name, link=link),
        template=mail.template,
    )


async def enqueue_registration_attempt(
    session: AsyncSession, settings: Settings, *, recipient: str, name: str
) -> None:
    """To the owner of an address someone tried to register again: the registration was
    answered as if it had worked, so this mail is how a forgetful owner finds out."""
    await enqueue(
        session,
        recipient=recipient,
        subject="Someone tried to register with your address",
        body=(
            f"Hello {name},\n\nSomeone tried to create a Shopgraph account with this "
            "email address, which already has one. No second account was created.\n\n"
            f"If it was you, sign in at {settings.public_url.rstrip('/')} with your "
            "password, or ask there for a password reset if you forgot it.\n\n"
            "If it was not you, ignore this message: your account is unchanged.\n"
        ),
        template="registration_attempt",
    )


def format_money(amount: int, currency: str | None) -> str:
    """Minor units as the customer reads them: 2 decimals for the currencies we sell in."""
    return f"{amount // 100}.{amount % 100:02d} {currency or ''}".strip()


def order_link(settings: Settings, order_id: str) -> str:
    return f"{settings.public_url.rstrip('/')}/account/orders/{order_id}"


@dataclass(frozen=True)
class OrderMail:
    """Who a mail about an order goes to, and which order it is about."""

    recipient: str
    name: str
    order_id: str
    number: str


async def _enqueue_about_order(
    session: AsyncSession,
    settings: Settings,
    order: OrderMail,
    *,
    subject: str,
    news: str,
    template: str,
) -> None:
    await enqueue(
        session,
        recipient=order.recipient,
        subject=subject,
        body=(
            f"Hello {order.name},\n\n{news}\n\nYour order: {order_link(settings, order.order_id)}\n"
        ),
        template=template,
    )


async def enqueue_order_confirmation(
    session: AsyncSession, settings: Settings, order: OrderMail, *, total: int, currency: str | None
) -> None:
    await _enqueue_about_order(
        session,
        settings,
        order,
        subject=f"Order {order.number} confirmed",
        news=(
            f"Thank you: we have your payment of {format_money(total, currency)} for order "
            f"{order.number}. Each seller ships their part and we write when it leaves."
        ),
        template="order_confirmation",
    )


async def enqueue_order_shipped(
    session: AsyncSession,
    settings: Settings,
    order: OrderMail,
    *,
    tracking_number: str,
    items: list[str],
) -> None:
    listed = "".join(f"  - {item}\n" for item in items)
    await _enqueue_about_order(
        session,
        settings,
        order,
        subject=f"Order {order.number}: on its way",
        news=(
            f"Part of order {order.number} has shipped:\n{listed}\n"
            f"Tracking number: {tracking_number}"
        ),
        template="order_shipped",
    )


# The orders domain's cancellation reasons, as the customer reads them.
CANCEL_REASONS = {
    "EXPIRED": "it was not paid in time",
    "CANCELLED": "it was cancelled on request",
}


async def enqueue_order_cancelled(
    session: AsyncSession, settings: Settings, order: OrderMail, *, reason: str | None
) -> None:
    why = CANCEL_REASONS.get(reason or "", "it could not go ahead")
    await _enqueue_about_order(
        session,
        settings,
        order,
        subject=f"Order {order.number} cancelled",
        news=(
            f"Order {order.number} is cancelled: {why}. Anything you paid is refunded to the "
            "card you used."
        ),
        template="order_cancelled",
    )


class SendGridSender:
    """SendGrid's v3 Mail Send API over HTTP."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        assert settings.sendgrid_api_key is not None
        self._api_key = settings.sendgrid_api_key
        self._url = settings.sendgrid_api_url.rstrip("/") + "/v3/mail/send"
        self._from_name, self._from_email = parseaddr(settings.email_from)
        self._client = client

    async def send(self, message: EmailOutbox) -> None:
        sender: dict[str, str] = {"email": self._from_email}
        if self._from_name:
            sender["name"] = self._from_name
        try:
            response = await self._client.post(
                self._url,
                headers={"Authorization": f"Bearer {self._api_key}"},
                json={
                    "personalizations": [{"to": [{"email": message.recipient}]}],
                    "from": sender,
                    "subject": message.subject,
                    "content": [{"type": "text/plain", "value": message.body}],
                    "custom_args": {"outbox_id": str(message.id)},
                },
                timeout=10.0,
            )
        except httpx.HTTPError as error:
            raise MailDeliveryError(f"SendGrid unreachable: {type(error).__name__}") from error
        if response.status_code != 202:
            raise MailDeliveryError(
                f"SendGrid answered {response.status_code}: {response.text[:200]}"
            )


class FileSender:
    """Development: each message is written to a .eml file and its arrival logged."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, message: EmailOutbox) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"{message.created_at:%Y%m%dT%H%M%S}-{message.id}.eml"
        path.write_text(
            f"To: {message.recipient}\nSubject: {message.subject}\n\n{message.body}",
            encoding="utf-8",
        )
        logger.info("mail %r to %s saved as %s", message.subject, message.recipient, path)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


async def deliver_due(
    session_factory: async_sessionmaker[AsyncSession], sender: MailSender, *, limit: int = 50
) -> int:
    """Send what is due; return how many were sent. Failures are retried with backoff."""
    sent = 0
    async with transaction(session_factory) as session:
        now = datetime.now(UTC)
        for message in await email_outbox_repository.claim_due(session, now, limit, MAX_ATTEMPTS):
            try:
                await sender.send(message)
            except MailDeliveryError as error:
                message.attempts += 1
                message.last_error = str(error)
                message.next_attempt_at = now + backoff(message.attempts)
                logger.warning(
                    "mail %s not delivered (attempt %d): %s", message.id, message.attempts, error
                )
            else:
                message.attempts += 1
                message.sent_at = now
                message.last_error = None
                sent += 1
    return sent


def sender_for(settings: Settings, client: httpx.AsyncClient) -> MailSender:
    if settings.sendgrid_api_key:
        return SendGridSender(settings, client)
    return FileSender(settings.data_dir / "mail")


async def run_mail_worker(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with httpx.AsyncClient() as client:
        sender = sender_for(settings, client)
        while True:
            try:
                await deliver_due(session_factory, sender)
            except Exception as error:  # keep the worker alive through database hiccups
                raise_if_stopping(error)
                logger.exception("mail delivery round failed")
            await asyncio.sleep(POLL_INTERVAL_SECONDS)
