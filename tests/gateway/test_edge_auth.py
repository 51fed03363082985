"""Access tokens at the edge, and identity a client cannot forge.

The platform (real Postgres and Redis) runs behind its gateway, which is handed the
users subgraph's key set; a bad token is refused with 401 before anything is planned.
Remote key sets (JWKS over HTTP) are cached and follow key rotation.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from domains.kit.auth import JwtKeys
from gateway.auth import tokens as edge_tokens
from gateway.auth.jwks import RemoteKeySet, StaticKeySet
from gateway.auth.tokens import TokenVerifier
from gateway.errors import Refusal
from tests.federation.topology import serve_topology
from tests.gateway import tokens
from tests.gateway.edge import client_of, topology_gateway
from tests.support.tokens import sign_up

FORGED_IDENTITY_HEADERS = (
    "x-user-id",
    "x-shopgraph-user",
    "x-shopgraph-viewer",
    "x-forwarded-user",
    "x-authenticated-userid",
    "x-remote-user",
)
ME = "{ me { id name email } }"
RENAME = 'mutation { accountUpdate(input: {name: "Pwned"}) { user { name } } }'


async def _ask(
    client: httpx.AsyncClient, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post("/graphql", json={"query": query}, headers=headers or {})


async def test_a_valid_token_reaches_the_subgraphs(platform: httpx.AsyncClient) -> None:
    user_id, token = await sign_up(platform, "valid@example.com")

    response = await _ask(platform, ME, {"authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json()["data"]["me"]["id"] == user_id


BAD_TOKENS = {
    "expired": (lambda keys: tokens.signed(keys, exp=int(time.time()) - 60), "expired"),
    "HS256 with the public key": (tokens.hs256_with_public_key, "RS256"),
    "alg: none": (lambda keys: tokens.alg_none(), "RS256"),
    "a foreign key": (lambda keys: tokens.signed(JwtKeys.generate()), "unknown key"),
    "another audience": (lambda keys: tokens.signed(keys, aud="someone-else"), "invalid"),
    "not an access token": (lambda keys: tokens.signed(keys, typ="refresh"), "invalid"),
    "garbage": (lambda keys: "not.a.token", "invalid"),
}


async def test_bad_tokens_are_refused_with_401_and_change_nothing(
    platform: httpx.AsyncClient, jwt_keys: JwtKeys
) -> None:
    _, good = await sign_up(platform, "victim@example.com")
    outcomes = {}
    for case, (make, message) in BAD_TOKENS.items():
        response = await _ask(platform, RENAME, {"authorization": f"Bearer {make(jwt_keys)}"})
        body = response.json()
        error = body["errors"][0]
        outcomes[case] = (
            response.status_code,
            response.headers.get("www-authenticate", "").startswith("Bearer"),
            error["extensions"]["code"],
            message in error["message"],
            "data" in body,
        )
    me = await _ask(platform, ME, {"authorization": f"Bearer {good}"})

    assert outcomes == dict.fromkeys(BAD_TOKENS, (401, True, "UNAUTHENTICATED", True, False))
    assert me.json()["data"]["me"]["name"] == "Test Customer"


async def test_a_malformed_authorization_header_is_401(platform: httpx.AsyncClient) -> None:
    response = await _ask(platform, ME, {"authorization": "Basic dXNlcjpwYXNz"})

    assert response.status_code == 401
    assert "Bearer" in response.json()["errors"][0]["message"]


async def test_a_forged_identity_header_gains_nothing(platform: httpx.AsyncClient) -> None:
    victim_id, _ = await sign_up(platform, "victim@example.com")
    forged = {name: victim_id for name in FORGED_IDENTITY_HEADERS}

    me = await _ask(platform, ME, forged)
    rename = await _ask(platform, RENAME, forged)
    user = await _ask(platform, f'{{ user(id: "{victim_id}") {{ email }} }}', forged)

    assert me.json()["data"]["me"] is None
    assert rename.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert user.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_forged_identity_headers_never_reach_a_subgraph_over_http() -> None:
    forged = dict.fromkeys(FORGED_IDENTITY_HEADERS, "u1")
    with serve_topology() as topology:
        async with client_of(topology_gateway(subgraphs=topology.urls)) as client:
            await _ask(client, "{ me { name } topProducts { name } }", forged)
        sent = [request.headers for request in topology.request_log.requests]

    assert sent
    for headers in sent:
        assert not set(headers) & set(FORGED_IDENTITY_HEADERS)


class _Issuer:
    """A JWKS endpoint whose key set can rotate, counting how often it is read."""

    def __init__(self) -> None:
        self.keys = [JwtKeys.generate()]
        self.reads = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.reads += 1
        jwks = {"keys": [key.jwks()["keys"][0] for key in self.keys]}
        return httpx.Response(200, content=json.dumps(jwks))


async def test_a_remote_key_set_is_cached_and_follows_rotation() -> None:
    issuer = _Issuer()
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handler)) as http:
        keys = RemoteKeySet(
            "https://users.test/.well-known/jwks.json", http, min_refresh_interval=0
        )
        verifier = TokenVerifier(keys, issuer="shopgraph", audience="shopgraph")

        first = await verifier.verify(f"Bearer {tokens.signed(issuer.keys[0])}")
        await verifier.verify(f"Bearer {tokens.signed(issuer.keys[0])}")
        reads_before_rotation = issuer.reads
        issuer.keys = [JwtKeys.generate(), issuer.keys[0]]  # a new key, the old one retiring
        rotated = await verifier.verify(f"Bearer {tokens.signed(issuer.keys[0])}")

    assert first.subject
    assert rotated.subject
    assert reads_before_rotation == 1  # cached
    assert issuer.reads == 2  # an unknown kid made it look again


async def test_made_up_key_ids_do_not_turn_into_a_stream_of_fetches() -> None:
    issuer = _Issuer()
    stranger = JwtKeys.generate()
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handler)) as http:
        keys = RemoteKeySet("https://users.test/jwks", http, min_refresh_interval=60)
        verifier = TokenVerifier(keys, issuer="shopgraph", audience="shopgraph")
        for _ in range(20):
            with pytest.raises(Refusal) as refused:
                await verifier.verify(f"Bearer {tokens.signed(stranger)}")
            assert refused.value.status == 401

    assert issuer.reads == 1


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every full verification the edge makes (PyJWT's decode, still done for real)."""
    made: list[str] = []
    decode = edge_tokens.jwt.decode

    def counted(token: str, *args: object, **kwargs: object) -> object:
        made.append(token)
        return decode(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(edge_tokens.jwt, "decode", counted)
    return made


async def test_a_token_is_verified_once_then_remembered_until_it_expires(
    decodes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = JwtKeys.generate()
    verifier = TokenVerifier(StaticKeySet(keys.jwks()), issuer="shopgraph", audience="shopgraph")
    token = tokens.signed(keys, exp=int(time.time()) + 60)

    first = await verifier.verify(f"Bearer {token}")
    again = await verifier.verify(f"Bearer {token}")
    verified_while_valid = len(decodes)
    # Past the token's expiry by the cache's clock (PyJWT reads its own, unmoved here:
    # what this shows is that the entry is not used, so the token is verified again).
    later = time.time() + 61
    monkeypatch.setattr(edge_tokens.time, "time", lambda: later)
    await verifier.verify(f"Bearer {token}")

    assert again == first
    assert verified_while_valid == 1
    assert len(decodes) == 2


async def test_a_remembered_token_is_refused_once_its_key_is_withdrawn(
    decodes: list[str],
) -> None:
    issuer = _Issuer()
    async with httpx.AsyncClient(transport=httpx.MockTransport(issuer.handler)) as http:
        keys = RemoteKeySet("https://users.test/jwks", http, max_age=0, min_refresh_interval=0)
        verifier = TokenVerifier(keys, issuer="shopgraph", audience="shopgraph")
        token = tokens.signed(issuer.keys[0])
        await verifier.verify(f"Bearer {token}")
        issuer.keys = [JwtKeys.generate()]  # the signing key withdrawn

        with pytest.raises(Refusal) as refused:
            await verifier.verify(f"Bearer {token}")

    assert refused.value.status == 401
