"""The mail outbox and its senders.

SendGrid is faked only at its HTTP boundary: a small Starlette app stands in for the
API and the real SendGridSender talks to it through httpx.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from domains.kit.config import Settings
from domains.kit.db import transaction
from domains.kit.resources import Resources
from domains.users import mail
from domains.users.models import EmailOutbox
from tests.domains.users.helpers import insert_user, outbox, register
from tests.support.graphql import GraphQLClient

REQUEST_PASSWORD_RESET = """
mutation Request($email: String!) {
  requestPasswordReset(email: $email) { errors { code } }
}
"""


class FakeSendGrid:
    """Records every request to /v3/mail/send and answers with `status`."""

    def __init__(self) -> None:
        self.status = 202
        self.requests: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/v3/mail/send", self._send, methods=["POST"])])

    async def _send(self, request: Request) -> PlainTextResponse:
        self.requests.append(
            {
                "url": str(request.url),
                "authorization": request.headers.get("authorization"),
                "json": await request.json(),
            }
        )
        body = "" if self.status == 202 else "upstream exploded"
        return PlainTextResponse(body, status_code=self.status)


@pytest.fixture
def fake_sendgrid() -> FakeSendGrid:
    return FakeSendGrid()


@pytest.fixture
def sendgrid_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings,
        sendgrid_api_key="SG.test",
        sendgrid_api_url="http://sendgrid.test/",
        email_from="Shop Team <team@shop.example>",
    )


@pytest.fixture
async def sender(
    sendgrid_settings: Settings, fake_sendgrid: FakeSendGrid
) -> AsyncIterator[mail.SendGridSender]:
    transport = httpx.ASGITransport(app=fake_sendgrid.app)
    async with httpx.AsyncClient(transport=transport) as client:
        yield mail.SendGridSender(sendgrid_settings, client)


async def _queue_reset_mail(client: GraphQLClient, resources: Resources, email: str) -> EmailOutbox:
    """A real message in the outbox, queued the way the API queues it."""
    response = await client.execute(REQUEST_PASSWORD_RESET, {"email": email})
    assert response.ok()["requestPasswordReset"]["errors"] == []
    [message] = [m for m in await outbox(resources, recipient=email) if m.sent_at is None]
    return message


async def _reload(resources: Resources, message_id: uuid.UUID) -> EmailOutbox:
    async with resources.session_factory() as session:
        message = await session.get(EmailOutbox, message_id)
    assert message is not None
    return message


async def test_sendgrid_receives_the_message_and_the_row_is_marked_sent(
    users_client: GraphQLClient,
    resources: Resources,
    fake_sendgrid: FakeSendGrid,
    sender: mail.SendGridSender,
) -> None:
    await insert_user(resources, "ada@example.com", name="Ada")
    queued = await _queue_reset_mail(users_client, resources, "ada@example.com")

    sent = await mail.deliver_due(resources.session_factory, sender)

    assert sent == 1
    [request] = fake_sendgrid.requests
    assert request["url"] == "http://sendgrid.test/v3/mail/send"
    assert request["authorization"] == "Bearer SG.test"
    assert request["json"] == {
        "personalizations": [{"to": [{"email": "ada@example.com"}]}],
        "from": {"email": "team@shop.example", "name": "Shop Team"},
        "subject": "Reset your Shopgraph password",
        "content": [{"type": "text/plain", "value": queued.body}],
        "custom_args": {"outbox_id": str(queued.id)},
    }
    assert queued.body.startswith("Hello Ada,\n")
    row = await _reload(resources, queued.id)
    assert row.sent_at is not None
    assert row.attempts == 1
    assert row.last_error is None
    # Sent mail is not sent again.
    assert await mail.deliver_due(resources.session_factory, sender) == 0
    assert len(fake_sendgrid.requests) == 1


async def test_a_from_address_without_a_name_sends_only_the_email(
    users_client: GraphQLClient,
    resources: Resources,
    settings: Settings,
    fake_sendgrid: FakeSendGrid,
) -> None:
    await insert_user(resources, "ada@example.com")
    await _queue_reset_mail(users_client, resources, "ada@example.com")
    plain = dataclasses.replace(
        settings,
        sendgrid_api_key="SG.test",
        sendgrid_api_url="http://sendgrid.test",
        email_from="noreply@shop.example",
    )

    transport = httpx.ASGITransport(app=fake_sendgrid.app)
    async with httpx.AsyncClient(transport=transport) as client:
        await mail.deliver_due(resources.session_factory, mail.SendGridSender(plain, client))

    assert fake_sendgrid.requests[0]["json"]["from"] == {"email": "noreply@shop.example"}


async def test_a_sendgrid_error_is_retried_later_with_backoff(
    users_client: GraphQLClient,
    resources: Resources,
    fake_sendgrid: FakeSendGrid,
    sender: mail.SendGridSender,
) -> None:
    await insert_user(resources, "ada@example.com")
    queued = await _queue_reset_mail(users_client, resources, "ada@example.com")
    fake_sendgrid.status = 500

    before = datetime.now(UTC)
    sent = await mail.deliver_due(resources.session_factory, sender)
    after = datetime.now(UTC)

    assert sent == 0
    assert len(fake_sendgrid.requests) == 1
    row = await _reload(resources, queued.id)
    assert row.sent_at is None
    assert row.attempts == 1
    assert row.last_error == "SendGrid answered 500: upstream exploded"
    assert row.next_attempt_at > after
    assert before + mail.backoff(1) <= row.next_attempt_at <= after + mail.backoff(1)

    # Not due yet: another round does not call SendGrid.
    fake_sendgrid.status = 202
    assert await mail.deliver_due(resources.session_factory, sender) == 0
    assert len(fake_sendgrid.requests) == 1

    # Once due, it goes out.
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            update(EmailOutbox)
            .where(EmailOutbox.id == queued.id)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await mail.deliver_due(resources.session_factory, sender) == 1
    assert len(fake_sendgrid.requests) == 2
    row = await _reload(resources, queued.id)
    assert row.sent_at is not None
    assert row.attempts == 2
    assert row.last_error is None  # the error of the earlier attempt is history


async def test_an_unreachable_sendgrid_is_recorded_as_a_failed_attempt(
    users_client: GraphQLClient, resources: Resources, sendgrid_settings: Settings
) -> None:
    await insert_user(resources, "ada@example.com")
    queued = await _queue_reset_mail(users_client, resources, "ada@example.com")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        sent = await mail.deliver_due(
            resources.session_factory, mail.SendGridSender(sendgrid_settings, client)
        )

    assert sent == 0
    row = await _reload(resources, queued.id)
    assert (row.sent_at, row.attempts) == (None, 1)
    assert row.last_error == "SendGrid unreachable: ConnectError"


async def test_a_message_out_of_attempts_is_no_longer_tried(
    users_client: GraphQLClient,
    resources: Resources,
    fake_sendgrid: FakeSendGrid,
    sender: mail.SendGridSender,
) -> None:
    await insert_user(resources, "ada@example.com")
    queued = await _queue_reset_mail(users_client, resources, "ada@example.com")
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            update(EmailOutbox)
            .where(EmailOutbox.id == queued.id)
            .values(attempts=mail.MAX_ATTEMPTS)
        )

    assert await mail.deliver_due(resources.session_factory, sender) == 0
    assert fake_sendgrid.requests == []


async def test_concurrent_delivery_rounds_send_each_message_once(
    resources: Resources, fake_sendgrid: FakeSendGrid, sender: mail.SendGridSender
) -> None:
    async with transaction(resources.session_factory) as session:
        for n in range(5):
            await mail.enqueue(
                session,
                recipient=f"u{n}@example.com",
                subject="Hello",
                body="Hi",
                template="test",
            )

    sent = await asyncio.gather(
        *(mail.deliver_due(resources.session_factory, sender) for _ in range(3))
    )

    assert sum(sent) == 5
    outbox_ids = [r["json"]["custom_args"]["outbox_id"] for r in fake_sendgrid.requests]
    assert len(outbox_ids) == len(set(outbox_ids)) == 5
    assert all(m.sent_at is not None and m.attempts == 1 for m in await outbox(resources))


async def test_a_rolled_back_transaction_queues_no_mail(
    resources: Resources, fake_sendgrid: FakeSendGrid, sender: mail.SendGridSender
) -> None:
    class Boom(Exception):
        pass

    async def enqueue_then_fail() -> None:
        async with transaction(resources.session_factory) as session:
            await mail.enqueue(
                session, recipient="ada@example.com", subject="Hi", body="Hi", template="test"
            )
            raise Boom

    with pytest.raises(Boom):
        await enqueue_then_fail()

    assert await outbox(resources) == []
    assert await mail.deliver_due(resources.session_factory, sender) == 0
    assert fake_sendgrid.requests == []


async def test_a_refused_registration_queues_no_mail(
    users_client: GraphQLClient,
    resources: Resources,
    fake_sendgrid: FakeSendGrid,
    sender: mail.SendGridSender,
) -> None:
    weak = await register(users_client, "bob@example.com", password="short")

    assert [e["code"] for e in weak["errors"]] == ["PASSWORD_TOO_WEAK"]
    assert await outbox(resources) == []
    assert await mail.deliver_due(resources.session_factory, sender) == 0
    assert fake_sendgrid.requests == []


async def test_registering_a_taken_address_mails_its_owner_not_a_confirmation(
    users_client: GraphQLClient,
    resources: Resources,
    fake_sendgrid: FakeSendGrid,
    sender: mail.SendGridSender,
) -> None:
    await insert_user(resources, "ada@example.com", name="Ada")

    duplicate = await register(users_client, "ADA@example.com")

    assert duplicate["errors"] == []  # answered as a registration is
    assert [m.template for m in await outbox(resources)] == ["registration_attempt"]
    assert await mail.deliver_due(resources.session_factory, sender) == 1
    [request] = fake_sendgrid.requests
    assert request["json"]["personalizations"] == [{"to": [{"email": "ada@example.com"}]}]
    assert request["json"]["subject"] == "Someone tried to register with your address"


async def test_file_sender_writes_an_eml_file(
    users_client: GraphQLClient, resources: Resources, tmp_path: Path
) -> None:
    await insert_user(resources, "ada@example.com", name="Ada")
    queued = await _queue_reset_mail(users_client, resources, "ada@example.com")
    directory = tmp_path / "mail"

    sent = await mail.deliver_due(resources.session_factory, mail.FileSender(directory))

    assert sent == 1
    [path] = directory.iterdir()
    assert path.name == f"{queued.created_at:%Y%m%dT%H%M%S}-{queued.id}.eml"
    assert path.read_text(encoding="utf-8") == (
        f"To: ada@example.com\nSubject: Reset your Shopgraph password\n\n{queued.body}"
    )
    async with resources.session_factory() as session:
        row = await session.scalar(select(EmailOutbox))
    assert row is not None
    assert row.sent_at is not None


async def test_sender_for_picks_sendgrid_only_with_an_api_key(
    settings: Settings, sendgrid_settings: Settings
) -> None:
    async with httpx.AsyncClient() as client:
        assert isinstance(mail.sender_for(sendgrid_settings, client), mail.SendGridSender)
        assert isinstance(mail.sender_for(settings, client), mail.FileSender)
