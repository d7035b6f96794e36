"""Typed helpers that read settings from the environment and fail loudly.

Each helper names the variable in its error, so a bad deployment stops at
start with a message an operator can act on.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    )


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} must be a comma-separated list of host names")
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {raw!r}")
    return value


def env_networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated IP addresses and CIDR networks (`10.0.0.5, 10.1.0.0/16`)."""
    if not os.environ.get(name, "").strip():
        return ()
    networks = []
    for item in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list IP addresses or networks (CIDR, e.g. 10.0.0.0/24); got {item!r}"
            ) from None
    return tuple(networks)


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 1000) -> int:
    """A whole number within [minimum, maximum]."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


# Connections each process keeps ready to PostgreSQL (Django's pool, psycopg-pool): a sync
# gunicorn worker serves one request at a time, so one is used and a few cover the job
# threads; 0 turns the pool off (a connection kept for 60 s instead).
POOL_SIZE_VARIABLE = "FANGYI_DB_POOL_SIZE"
DEFAULT_POOL_SIZE = 4


def env_database(name: str, default_sqlite: Path) -> dict[str, Any]:
    """Parse a database URL; SQLite gets WAL mode and immediate transactions, PostgreSQL
    Django's connection pool (FANGYI_DB_POOL_SIZE)."""
    import dj_database_url

    raw = os.environ.get(name, "").strip()
    url = raw or f"sqlite:///{default_sqlite}"
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
    except Exception as exc:  # dj-database-url raises several types
        raise ImproperlyConfigured(f"{name} is not a usable database URL ({exc}): {raw!r}") from exc
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} names no SQLite file: {raw!r}")
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        # Persistent connections: a gunicorn sync worker keeps its SQLite connection
        # (and its pragmas) instead of reopening the file on every request.
        config["CONN_MAX_AGE"] = 600
        config["CONN_HEALTH_CHECKS"] = True
        config["OPTIONS"] = {
            # WAL lets readers go on while one writer writes; IMMEDIATE avoids
            # "database is locked" upgrades in the middle of a transaction.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    elif engine == "django.db.backends.postgresql":
        # Django turns psycopg's prepared statements off; the plain-SQL hot paths
        # (core.sql) prepare theirs, as planning cost them more than running. Django's
        # own queries use client-side binding and are never prepared either way.
        config["OPTIONS"] = {"prepare_threshold": 5}
        pool_size = env_int(POOL_SIZE_VARIABLE, DEFAULT_POOL_SIZE, maximum=100)
        if pool_size:
            # A pool hands connections out per request; Django refuses persistent ones
            # beside it.
            config["CONN_MAX_AGE"] = 0
            config["OPTIONS"]["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 10}
    else:
        raise ImproperlyConfigured(
            f"{name} must be a sqlite:/// or postgres:// URL; got engine {engine or 'unknown'}"
        )
    return config


def env_replica_database(name: str, primary: dict[str, Any]) -> dict[str, Any] | None:
    """The read replica's database (PostgreSQL only), or None when `name` is unset.

    Same options as the primary but no connection pool: a pool reconnects to a stopped
    replica in the background, logging every attempt, and makes a request wait for its
    timeout (10 s) before the read can fall back to the primary. A persistent connection
    with a short connect timeout fails at once instead (core.dbrouter)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if primary.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            f"{name} needs a PostgreSQL primary (FANGYI_DATABASE_URL=postgres://…): "
            "a replica streams a PostgreSQL primary's changes; SQLite has none"
        )
    if not raw.startswith(("postgres://", "postgresql://")):
        raise ImproperlyConfigured(
            f"{name} must be a postgres:// URL of a PostgreSQL streaming replica; got {raw!r}"
        )
    import dj_database_url

    try:
        config: dict[str, Any] = dict(dj_database_url.parse(raw, conn_max_age=60))
    except Exception as exc:
        raise ImproperlyConfigured(f"{name} is not a usable database URL ({exc}): {raw!r}") from exc
    config["CONN_HEALTH_CHECKS"] = True
    options = {k: v for k, v in primary.get("OPTIONS", {}).items() if k != "pool"}
    options["connect_timeout"] = 3
    config["OPTIONS"] = options
    return config


def env_secret_key(name: str, key_file: Path) -> str:
    """The secret key from the environment, else from a file made once under var/."""
    raw = os.environ.get(name)
    if raw is not None:
        if len(raw) < 32:
            raise ImproperlyConfigured(f"{name} must be at least 32 characters long")
        return raw
    if key_file.exists():
        return key_file.read_text().strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key
