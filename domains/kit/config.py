"""Settings read from the environment, validated once at start-up.

The variable names follow the deployment guide. A bad value stops start-up with a
message naming the variable and what was expected, instead of failing later on first use.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


class AppEnv(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


# Where product media is served from in production when MEDIA_BASE_URL is not set (the
# bucket's CDN); elsewhere the default is the platform's own /media (PUBLIC_URL + /media).
PRODUCTION_MEDIA_BASE_URL = "https://cdn.shopgraph.dev/media"

_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
_CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SIZE = re.compile(r"^\s*(\d+)\s*((?:[KkMm][Bb])?)\s*$")
_SIZE_UNITS = {"": 1, "KB": 1024, "MB": 1024 * 1024}
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(name: str, raw: str) -> timedelta:
    match = _DURATION.match(raw)
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(
            f"{name} must be a positive duration such as 900, 15m, 24h or 7d (got {raw!r})"
        )
    return timedelta(seconds=int(match.group(1)) * _DURATION_UNITS[match.group(2)])


def duration_setting(
    name: str, default: timedelta, environ: Mapping[str, str] | None = None
) -> timedelta:
    """A domain's duration variable (`environ`, else the process's), `default` when unset."""
    return _Reader(os.environ if environ is None else environ).duration(name, default)


@dataclass(frozen=True)
class Settings:
    app_env: AppEnv = AppEnv.DEVELOPMENT
    port: int = 8000
    api_version: str = "v1"
    database_url: str | None = None
    database_pool_min: int = 2
    database_pool_max: int = 10
    # Scale settings (README, "Scaling out"): a read replica for dataloaders and listings,
    # PgBouncer's transaction pooling, Redis Cluster.
    database_replica_url: str | None = None
    database_pgbouncer: bool = False
    # A process sends the events its transactions wrote as they commit, and the relay
    # only what that misses (domains/kit/events/eager.py); off: the relay sends all.
    events_send_on_commit: bool = True
    redis_url: str | None = None
    redis_cluster: bool = False
    redis_ttl: timedelta = timedelta(hours=1)
    redis_key_prefix: str = "sg:"
    jwt_private_key: str | None = field(default=None, repr=False)
    jwt_public_key: str | None = None
    jwt_expiry: timedelta = timedelta(hours=24)
    jwt_refresh_expiry: timedelta = timedelta(days=7)
    jwt_issuer: str = "shopgraph"
    stripe_api_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    sendgrid_api_key: str | None = field(default=None, repr=False)
    sendgrid_api_url: str = "https://api.sendgrid.com"
    email_from: str = "Shopgraph <no-reply@shopgraph.dev>"
    public_url: str = "http://127.0.0.1:8000"
    # Outside production, `shopgraph serve` serves the local media store at /media.
    media_base_url: str = "http://127.0.0.1:8000/media"
    aws_region: str | None = None
    s3_bucket_name: str | None = None
    sentry_dsn: str | None = field(default=None, repr=False)
    data_dir: Path = Path(".data")
    force_embedded: bool = False
    # The gateway's edge. None for GraphiQL and introspection: on, except in production.
    gateway_graphiql: bool | None = None
    gateway_introspection: bool | None = None
    gateway_cors_origins: tuple[str, ...] = ()
    gateway_max_depth: int = 12
    gateway_max_aliases: int = 30
    gateway_max_field_repeats: int = 20
    gateway_max_directives: int = 50
    gateway_max_tokens: int = 5000
    gateway_max_list_size: int = 100
    gateway_max_cost: int = 10_000
    gateway_max_body_size: int = 1_048_576
    gateway_public_fields: tuple[str, ...] = (
        "products",
        "product",
        "categories",
        "category",
        "seller",
        "sellers",
    )
    gateway_public_max_age: int = 60
    gateway_jwks_url: str | None = None
    gateway_persisted_query_ttl: timedelta = timedelta(days=7)
    gateway_operations_dir: Path = Path("schema/operations")
    # Only the manifests' documents run (by documentId, or their exact text).
    gateway_trusted_documents_only: bool = False
    # First-party clients (name, key): their X-Forwarded-For names the shopper, who is then
    # the one rate-limited; and proxies in front of the gateway whose X-Forwarded-For counts.
    gateway_first_party_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    gateway_trusted_proxies: tuple[str, ...] = ()
    rate_limit_enabled: bool = True
    rate_limit_window: timedelta = timedelta(minutes=1)
    rate_limit_per_ip: int = 50_000
    rate_limit_per_user: int = 100_000
    rate_limit_per_api_key: int = 500_000
    rate_limit_per_client: int = 500_000
    # A subgraph served on its own answers `/graphql` only to requests carrying this
    # token, which the gateway sends (domains/kit/edge.py); production requires it.
    subgraph_token: str | None = field(default=None, repr=False)
    # A subgraph's own ceilings, above anything the gateway's limits let through.
    subgraph_max_body_size: int = 4_194_304
    subgraph_max_depth: int = 24
    subgraph_max_aliases: int = 100
    subgraph_max_cost: int = 50_000
    # Subgraph operations run on the compiled executor (domains/kit/graphql/compiled/);
    # off: on graphql-core's, as before it.
    graphql_compiled: bool = True
    # In production /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`, and is
    # not served at all without one; in development it is open.
    metrics_token: str | None = field(default=None, repr=False)

    @property
    def is_production(self) -> bool:
        return self.app_env is AppEnv.PRODUCTION

    @property
    def graphiql_enabled(self) -> bool:
        if self.gateway_graphiql is not None:
            return self.gateway_graphiql
        # GraphiQL sends document text, which a gateway of trusted documents only refuses.
        return not self.is_production and not self.gateway_trusted_documents_only

    @property
    def introspection_enabled(self) -> bool:
        if self.gateway_introspection is None:
            return not self.is_production
        return self.gateway_introspection

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _Reader(os.environ if environ is None else environ)
        app_env = env.choice("APP_ENV", AppEnv, AppEnv.DEVELOPMENT)
        public_url = env.url("PUBLIC_URL", schemes=("http", "https")) or "http://127.0.0.1:8000"
        settings = cls(
            app_env=app_env,
            port=env.integer("PORT", 8000, minimum=1, maximum=65535),
            api_version=env.text("API_VERSION") or "v1",
            database_url=env.url("DATABASE_URL", schemes=("postgresql", "postgres")),
            database_pool_min=env.integer("DATABASE_POOL_MIN", 2, minimum=0),
            database_pool_max=env.integer("DATABASE_POOL_MAX", 10, minimum=1),
            database_replica_url=env.url(
                "DATABASE_REPLICA_URL", schemes=("postgresql", "postgres")
            ),
            database_pgbouncer=env.flag("DATABASE_PGBOUNCER"),
            redis_url=env.url("REDIS_URL", schemes=("redis", "rediss", "unix")),
            redis_cluster=env.flag("REDIS_CLUSTER"),
            redis_ttl=env.duration("REDIS_TTL", timedelta(hours=1)),
            redis_key_prefix=env.text("REDIS_KEY_PREFIX") or "sg:",
            jwt_private_key=env.pem("JWT_PRIVATE_KEY", "PRIVATE KEY"),
            jwt_public_key=env.pem("JWT_PUBLIC_KEY", "PUBLIC KEY"),
            jwt_expiry=env.duration("JWT_EXPIRY", timedelta(hours=24)),
            jwt_refresh_expiry=env.duration("JWT_REFRESH_EXPIRY", timedelta(days=7)),
            stripe_api_key=env.text("STRIPE_API_KEY"),
            stripe_webhook_secret=env.text("STRIPE_WEBHOOK_SECRET"),
            sendgrid_api_key=env.text("SENDGRID_API_KEY"),
            sendgrid_api_url=env.url("SENDGRID_API_URL", schemes=("http", "https"))
            or "https://api.sendgrid.com",
            email_from=env.email("EMAIL_FROM") or "Shopgraph <no-reply@shopgraph.dev>",
            public_url=public_url,
            media_base_url=(
                env.url("MEDIA_BASE_URL", schemes=("http", "https"))
                or (PRODUCTION_MEDIA_BASE_URL if app_env is AppEnv.PRODUCTION else None)
                or f"{public_url.rstrip('/')}/media"
            ).rstrip("/"),
            aws_region=env.text("AWS_REGION"),
            s3_bucket_name=env.text("S3_BUCKET_NAME"),
            sentry_dsn=env.url("SENTRY_DSN", schemes=("http", "https")),
            data_dir=Path(env.text("SHOPGRAPH_DATA_DIR") or ".data"),
            force_embedded=env.flag("SHOPGRAPH_EMBEDDED"),
            gateway_graphiql=env.optional_flag("GATEWAY_GRAPHIQL"),
            gateway_introspection=env.optional_flag("GATEWAY_INTROSPECTION"),
            gateway_cors_origins=env.origins("GATEWAY_CORS_ORIGINS"),
            gateway_max_depth=env.integer("GATEWAY_MAX_DEPTH", 12, minimum=1),
            gateway_max_aliases=env.integer("GATEWAY_MAX_ALIASES", 30, minimum=0),
            gateway_max_field_repeats=env.integer("GATEWAY_MAX_FIELD_REPEATS", 20, minimum=1),
            gateway_max_directives=env.integer("GATEWAY_MAX_DIRECTIVES", 50, minimum=0),
            gateway_max_tokens=env.integer("GATEWAY_MAX_TOKENS", 5000, minimum=100),
            gateway_max_list_size=env.integer("GATEWAY_MAX_LIST_SIZE", 100, minimum=1),
            gateway_max_cost=env.integer("GATEWAY_MAX_COST", 10_000, minimum=1),
            gateway_max_body_size=env.size("GATEWAY_MAX_BODY_SIZE", 1_048_576),
            gateway_public_fields=env.names("GATEWAY_PUBLIC_FIELDS")
            if env.text("GATEWAY_PUBLIC_FIELDS") is not None
            else Settings.gateway_public_fields,
            gateway_public_max_age=env.integer("GATEWAY_PUBLIC_MAX_AGE", 60, minimum=0),
            gateway_jwks_url=env.url("GATEWAY_JWKS_URL", schemes=("http", "https")),
            gateway_persisted_query_ttl=env.duration(
                "GATEWAY_PERSISTED_QUERY_TTL", timedelta(days=7)
            ),
            gateway_operations_dir=Path(env.text("GATEWAY_OPERATIONS_DIR") or "schema/operations"),
            gateway_trusted_documents_only=env.flag("GATEWAY_TRUSTED_DOCUMENTS_ONLY"),
            gateway_first_party_keys=env.client_keys("GATEWAY_FIRST_PARTY_KEYS"),
            gateway_trusted_proxies=env.networks("GATEWAY_TRUSTED_PROXIES"),
            rate_limit_enabled=env.flag("RATE_LIMIT_ENABLED", default=True),
            rate_limit_window=env.duration("RATE_LIMIT_WINDOW", timedelta(minutes=1)),
            rate_limit_per_ip=env.integer("RATE_LIMIT_PER_IP", 50_000, minimum=0),
            rate_limit_per_user=env.integer("RATE_LIMIT_PER_USER", 100_000, minimum=0),
            rate_limit_per_api_key=env.integer("RATE_LIMIT_PER_API_KEY", 500_000, minimum=0),
            rate_limit_per_client=env.integer("RATE_LIMIT_PER_CLIENT", 500_000, minimum=0),
            subgraph_token=env.secret("SUBGRAPH_TOKEN"),
            subgraph_max_body_size=env.size("SUBGRAPH_MAX_BODY_SIZE", 4_194_304),
            subgraph_max_depth=env.integer("SUBGRAPH_MAX_DEPTH", 24, minimum=1),
            subgraph_max_aliases=env.integer("SUBGRAPH_MAX_ALIASES", 100, minimum=0),
            subgraph_max_cost=env.integer("SUBGRAPH_MAX_COST", 50_000, minimum=1),
            graphql_compiled=env.flag("GRAPHQL_COMPILED", default=True),
            events_send_on_commit=env.flag("EVENTS_SEND_ON_COMMIT", default=True),
            metrics_token=env.secret("METRICS_TOKEN"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Rules that involve more than one variable."""
        if self.database_pool_min > self.database_pool_max:
            raise ConfigError(
                f"DATABASE_POOL_MIN ({self.database_pool_min}) must not exceed "
                f"DATABASE_POOL_MAX ({self.database_pool_max})"
            )
        if self.database_replica_url is not None and self.database_url is None:
            raise ConfigError(
                "DATABASE_REPLICA_URL needs DATABASE_URL: the replica serves reads, "
                "the primary every write"
            )
        if self.redis_cluster and (
            self.redis_url is None or urlsplit(self.redis_url).scheme not in ("redis", "rediss")
        ):
            raise ConfigError(
                "REDIS_CLUSTER=true needs REDIS_URL as redis:// or rediss:// (any node of "
                "the cluster); the embedded Redis and unix sockets are single servers"
            )
        if (self.jwt_private_key is None) != (self.jwt_public_key is None):
            raise ConfigError("JWT_PRIVATE_KEY and JWT_PUBLIC_KEY must be set together")
        if self.is_production:
            missing = [
                name
                for name, value in (
                    ("DATABASE_URL", self.database_url),
                    ("REDIS_URL", self.redis_url),
                    ("JWT_PRIVATE_KEY", self.jwt_private_key),
                    ("JWT_PUBLIC_KEY", self.jwt_public_key),
                )
                if value is None
            ]
            if missing:
                raise ConfigError(
                    f"APP_ENV=production requires {', '.join(missing)}: embedded databases "
                    "and generated keys are for development and tests only"
                )


class _Reader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def items(self, name: str) -> list[str]:
        """The non-empty items of a comma-separated setting, stripped."""
        return [item.strip() for item in (self.text(name) or "").split(",") if item.strip()]

    def secret(self, name: str) -> str | None:
        """A shared secret: at least 32 characters, so that it cannot be guessed."""
        value = self.text(name)
        if value is not None and len(value) < 32:
            raise ConfigError(
                f"{name} must be at least 32 characters (got {len(value)}); "
                "generate one with: openssl rand -hex 32"
            )
        return value

    def flag(self, name: str, *, default: bool = False) -> bool:
        value = self.optional_flag(name)
        return default if value is None else value

    def optional_flag(self, name: str) -> bool | None:
        raw = self.text(name)
        if raw is None:
            return None
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be 1/true/yes/on or 0/false/no/off (got {raw!r})")

    def names(self, name: str) -> tuple[str, ...]:
        """A comma-separated list of GraphQL names."""
        items = tuple(self.items(name))
        for item in items:
            if not _GRAPHQL_NAME.match(item):
                raise ConfigError(
                    f"{name} must be comma-separated field names such as products,product "
                    f"(got {item!r})"
                )
        return items

    def client_keys(self, name: str) -> tuple[tuple[str, str], ...]:
        """Comma-separated `name:key` pairs; each key a secret of at least 32 characters."""
        pairs: dict[str, str] = {}
        entries = self.items(name)
        for position, item in enumerate(entries, start=1):
            client, _, key = item.partition(":")
            client, key = client.strip(), key.strip()
            if not _CLIENT_NAME.match(client) or not key:
                # The entry itself is not echoed: it may be a bare key.
                raise ConfigError(
                    f"{name} must be comma-separated name:key pairs such as "
                    f"storefront:<key>, names in lower case (entry {position} is not)"
                )
            if len(key) < 32:
                raise ConfigError(
                    f"{name}: the key of {client!r} must be at least 32 characters "
                    f"(got {len(key)}); generate one with: openssl rand -hex 32"
                )
            if client in pairs or key in pairs.values():
                raise ConfigError(f"{name}: {client!r} or its key appears twice")
            pairs[client] = key
        return tuple(pairs.items())

    def networks(self, name: str) -> tuple[str, ...]:
        """Comma-separated IP addresses or CIDR ranges."""
        networks = []
        for item in self.items(name):
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ConfigError(
                    f"{name} must be comma-separated addresses or CIDR ranges such as "
                    f"10.0.0.0/8,127.0.0.1 (got {item!r})"
                ) from None
        return tuple(networks)

    def origins(self, name: str) -> tuple[str, ...]:
        """A comma-separated list of web origins: scheme://host[:port], no path."""
        origins = []
        for item in self.items(name):
            parts = urlsplit(item)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or parts.path not in ("", "/")
                or parts.query
            ):
                raise ConfigError(
                    f"{name} must be comma-separated origins such as "
                    f"https://shop.example.com,http://localhost:3000 (got {item!r})"
                )
            origins.append(f"{parts.scheme}://{parts.netloc}")
        return tuple(origins)

    def size(self, name: str, default: int) -> int:
        """Bytes, or a number with KB / MB (1024-based): 1048576, 512KB, 1MB."""
        raw = self.text(name)
        if raw is None:
            return default
        match = _SIZE.match(raw)
        if match is None or int(match.group(1)) == 0:
            raise ConfigError(f"{name} must be a size such as 1048576, 512KB or 1MB (got {raw!r})")
        return int(match.group(1)) * _SIZE_UNITS[match.group(2).upper()]

    def integer(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer (got {raw!r})") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise ConfigError(f"{name} must be {bounds} (got {value})")
        return value

    def duration(self, name: str, default: timedelta) -> timedelta:
        raw = self.text(name)
        return default if raw is None else parse_duration(name, raw)

    def choice(self, name: str, enum: type[AppEnv], default: AppEnv) -> AppEnv:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return enum(raw.lower())
        except ValueError:
            allowed = " | ".join(member.value for member in enum)
            raise ConfigError(f"{name} must be one of {allowed} (got {raw!r})") from None

    def url(self, name: str, *, schemes: tuple[str, ...]) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        scheme = parts.scheme.split("+")[0]
        if scheme not in schemes or not (parts.netloc or parts.path):
            raise ConfigError(
                f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)} "
                f"(got {_redact(raw)!r})"
            )
        return raw

    def email(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is not None and "@" not in raw:
            raise ConfigError(
                f"{name} must be an address like 'Shop <shop@example.com>' (got {raw!r})"
            )
        return raw

    def pem(self, name: str, kind: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        # Orchestrators often pass multi-line secrets with literal "\n".
        pem = raw.replace("\\n", "\n")
        if f"-----BEGIN {kind}-----" not in pem and f"-----BEGIN RSA {kind}-----" not in pem:
            raise ConfigError(
                f"{name} must be a PEM-encoded RSA {kind.lower()} (-----BEGIN {kind}-----)"
            )
        return pem


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***")
    return url
