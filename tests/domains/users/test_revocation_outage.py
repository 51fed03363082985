"""Revocations hold through a Redis outage and a Redis that comes back empty.

Each test runs its own `redis-server` and stops it in the middle of the flow: the users
subgraph answers from its Postgres record, the carts subgraph refuses signed-in requests
it cannot check, a sign-out or password change that cannot reach Redis changes nothing,
and a restarted Redis gets every revocation back from the record.
"""

from __future__ import annotations

import dataclasses
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domains.kit.app import Runtime
from domains.kit.db import read_session, transaction
from domains.kit.resources import Resources, create_redis
from domains.users.models import RefreshToken, RevokedAccess
from domains.users.passwords import verify_password
from domains.users.revocations import copy_record_to_cache, keep_cache_complete
from domains.users.services.accounts import account
from tests.domains.users.helpers import (
    ME,
    PASSWORD,
    get_user,
    insert_user,
    outbox,
    refresh,
    start_session,
    token_from_mail,
)
from tests.support.graphql import GraphQLClient
from tests.support.private_redis import PrivateRedis
from tests.support.private_redis import private_redis as running_private_redis

TOKEN_REVOKE = """
mutation($refreshToken: String!) {
  tokenRevoke(refreshToken: $refreshToken) { revoked errors { field code message } }
}
"""
PASSWORD_CHANGE = """
mutation($old: String!, $new: String!) {
  passwordChange(oldPassword: $old, newPassword: $new) { user { id } errors { code } }
}
"""
CART_CREATE = "mutation { cartCreate { cart { isGuest } errors { code } } }"
NEW_PASSWORD = "a brand new passphrase"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    with running_private_redis() as server:
        yield server


@pytest.fixture
async def on_private_redis(
    resources: Resources, private_redis: PrivateRedis
) -> AsyncIterator[Resources]:
    """The test run's Postgres with the private Redis, which the users worker has filled."""
    settings = dataclasses.replace(resources.settings, redis_url=private_redis.url)
    redis = create_redis(settings, socket_timeout=1.0)
    private = dataclasses.replace(resources, settings=settings, redis=redis, blocking_redis=None)
    assert await copy_record_to_cache(private)
    try:
        yield private
    finally:
        await redis.aclose()


async def _client(app_module: Any, resources: Resources, host: str) -> GraphQLClient:
    app = app_module.create_app(Runtime(resources.settings, resources), manage_resources=False)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{host}")
    return GraphQLClient(http)


@pytest.fixture
async def clients(on_private_redis: Resources) -> AsyncIterator[tuple[GraphQLClient, ...]]:
    from domains.carts import app as carts_app
    from domains.users import app as users_app

    users = await _client(users_app, on_private_redis, "users.test")
    carts = await _client(carts_app, on_private_redis, "carts.test")
    try:
        yield users, carts
    finally:
        await users.http.aclose()
        await carts.http.aclose()


async def _restarted(server: PrivateRedis, resources: Resources) -> None:
    server.start()
    # Drop the connections the pool held to the stopped server.
    await resources.redis.connection_pool.disconnect()


async def _me_errors(client: GraphQLClient, token: str) -> list[tuple[str | None, str]]:
    response = await client.execute(ME, token=token)
    return [(e.get("extensions", {}).get("code"), e["message"]) for e in response.errors]


async def _cart_errors(client: GraphQLClient, token: str | None) -> list[str | None]:
    return (await client.execute(CART_CREATE, token=token)).error_codes


REVOKED = [("UNAUTHENTICATED", "The access token has been revoked.")]


async def _refresh_tokens(resources: Resources, user_id: str) -> list[RefreshToken]:
    async with read_session(resources.session_factory) as session:
        rows = await session.scalars(
            select(RefreshToken).where(RefreshToken.user_id == uuid.UUID(user_id))
        )
        return list(rows.all())


async def _record(resources: Resources) -> list[RevokedAccess]:
    async with read_session(resources.session_factory) as session:
        return list((await session.scalars(select(RevokedAccess))).all())


async def test_a_revoked_token_stays_refused_while_redis_is_down(
    clients: tuple[GraphQLClient, GraphQLClient],
    on_private_redis: Resources,
    private_redis: PrivateRedis,
) -> None:
    users, carts = clients
    user_id = str(await insert_user(on_private_redis, "ada@example.com"))
    signed_out = await start_session(on_private_redis, user_id)
    still_in = await start_session(on_private_redis, user_id)
    revoked = await users.execute(
        TOKEN_REVOKE, {"refreshToken": signed_out.refresh_token}, token=signed_out.access_token
    )
    assert revoked.ok()["tokenRevoke"] == {"revoked": True, "errors": []}

    private_redis.kill()

    # The users subgraph answers from its record: refused, and the other sign-in works.
    assert await _me_errors(users, signed_out.access_token) == REVOKED
    me = (await users.execute(ME, token=still_in.access_token)).ok()["me"]
    assert me["id"] == user_id
    # Carts cannot read that record: it refuses whatever needs the viewer, revoked or
    # not, with a code saying to retry; a guest still gets a cart.
    assert await _cart_errors(carts, signed_out.access_token) == ["TOKEN_CHECK_UNAVAILABLE"]
    assert await _cart_errors(carts, still_in.access_token) == ["TOKEN_CHECK_UNAVAILABLE"]
    guest = (await carts.execute(CART_CREATE)).ok()["cartCreate"]
    assert guest == {"cart": {"isGuest": True}, "errors": []}

    await _restarted(private_redis, on_private_redis)

    # Back, but empty: Redis cannot vouch for any token yet, so carts refuses both, the
    # revoked one included, until the record is back in Redis.
    assert await _cart_errors(carts, signed_out.access_token) == ["TOKEN_CHECK_UNAVAILABLE"]
    assert await _cart_errors(carts, still_in.access_token) == ["TOKEN_CHECK_UNAVAILABLE"]
    # The users subgraph still refuses from its record, and puts the record back ...
    assert await _me_errors(users, signed_out.access_token) == REVOKED
    # ... after which carts refuses the revoked token and serves the other one.
    assert await _cart_errors(carts, signed_out.access_token) == ["UNAUTHENTICATED"]
    created = (await carts.execute(CART_CREATE, token=still_in.access_token)).ok()
    assert created["cartCreate"]["cart"] == {"isGuest": False}


async def test_token_revoke_with_redis_down_changes_nothing(
    clients: tuple[GraphQLClient, GraphQLClient],
    on_private_redis: Resources,
    private_redis: PrivateRedis,
) -> None:
    users, _ = clients
    user_id = str(await insert_user(on_private_redis, "ada@example.com"))
    session = await start_session(on_private_redis, user_id)
    private_redis.kill()

    response = await users.execute(
        TOKEN_REVOKE, {"refreshToken": session.refresh_token}, token=session.access_token
    )

    assert response.error_codes == ["TOKEN_CHECK_UNAVAILABLE"]
    assert "nothing was changed" in response.errors[0]["message"]
    [stored] = await _refresh_tokens(on_private_redis, user_id)
    assert stored.revoked_at is None
    assert await _record(on_private_redis) == []
    assert (await users.execute(ME, token=session.access_token)).ok()["me"]["id"] == user_id

    # Once Redis is back the same sign-out goes through, whole.
    await _restarted(private_redis, on_private_redis)
    await keep_cache_complete(on_private_redis)
    again = await users.execute(
        TOKEN_REVOKE, {"refreshToken": session.refresh_token}, token=session.access_token
    )
    assert again.ok()["tokenRevoke"] == {"revoked": True, "errors": []}
    assert await _me_errors(users, session.access_token) == REVOKED
    assert {row.kind for row in await _record(on_private_redis)} == {"token", "session"}


async def test_password_change_with_redis_down_changes_nothing(
    clients: tuple[GraphQLClient, GraphQLClient],
    on_private_redis: Resources,
    private_redis: PrivateRedis,
) -> None:
    users, carts = clients
    user_id = str(await insert_user(on_private_redis, "ada@example.com"))
    here = await start_session(on_private_redis, user_id)
    elsewhere = await start_session(on_private_redis, user_id)
    private_redis.kill()

    response = await users.execute(
        PASSWORD_CHANGE, {"old": PASSWORD, "new": NEW_PASSWORD}, token=here.access_token
    )

    assert response.error_codes == ["TOKEN_CHECK_UNAVAILABLE"]
    user = await get_user(on_private_redis, user_id)
    assert await verify_password(user.password_hash, PASSWORD)
    assert [row.revoked_at for row in await _refresh_tokens(on_private_redis, user_id)] == [
        None,
        None,
    ]
    assert await _record(on_private_redis) == []

    # With Redis back the change goes through and signs the other device out for good:
    # through a restart that empties Redis too.
    await _restarted(private_redis, on_private_redis)
    await keep_cache_complete(on_private_redis)
    changed = await users.execute(
        PASSWORD_CHANGE, {"old": PASSWORD, "new": NEW_PASSWORD}, token=here.access_token
    )
    assert changed.ok()["passwordChange"]["errors"] == []
    private_redis.kill()
    await _restarted(private_redis, on_private_redis)
    await keep_cache_complete(on_private_redis)  # the users worker's round
    assert await _cart_errors(carts, elsewhere.access_token) == ["UNAUTHENTICATED"]
    assert await _me_errors(users, elsewhere.access_token) == REVOKED
    assert (await users.execute(ME, token=here.access_token)).ok()["me"]["id"] == user_id


async def test_a_replayed_refresh_token_with_redis_unreachable_is_revoked_in_the_record(
    clients: tuple[GraphQLClient, GraphQLClient],
    on_private_redis: Resources,
    private_redis: PrivateRedis,
) -> None:
    # A replay must not get another try, so its revocation commits without Redis; the
    # worker copies it over when Redis answers again, even one that kept its data.
    users, _ = clients
    user_id = str(await insert_user(on_private_redis, "ada@example.com"))
    stolen = await start_session(on_private_redis, user_id)
    legitimate = await refresh(users, stolen.refresh_token)
    partitioned = dataclasses.replace(
        on_private_redis,
        redis=create_redis(
            dataclasses.replace(
                on_private_redis.settings, redis_url=f"redis://127.0.0.1:{_free_port()}/0"
            )
        ),
    )
    from domains.carts import app as carts_app
    from domains.users import app as users_app

    cut_off_users = await _client(users_app, partitioned, "users.test")
    carts = await _client(carts_app, on_private_redis, "carts.test")
    try:
        reuse = await refresh(cut_off_users, stolen.refresh_token)
        assert [e["code"] for e in reuse["errors"]] == ["TOKEN_REUSED"]
        [row] = await _record(on_private_redis)
        assert (row.kind, row.cached) == ("session", False)
        assert await _me_errors(cut_off_users, legitimate["accessToken"]) == REVOKED

        await keep_cache_complete(on_private_redis)

        assert [row.cached for row in await _record(on_private_redis)] == [True]
        assert await _cart_errors(carts, legitimate["accessToken"]) == ["UNAUTHENTICATED"]
        assert await _me_errors(users, legitimate["accessToken"]) == REVOKED
    finally:
        await cut_off_users.http.aclose()
        await carts.http.aclose()
        await partitioned.redis.aclose()


PASSWORD_RESET = """
mutation($token: String!, $password: String!) {
  passwordReset(token: $token, password: $password) { user { id } errors { code } }
}
"""


async def test_password_reset_with_redis_down_changes_nothing(
    clients: tuple[GraphQLClient, GraphQLClient],
    on_private_redis: Resources,
    private_redis: PrivateRedis,
) -> None:
    users, _ = clients
    user_id = str(await insert_user(on_private_redis, "ada@example.com"))
    signed_in = await start_session(on_private_redis, user_id)
    async with transaction(on_private_redis.session_factory) as session:
        await account.request_password_reset(
            session, on_private_redis.settings, email="ada@example.com"
        )
    reset_token = token_from_mail((await outbox(on_private_redis))[-1])
    private_redis.kill()

    response = await users.execute(PASSWORD_RESET, {"token": reset_token, "password": NEW_PASSWORD})

    assert response.error_codes == ["TOKEN_CHECK_UNAVAILABLE"]
    user = await get_user(on_private_redis, user_id)
    assert await verify_password(user.password_hash, PASSWORD)
    [stored] = await _refresh_tokens(on_private_redis, user_id)
    assert stored.revoked_at is None
    assert await _record(on_private_redis) == []

    # The reset link was not spent: with Redis back it works, and signs everybody out.
    await _restarted(private_redis, on_private_redis)
    await keep_cache_complete(on_private_redis)
    again = await users.execute(PASSWORD_RESET, {"token": reset_token, "password": NEW_PASSWORD})
    assert again.ok()["passwordReset"]["errors"] == []
    assert await _me_errors(users, signed_in.access_token) == REVOKED
