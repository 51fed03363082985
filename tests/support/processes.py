"""Running `shopgraph` commands as child processes of a test: a free port to give them,
and the environment that points them at the test run's Postgres, Redis and keys."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from domains.kit.config import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    """This process's environment, with the test run's database, Redis prefix and keys."""
    assert settings.database_url is not None
    assert settings.redis_url is not None
    assert settings.jwt_private_key is not None
    assert settings.jwt_public_key is not None
    return {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "REDIS_KEY_PREFIX": settings.redis_key_prefix,
        "JWT_PRIVATE_KEY": settings.jwt_private_key,
        "JWT_PUBLIC_KEY": settings.jwt_public_key,
        "SHOPGRAPH_DATA_DIR": str(data_dir),
    }
