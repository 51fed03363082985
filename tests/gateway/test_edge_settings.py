"""The edge's settings: read from the environment with errors naming the variable, and
handed to the gateway as plain values (shopgraph/platform.py's gateway_config)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domains.kit.auth import JwtKeys
from domains.kit.config import AppEnv, ConfigError, Settings
from gateway.app import EdgeAuth
from gateway.limits import Limits
from shopgraph.platform import gateway_config, remote_auth

_KEYS = JwtKeys.generate()
PRODUCTION = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql://shop@db/shop",
    "REDIS_URL": "redis://cache:6379/0",
    "JWT_PRIVATE_KEY": _KEYS.private_pem or "",
    "JWT_PUBLIC_KEY": _KEYS.public_pem,
}


def test_every_edge_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "GATEWAY_GRAPHIQL": "off",
            "GATEWAY_INTROSPECTION": "off",
            "GATEWAY_CORS_ORIGINS": "https://shop.example.com, http://localhost:3000/",
            "GATEWAY_MAX_DEPTH": "9",
            "GATEWAY_MAX_ALIASES": "5",
            "GATEWAY_MAX_FIELD_REPEATS": "4",
            "GATEWAY_MAX_DIRECTIVES": "7",
            "GATEWAY_MAX_TOKENS": "800",
            "GATEWAY_MAX_LIST_SIZE": "25",
            "GATEWAY_MAX_COST": "2500",
            "GATEWAY_MAX_BODY_SIZE": "256KB",
            "GATEWAY_PUBLIC_FIELDS": "products,categories",
            "GATEWAY_PUBLIC_MAX_AGE": "30",
            "GATEWAY_JWKS_URL": "https://users.internal/.well-known/jwks.json",
            "GATEWAY_PERSISTED_QUERY_TTL": "2d",
            "GATEWAY_OPERATIONS_DIR": "/srv/operations",
            "RATE_LIMIT_ENABLED": "on",
            "RATE_LIMIT_WINDOW": "30s",
            "RATE_LIMIT_PER_IP": "100",
            "RATE_LIMIT_PER_USER": "200",
            "RATE_LIMIT_PER_API_KEY": "0",
            "RATE_LIMIT_PER_CLIENT": "300",
            "GATEWAY_TRUSTED_DOCUMENTS_ONLY": "on",
            "GATEWAY_FIRST_PARTY_KEYS": f"storefront:{'k' * 32}, console:{'c' * 40}",
            "GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7",
        }
    )
    config = gateway_config(settings, supergraph_sdl="", subgraphs={}, auth=None)

    assert config.graphiql is False
    assert config.introspection is False
    assert config.cors_origins == ("https://shop.example.com", "http://localhost:3000")
    assert config.limits == Limits(
        max_depth=9,
        max_aliases=5,
        max_field_repeats=4,
        max_directives=7,
        max_tokens=800,
        max_list_size=25,
        max_cost=2500,
        max_body_bytes=256 * 1024,
    )
    assert config.public_cache.fields == frozenset({"products", "categories"})
    assert config.public_cache.max_age == 30
    assert config.persisted_query_ttl_seconds == 2 * 86400
    assert str(config.manifests_dir) == "/srv/operations"
    assert settings.gateway_jwks_url == "https://users.internal/.well-known/jwks.json"
    assert settings.rate_limit_window == timedelta(seconds=30)
    assert settings.rate_limit_per_client == 300
    assert config.trusted_documents_only is True
    assert config.first_party_keys == {"storefront": "k" * 32, "console": "c" * 40}
    assert config.trusted_proxies == ("10.0.0.0/8", "192.0.2.7/32")
    # No REDIS_URL here: no rate limiting, whatever RATE_LIMIT_ENABLED says.
    assert config.rate_limits is None


def test_production_turns_graphiql_introspection_and_error_details_off() -> None:
    settings = Settings.from_env(PRODUCTION)
    enabled = Settings.from_env({**PRODUCTION, "GATEWAY_GRAPHIQL": "on"})

    config = gateway_config(settings, supergraph_sdl="", subgraphs={}, auth=None)

    assert settings.app_env is AppEnv.PRODUCTION
    assert config.production is True
    assert config.graphiql is False
    assert config.introspection is False
    assert config.expose_plans is False
    assert config.rate_limits is not None
    assert config.rate_limits.per_ip == 50_000
    assert gateway_config(enabled, supergraph_sdl="", subgraphs={}, auth=None).graphiql is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GATEWAY_GRAPHIQL", "maybe"),
        ("GATEWAY_CORS_ORIGINS", "shop.example.com"),
        ("GATEWAY_CORS_ORIGINS", "https://shop.example.com/path"),
        ("GATEWAY_MAX_DEPTH", "0"),
        ("GATEWAY_MAX_COST", "lots"),
        ("GATEWAY_MAX_BODY_SIZE", "1GB"),
        ("GATEWAY_PUBLIC_FIELDS", "products; DROP"),
        ("GATEWAY_JWKS_URL", "ftp://keys"),
        ("RATE_LIMIT_WINDOW", "0"),
        ("RATE_LIMIT_PER_IP", "-1"),
        ("GATEWAY_FIRST_PARTY_KEYS", "k" * 40),
        ("GATEWAY_FIRST_PARTY_KEYS", "storefront:short"),
        ("GATEWAY_FIRST_PARTY_KEYS", f"Store Front:{'k' * 32}"),
        ("GATEWAY_FIRST_PARTY_KEYS", f"a:{'k' * 32},b:{'k' * 32}"),
        ("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("GATEWAY_TRUSTED_DOCUMENTS_ONLY", "sometimes"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable) as raised:
        Settings.from_env({variable: value})
    assert "k" * 32 not in str(raised.value)  # a key is never echoed


def test_graphiql_is_off_by_default_when_only_trusted_documents_run() -> None:
    trusted = Settings.from_env({"GATEWAY_TRUSTED_DOCUMENTS_ONLY": "true"})
    asked = Settings.from_env({"GATEWAY_TRUSTED_DOCUMENTS_ONLY": "true", "GATEWAY_GRAPHIQL": "on"})

    assert Settings.from_env({}).graphiql_enabled is True
    assert trusted.graphiql_enabled is False
    assert asked.graphiql_enabled is True


def test_remote_gateways_find_the_key_set_next_to_the_users_subgraph() -> None:
    keys = _KEYS
    plain = Settings()
    configured = Settings(gateway_jwks_url="https://keys.example.com/jwks.json")
    with_key = Settings(jwt_public_key=keys.public_pem, jwt_private_key=keys.private_pem)

    derived = remote_auth(plain, "http://users:8000/graphql")

    assert derived == EdgeAuth(
        issuer="shopgraph", audience="shopgraph", jwks_url="http://users:8000/.well-known/jwks.json"
    )
    assert remote_auth(configured, "http://users:8000/graphql") == EdgeAuth(
        issuer="shopgraph", audience="shopgraph", jwks_url="https://keys.example.com/jwks.json"
    )
    from_key = remote_auth(with_key, None)
    assert from_key is not None
    assert from_key.jwks == keys.jwks()
    assert remote_auth(plain, None) is None
