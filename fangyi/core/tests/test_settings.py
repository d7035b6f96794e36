"""Settings helpers fail at start with a message naming the variable."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from fangyi.core.env import env_bool, env_database, env_list, env_secret_key


def test_env_bool(monkeypatch):
    monkeypatch.setenv("FANGYI_X", "yes")
    assert env_bool("FANGYI_X", False) is True
    monkeypatch.setenv("FANGYI_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FANGYI_X"):
        env_bool("FANGYI_X", False)


def test_env_list(monkeypatch):
    monkeypatch.setenv("FANGYI_HOSTS", "a.example, b.example")
    assert env_list("FANGYI_HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.setenv("FANGYI_HOSTS", " , ")
    with pytest.raises(ImproperlyConfigured, match="FANGYI_HOSTS"):
        env_list("FANGYI_HOSTS", [])


def test_database_default_is_sqlite_wal(monkeypatch, tmp_path):
    monkeypatch.delenv("FANGYI_DB", raising=False)
    config = env_database("FANGYI_DB", tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_database_postgres_and_bad_urls(monkeypatch, tmp_path):
    monkeypatch.setenv("FANGYI_DB", "postgres://u:p@db.internal:5432/fangyi")
    config = env_database("FANGYI_DB", tmp_path / "x")
    assert (config["ENGINE"], config["NAME"], config["HOST"]) == (
        "django.db.backends.postgresql",
        "fangyi",
        "db.internal",
    )
    for bad in ("mysql://u:p@h/db", "nonsense"):
        monkeypatch.setenv("FANGYI_DB", bad)
        with pytest.raises(ImproperlyConfigured, match="FANGYI_DB"):
            env_database("FANGYI_DB", tmp_path / "x")


def test_postgres_gets_django_s_connection_pool_of_the_configured_size(monkeypatch, tmp_path):
    monkeypatch.setenv("FANGYI_DB", "postgres://u:p@db.internal:5432/fangyi")
    monkeypatch.delenv("FANGYI_DB_POOL_SIZE", raising=False)
    config = env_database("FANGYI_DB", tmp_path / "x")
    assert config["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10}
    assert config["CONN_MAX_AGE"] == 0  # Django refuses persistent connections with a pool
    monkeypatch.setenv("FANGYI_DB_POOL_SIZE", "12")
    assert env_database("FANGYI_DB", tmp_path / "x")["OPTIONS"]["pool"]["max_size"] == 12
    monkeypatch.setenv("FANGYI_DB_POOL_SIZE", "0")
    config = env_database("FANGYI_DB", tmp_path / "x")
    assert "pool" not in config["OPTIONS"] and config["CONN_MAX_AGE"] == 60
    for bad in ("many", "-1", "1000"):
        monkeypatch.setenv("FANGYI_DB_POOL_SIZE", bad)
        with pytest.raises(ImproperlyConfigured, match="FANGYI_DB_POOL_SIZE"):
            env_database("FANGYI_DB", tmp_path / "x")
    # SQLite has no pool.
    monkeypatch.setenv("FANGYI_DB_POOL_SIZE", "4")
    monkeypatch.delenv("FANGYI_DB")
    assert "pool" not in env_database("FANGYI_DB", tmp_path / "db.sqlite3")["OPTIONS"]


def test_secret_key_generated_once(monkeypatch, tmp_path):
    monkeypatch.delenv("FANGYI_SK", raising=False)
    key_file = tmp_path / "var" / "secret_key"
    first = env_secret_key("FANGYI_SK", key_file)
    assert len(first) >= 50 and env_secret_key("FANGYI_SK", key_file) == first
    assert oct(key_file.stat().st_mode)[-3:] == "600"
    monkeypatch.setenv("FANGYI_SK", "short")
    with pytest.raises(ImproperlyConfigured, match="FANGYI_SK"):
        env_secret_key("FANGYI_SK", key_file)


def test_bad_value_stops_the_command_with_the_variable_name(tmp_path):
    env = {**os.environ, "FANGYI_DEBUG": "perhaps", "FANGYI_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "fangyi.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "FANGYI_DEBUG" in result.stderr


def test_time_zone_and_language(settings):
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
