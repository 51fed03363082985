from __future__ import annotations

from datetime import timedelta

import pytest

from domains.kit.auth import JwtKeys
from domains.kit.config import AppEnv, ConfigError, Settings


def test_defaults_follow_the_deployment_guide() -> None:
    settings = Settings.from_env({})

    assert settings.app_env is AppEnv.DEVELOPMENT
    assert settings.port == 8000
    assert settings.jwt_expiry == timedelta(hours=24)
    assert settings.jwt_refresh_expiry == timedelta(days=7)
    assert settings.database_url is None
    assert settings.redis_url is None


def test_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "APP_ENV": "Test",
            "PORT": "9000",
            "DATABASE_URL": "postgresql://u:p@db:5432/shop",
            "DATABASE_POOL_MIN": "3",
            "DATABASE_POOL_MAX": "30",
            "REDIS_URL": "redis://cache:6379/1",
            "REDIS_TTL": "15m",
            "JWT_EXPIRY": "900",
            "JWT_REFRESH_EXPIRY": "2w",
        }
    )

    assert settings.app_env is AppEnv.TEST
    assert (settings.port, settings.database_pool_min, settings.database_pool_max) == (9000, 3, 30)
    assert settings.redis_ttl == timedelta(minutes=15)
    assert settings.jwt_expiry == timedelta(seconds=900)
    assert settings.jwt_refresh_expiry == timedelta(weeks=2)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PORT": "eighty"}, "PORT must be an integer (got 'eighty')"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535 (got 70000)"),
        ({"APP_ENV": "staging"}, "APP_ENV must be one of development | test | production"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must be a URL starting with postgresql://"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must be a URL starting with redis://"),
        ({"JWT_EXPIRY": "1 day"}, "JWT_EXPIRY must be a positive duration"),
        ({"JWT_REFRESH_EXPIRY": "0"}, "JWT_REFRESH_EXPIRY must be a positive duration"),
        ({"DATABASE_POOL_MAX": "0"}, "DATABASE_POOL_MAX must be >= 1 (got 0)"),
        (
            {"DATABASE_POOL_MIN": "20", "DATABASE_POOL_MAX": "5"},
            "DATABASE_POOL_MIN (20) must not exceed DATABASE_POOL_MAX (5)",
        ),
        ({"JWT_PUBLIC_KEY": "not a key"}, "JWT_PUBLIC_KEY must be a PEM-encoded RSA public key"),
        ({"SHOPGRAPH_EMBEDDED": "maybe"}, "SHOPGRAPH_EMBEDDED must be 1/true/yes/on"),
        ({"EMAIL_FROM": "nobody"}, "EMAIL_FROM must be an address"),
    ],
)
def test_a_bad_value_names_the_variable_and_what_was_expected(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(environ)

    assert message in str(raised.value)


def test_passwords_in_urls_are_not_echoed() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"DATABASE_URL": "mysql://user:hunter2@db/shop"})

    assert "hunter2" not in str(raised.value)
    assert "***" in str(raised.value)


def test_production_requires_real_backends_and_keys() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"APP_ENV": "production"})

    assert "DATABASE_URL, REDIS_URL, JWT_PRIVATE_KEY, JWT_PUBLIC_KEY" in str(raised.value)


def test_keys_must_come_in_pairs_and_may_use_escaped_newlines() -> None:
    keys = JwtKeys.generate()
    assert keys.private_pem is not None
    escaped = keys.private_pem.replace("\n", "\\n")

    with pytest.raises(ConfigError, match="must be set together"):
        Settings.from_env({"JWT_PRIVATE_KEY": escaped})
    settings = Settings.from_env({"JWT_PRIVATE_KEY": escaped, "JWT_PUBLIC_KEY": keys.public_pem})

    assert settings.jwt_private_key == keys.private_pem


def test_media_is_the_platforms_own_outside_production_and_the_cdn_in_production() -> None:
    assert Settings.from_env({}).media_base_url == "http://127.0.0.1:8000/media"
    assert Settings().media_base_url == Settings.from_env({}).media_base_url
    public = Settings.from_env({"PUBLIC_URL": "http://localhost:9000/"})
    assert public.media_base_url == "http://localhost:9000/media"
    keys = JwtKeys.generate()
    assert keys.private_pem is not None
    production = Settings.from_env(
        {
            "APP_ENV": "production",
            "DATABASE_URL": "postgresql://db/shop",
            "REDIS_URL": "redis://cache:6379/0",
            "JWT_PRIVATE_KEY": keys.private_pem,
            "JWT_PUBLIC_KEY": keys.public_pem,
        }
    )
    assert production.media_base_url == "https://cdn.shopgraph.dev/media"


def test_media_base_url_is_validated_and_trimmed() -> None:
    custom = Settings.from_env({"MEDIA_BASE_URL": "https://media.example.com/shop/"})
    assert custom.media_base_url == "https://media.example.com/shop"
    with pytest.raises(ConfigError, match="MEDIA_BASE_URL must be a URL starting with http://"):
        Settings.from_env({"MEDIA_BASE_URL": "s3-bucket"})
