"""FANGYI_LOG_FORMAT=json: one JSON line per request through Python logging, read back."""

import json
import logging
import os
import subprocess
import sys

import pytest
from django.test import Client

from fangyi.core.request_log import JsonLineFormatter

pytestmark = pytest.mark.django_db


def _lines(caplog) -> list[dict]:
    formatter = JsonLineFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "fangyi.request"
    ]


def test_one_json_line_per_request(settings, caplog, tree):
    settings.LOG_FORMAT = "json"
    settings.TRUSTED_PROXIES = frozenset({"10.0.0.2"})
    person = tree.people[0]
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    client.force_login(tree.users["community"])
    with caplog.at_level(logging.INFO, logger="fangyi.request"):
        client.get(f"/people/{person.pk}/?tab=history&q={person.doc_number}")
        Client().get("/healthz")
    first, second = _lines(caplog)
    assert set(first) == {
        "time", "method", "view", "path", "status", "duration_ms", "user_id", "remote_addr",
    }  # fmt: skip
    assert first["method"] == "GET"
    assert first["view"] == "person"
    assert first["path"] == f"/people/{person.pk}/"  # no query string
    assert first["status"] == 200
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert first["user_id"] == tree.users["community"].pk
    assert first["remote_addr"] == "198.51.100.7"  # through the trusted proxy
    assert first["time"].endswith("+00:00")
    assert second["user_id"] is None and second["view"] == "healthz"
    assert second["remote_addr"] == "127.0.0.1"
    logged = "".join(caplog.text)
    assert person.doc_number not in logged and person.name not in logged


def test_the_default_format_logs_no_request_line(caplog):
    with caplog.at_level(logging.INFO, logger="fangyi.request"):
        Client().get("/healthz")
    assert not [record for record in caplog.records if record.name == "fangyi.request"]


def test_a_process_started_with_the_json_format_writes_json_lines(tmp_path):
    # Settings read the variable at start: the logging configuration is checked in a
    # process of its own, as a deployment starts it.
    code = (
        "import django; django.setup()\n"
        "import logging\n"
        "from django.test import Client\n"
        "Client(HTTP_HOST='localhost').get('/no/such/page/?id=1')\n"
        "logging.getLogger('fangyi.jobs').warning('a job waited %s s', 9)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fangyi.settings",
        "FANGYI_LOG_FORMAT": "json",
        "FANGYI_VAR_DIR": str(tmp_path),
        "FANGYI_DATABASE_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    requests = [line for line in lines if "path" in line]
    assert [(r["path"], r["status"], r["view"]) for r in requests] == [
        ("/no/such/page/", 404, "<unresolved>")
    ]
    assert {
        "level": "WARNING",
        "logger": "fangyi.jobs",
        "message": "a job waited 9 s",
    }.items() <= next(line for line in lines if line.get("logger") == "fangyi.jobs").items()


def test_a_bad_log_format_stops_the_start_naming_it(tmp_path):
    env = {**os.environ, "FANGYI_LOG_FORMAT": "xml", "FANGYI_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "fangyi.cli", "check"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "FANGYI_LOG_FORMAT" in result.stderr
