"""Account maintenance: profile, password change and reset, email confirmation, privacy."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from domains.kit.resources import Resources
from domains.users.models import AccountToken, EmailOutbox, RefreshToken
from domains.users.tokens import hash_opaque_token
from tests.domains.users.helpers import (
    PASSWORD,
    TOKEN_CREATE,
    create_account,
    get_user,
    insert_seller_profile,
    insert_user,
    me_error_codes,
    outbox,
    refresh,
    register,
    set_user_fields,
    sign_in,
    start_session,
    token_from_mail,
)
from tests.support.graphql import GraphQLClient

ACCOUNT_UPDATE = """
mutation Update($input: AccountUpdateInput!) {
  accountUpdate(input: $input) { user { id name email } errors { field code message } }
}
"""

PASSWORD_CHANGE = """
mutation Change($old: String!, $new: String!) {
  passwordChange(oldPassword: $old, newPassword: $new) {
    user { id } errors { field code message }
  }
}
"""

REQUEST_PASSWORD_RESET = """
mutation Request($email: String!) {
  requestPasswordReset(email: $email) { errors { field code message } }
}
"""

PASSWORD_RESET = """
mutation Reset($token: String!, $password: String!) {
  passwordReset(token: $token, password: $password) {
    user { id email } errors { field code message }
  }
}
"""

ACCOUNT_CONFIRM = """
mutation Confirm($token: String!) {
  accountConfirm(token: $token) { user { id isEmailConfirmed } errors { field code message } }
}
"""

USER = "query User($id: ID!) { user(id: $id) { id name email roles } }"

NEW_PASSWORD = "a brand new passphrase"


async def _sign_in_errors(client: GraphQLClient, email: str, password: str) -> list[str]:
    response = await client.execute(TOKEN_CREATE, {"email": email, "password": password})
    return [error["code"] for error in response.ok()["tokenCreate"]["errors"]]


async def _reset_mails(resources: Resources, recipient: str) -> list[EmailOutbox]:
    return [
        m for m in await outbox(resources, recipient=recipient) if m.template == "password_reset"
    ]


async def _count(resources: Resources, model: type) -> int:
    async with resources.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# accountUpdate


async def test_account_update_changes_the_name(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com", name="Ada")

    response = await users_client.execute(
        ACCOUNT_UPDATE, {"input": {"name": "  Ada Lovelace "}}, token=ada.access_token
    )

    assert response.ok()["accountUpdate"] == {
        "user": {"id": ada.user_id, "name": "Ada Lovelace", "email": "ada@example.com"},
        "errors": [],
    }
    assert (await get_user(resources, ada.user_id)).name == "Ada Lovelace"


async def test_account_update_with_an_empty_name_is_refused_and_changes_nothing(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com", name="Ada")

    response = await users_client.execute(
        ACCOUNT_UPDATE, {"input": {"name": "   "}}, token=ada.access_token
    )

    assert response.ok()["accountUpdate"] == {
        "user": None,
        "errors": [{"field": "name", "code": "REQUIRED", "message": "`name` must not be empty."}],
    }
    assert (await get_user(resources, ada.user_id)).name == "Ada"


async def test_account_update_needs_a_signed_in_user(users_client: GraphQLClient) -> None:
    response = await users_client.execute(ACCOUNT_UPDATE, {"input": {"name": "Eve"}})

    assert response.data is None
    assert response.error_codes == ["UNAUTHENTICATED"]
    assert response.errors[0]["path"] == ["accountUpdate"]
    assert response.errors[0]["message"] == "You must be signed in to do this."


async def test_account_update_with_a_too_long_name_names_the_limit(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com", name="Ada")

    response = await users_client.execute(
        ACCOUNT_UPDATE, {"input": {"name": "x" * 101}}, token=ada.access_token
    )

    assert response.ok()["accountUpdate"]["errors"] == [
        {
            "field": "name",
            "code": "TOO_LONG",
            "message": "`name` must be at most 100 characters (got 101).",
        }
    ]
    assert (await get_user(resources, ada.user_id)).name == "Ada"


# passwordChange


async def test_password_change_with_a_wrong_old_password_changes_nothing(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    before = (await get_user(resources, ada.user_id)).password_hash

    response = await users_client.execute(
        PASSWORD_CHANGE, {"old": "not my password", "new": NEW_PASSWORD}, token=ada.access_token
    )

    assert response.ok()["passwordChange"] == {
        "user": None,
        "errors": [
            {
                "field": "oldPassword",
                "code": "INCORRECT_PASSWORD",
                "message": "The current password is incorrect.",
            }
        ],
    }
    assert (await get_user(resources, ada.user_id)).password_hash == before


async def test_password_change_to_a_weak_password_changes_nothing(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    before = (await get_user(resources, ada.user_id)).password_hash

    response = await users_client.execute(
        PASSWORD_CHANGE, {"old": PASSWORD, "new": "ADA@example.com"}, token=ada.access_token
    )

    assert response.ok()["passwordChange"] == {
        "user": None,
        "errors": [
            {
                "field": "newPassword",
                "code": "PASSWORD_TOO_WEAK",
                "message": "The password must not be your email address.",
            }
        ],
    }
    assert (await get_user(resources, ada.user_id)).password_hash == before


async def test_password_change_swaps_the_password_and_signs_out_other_sessions(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)
    other_device = await start_session(resources, user_id)

    response = await users_client.execute(
        PASSWORD_CHANGE, {"old": PASSWORD, "new": NEW_PASSWORD}, token=session.access_token
    )

    assert response.ok()["passwordChange"] == {"user": {"id": str(user_id)}, "errors": []}
    assert await _sign_in_errors(users_client, "ada@example.com", PASSWORD) == [
        "INVALID_CREDENTIALS"
    ]
    assert await _sign_in_errors(users_client, "ada@example.com", NEW_PASSWORD) == []
    # The other device is signed out: its refresh token and its access token are dead.
    refused = await refresh(users_client, other_device.refresh_token)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TOKEN"]
    assert await me_error_codes(users_client, other_device.access_token) == ["UNAUTHENTICATED"]
    async with resources.session_factory() as db:
        old = await db.scalar(
            select(RefreshToken).where(
                RefreshToken.token_hash == hash_opaque_token(other_device.refresh_token)
            )
        )
    assert old is not None
    assert old.revoked_at is not None
    # The device that changed the password stays signed in.
    assert await me_error_codes(users_client, session.access_token) == []
    assert (await refresh(users_client, session.refresh_token))["errors"] == []


# requestPasswordReset / passwordReset


async def test_password_reset_request_for_an_unknown_email_looks_the_same(
    users_client: GraphQLClient, resources: Resources
) -> None:
    await insert_user(resources, "ada@example.com")

    known = await users_client.execute(REQUEST_PASSWORD_RESET, {"email": "ada@example.com"})
    unknown = await users_client.execute(REQUEST_PASSWORD_RESET, {"email": "eve@example.com"})

    assert known.body == unknown.body == {"data": {"requestPasswordReset": {"errors": []}}}
    assert [m.recipient for m in await outbox(resources)] == ["ada@example.com"]
    assert await _count(resources, AccountToken) == 1


async def test_password_reset_through_the_mailed_link(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    session = await start_session(resources, user_id)

    await users_client.execute(REQUEST_PASSWORD_RESET, {"email": " Ada@Example.com "})
    [mail] = await _reset_mails(resources, "ada@example.com")
    assert mail.subject == "Reset your Shopgraph password"
    assert "/account/reset-password?token=" in mail.body
    token = token_from_mail(mail)
    response = await users_client.execute(
        PASSWORD_RESET, {"token": token, "password": NEW_PASSWORD}
    )

    assert response.ok()["passwordReset"] == {
        "user": {"id": str(user_id), "email": "ada@example.com"},
        "errors": [],
    }
    assert await _sign_in_errors(users_client, "ada@example.com", NEW_PASSWORD) == []
    assert await _sign_in_errors(users_client, "ada@example.com", PASSWORD) == [
        "INVALID_CREDENTIALS"
    ]
    # Every session is signed out, access tokens included.
    assert [e["code"] for e in (await refresh(users_client, session.refresh_token))["errors"]] == [
        "INVALID_TOKEN"
    ]
    assert await me_error_codes(users_client, session.access_token) == ["UNAUTHENTICATED"]

    # The link works once.
    after_first = (await get_user(resources, user_id)).password_hash
    reuse = await users_client.execute(
        PASSWORD_RESET, {"token": token, "password": "yet another passphrase"}
    )
    assert reuse.ok()["passwordReset"] == {
        "user": None,
        "errors": [
            {
                "field": "token",
                "code": "INVALID_TOKEN",
                "message": "This link is invalid or has already been used.",
            }
        ],
    }
    assert (await get_user(resources, user_id)).password_hash == after_first


async def test_password_reset_with_a_weak_password_keeps_the_link_usable(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    before = (await get_user(resources, user_id)).password_hash
    await users_client.execute(REQUEST_PASSWORD_RESET, {"email": "ada@example.com"})
    [mail] = await _reset_mails(resources, "ada@example.com")
    token = token_from_mail(mail)

    weak = await users_client.execute(PASSWORD_RESET, {"token": token, "password": "short"})

    assert [(e["field"], e["code"]) for e in weak.ok()["passwordReset"]["errors"]] == [
        ("password", "PASSWORD_TOO_WEAK")
    ]
    assert (await get_user(resources, user_id)).password_hash == before
    # The failed attempt did not spend the token.
    strong = await users_client.execute(PASSWORD_RESET, {"token": token, "password": NEW_PASSWORD})
    assert strong.ok()["passwordReset"]["errors"] == []


async def test_expired_password_reset_token_is_refused(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    before = (await get_user(resources, user_id)).password_hash
    await users_client.execute(REQUEST_PASSWORD_RESET, {"email": "ada@example.com"})
    [mail] = await _reset_mails(resources, "ada@example.com")
    token = token_from_mail(mail)
    async with resources.session_factory() as session, session.begin():
        await session.execute(
            update(AccountToken)
            .where(AccountToken.token_hash == hash_opaque_token(token))
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )

    response = await users_client.execute(
        PASSWORD_RESET, {"token": token, "password": NEW_PASSWORD}
    )

    assert response.ok()["passwordReset"] == {
        "user": None,
        "errors": [
            {
                "field": "token",
                "code": "EXPIRED_TOKEN",
                "message": "This link has expired; ask for a new one.",
            }
        ],
    }
    assert (await get_user(resources, user_id)).password_hash == before


async def test_a_new_reset_request_invalidates_the_previous_link(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    before = (await get_user(resources, user_id)).password_hash
    await users_client.execute(REQUEST_PASSWORD_RESET, {"email": "ada@example.com"})
    await users_client.execute(REQUEST_PASSWORD_RESET, {"email": "ada@example.com"})
    first, second = (token_from_mail(m) for m in await _reset_mails(resources, "ada@example.com"))
    assert first != second

    stale = await users_client.execute(PASSWORD_RESET, {"token": first, "password": NEW_PASSWORD})

    assert [e["code"] for e in stale.ok()["passwordReset"]["errors"]] == ["INVALID_TOKEN"]
    assert (await get_user(resources, user_id)).password_hash == before
    fresh = await users_client.execute(PASSWORD_RESET, {"token": second, "password": NEW_PASSWORD})
    assert fresh.ok()["passwordReset"]["errors"] == []


async def test_concurrent_resets_with_one_link_apply_once(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    await users_client.execute(REQUEST_PASSWORD_RESET, {"email": "ada@example.com"})
    [mail] = await _reset_mails(resources, "ada@example.com")
    token = token_from_mail(mail)
    passwords = ["first new passphrase", "second new passphrase"]

    responses = await asyncio.gather(
        *(
            users_client.execute(PASSWORD_RESET, {"token": token, "password": password})
            for password in passwords
        )
    )

    outcomes = [r.ok()["passwordReset"]["errors"] for r in responses]
    assert sorted(len(errors) for errors in outcomes) == [0, 1]
    [[refused]] = [errors for errors in outcomes if errors]
    assert refused["code"] == "INVALID_TOKEN"
    winner = passwords[outcomes.index([])]
    assert await _sign_in_errors(users_client, "ada@example.com", winner) == []
    async with resources.session_factory() as session:
        used = await session.scalar(select(AccountToken).where(AccountToken.user_id == user_id))
    assert used is not None
    assert used.used_at is not None


# accountConfirm


async def test_account_confirm_with_the_mailed_token_works_once(
    users_client: GraphQLClient, resources: Resources
) -> None:
    registered = await register(users_client, "ada@example.com")
    assert registered["user"]["isEmailConfirmed"] is False
    [mail] = await outbox(resources, recipient="ada@example.com")
    assert mail.template == "email_confirmation"
    assert "/account/confirm?token=" in mail.body
    token = token_from_mail(mail)

    confirmed = await users_client.execute(ACCOUNT_CONFIRM, {"token": token})
    reuse = await users_client.execute(ACCOUNT_CONFIRM, {"token": token})

    assert confirmed.ok()["accountConfirm"] == {
        "user": {"id": registered["user"]["id"], "isEmailConfirmed": True},
        "errors": [],
    }
    assert (await get_user(resources, registered["user"]["id"])).is_email_confirmed is True
    assert reuse.ok()["accountConfirm"] == {
        "user": None,
        "errors": [
            {
                "field": "token",
                "code": "INVALID_TOKEN",
                "message": "This link is invalid or has already been used.",
            }
        ],
    }


async def test_a_password_reset_token_does_not_confirm_the_email(
    users_client: GraphQLClient, resources: Resources
) -> None:
    user_id = await insert_user(resources, "ada@example.com")
    await users_client.execute(REQUEST_PASSWORD_RESET, {"email": "ada@example.com"})
    [mail] = await _reset_mails(resources, "ada@example.com")

    response = await users_client.execute(ACCOUNT_CONFIRM, {"token": token_from_mail(mail)})

    assert [e["code"] for e in response.ok()["accountConfirm"]["errors"]] == ["INVALID_TOKEN"]
    assert (await get_user(resources, user_id)).is_email_confirmed is False


# user(id) and privacy


async def test_user_is_visible_to_itself(users_client: GraphQLClient, resources: Resources) -> None:
    ada = await create_account(resources, "ada@example.com", name="Ada")

    response = await users_client.execute(USER, {"id": ada.user_id}, token=ada.access_token)

    assert response.ok()["user"] == {
        "id": ada.user_id,
        "name": "Ada",
        "email": "ada@example.com",
        "roles": ["CUSTOMER"],
    }


async def test_user_is_forbidden_to_another_customer_and_to_anonymous(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")
    eve = await create_account(resources, "eve@example.com")

    as_eve = await users_client.execute(USER, {"id": ada.user_id}, token=eve.access_token)
    anonymous = await users_client.execute(USER, {"id": ada.user_id})

    assert as_eve.data == {"user": None}
    assert as_eve.error_codes == ["FORBIDDEN"]
    assert as_eve.errors[0]["path"] == ["user"]
    assert anonymous.data == {"user": None}
    assert anonymous.error_codes == ["UNAUTHENTICATED"]


async def test_user_is_visible_to_staff_once_the_role_is_in_the_token(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com", name="Ada")
    staff_id = await insert_user(resources, "staff@example.com")
    before = await sign_in(users_client, "staff@example.com")
    await set_user_fields(resources, staff_id, roles=["CUSTOMER", "STAFF"])

    stale = await users_client.execute(USER, {"id": ada.user_id}, token=before.access_token)
    staff = await sign_in(users_client, "staff@example.com")
    fresh = await users_client.execute(USER, {"id": ada.user_id}, token=staff.access_token)
    unknown = await users_client.execute(USER, {"id": str(uuid.uuid4())}, token=staff.access_token)

    # Roles travel in the token: the one issued before the promotion is still a customer's.
    assert stale.error_codes == ["FORBIDDEN"]
    assert fresh.ok()["user"] == {
        "id": ada.user_id,
        "name": "Ada",
        "email": "ada@example.com",
        "roles": ["CUSTOMER"],
    }
    assert unknown.ok()["user"] is None


async def test_user_with_a_malformed_id_names_the_value(
    users_client: GraphQLClient, resources: Resources
) -> None:
    ada = await create_account(resources, "ada@example.com")

    response = await users_client.execute(USER, {"id": "not-a-uuid"}, token=ada.access_token)

    assert response.data == {"user": None}
    assert response.error_codes == ["BAD_USER_INPUT"]
    assert response.errors[0]["message"] == "'not-a-uuid' is not a valid ID."


async def test_a_sellers_email_is_hidden_from_strangers(
    users_client: GraphQLClient, resources: Resources
) -> None:
    seller = await create_account(resources, "shop@example.com", name="Shopkeeper")
    await insert_seller_profile(resources, seller.user_id, shop_name="Corner", slug="corner")
    stranger = await create_account(resources, "eve@example.com")
    query = 'query { seller(slug: "corner") { shopName user { name email } } }'

    as_stranger = await users_client.execute(query, token=stranger.access_token)
    anonymous = await users_client.execute(query)
    as_owner = await users_client.execute(query, token=seller.access_token)

    hidden = {"seller": {"shopName": "Corner", "user": {"name": "Shopkeeper", "email": None}}}
    assert as_stranger.data == hidden
    assert as_stranger.error_codes == ["FORBIDDEN"]
    assert as_stranger.errors[0]["path"] == ["seller", "user", "email"]
    assert anonymous.data == hidden
    assert anonymous.error_codes == ["UNAUTHENTICATED"]
    assert anonymous.errors[0]["path"] == ["seller", "user", "email"]
    assert as_owner.ok()["seller"]["user"] == {"name": "Shopkeeper", "email": "shop@example.com"}
