"""`fangyi check --deploy` is clean with production settings, and HTTPS (redirect, HSTS,
secure cookies) is switched on by FANGYI_SECURE_COOKIES=true alone."""

import os
import subprocess
import sys

PRODUCTION = {
    "FANGYI_SECRET_KEY": "k" * 20 + "-production-secret-key-0123456789-abcdefghij",
    "FANGYI_SECURE_COOKIES": "true",
    "FANGYI_ALLOWED_HOSTS": "fangyi.example.gov.cn",
    "FANGYI_DEBUG": "false",
}


def run(args, env_extra, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGYI_")}
    env |= {"FANGYI_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "fangyi.settings"}
    env |= env_extra
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_checks_are_clean_with_production_settings(tmp_path):
    # On the database the suite runs on (SQLite, or PostgreSQL in its run).
    extra = dict(PRODUCTION)
    if os.environ.get("FANGYI_DATABASE_URL"):
        extra["FANGYI_DATABASE_URL"] = os.environ["FANGYI_DATABASE_URL"]
    done = run(["check", "--deploy", "--fail-level", "WARNING"], extra, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr


def test_without_secure_cookies_the_deploy_check_names_https(tmp_path):
    # The test above cannot pass vacuously: the same check does see a missing HTTPS setup.
    extra = dict(PRODUCTION, FANGYI_SECURE_COOKIES="false")
    done = run(["check", "--deploy"], extra, tmp_path)
    output = done.stdout + done.stderr
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in output, output


def test_secure_cookies_switch_on_redirect_and_hsts(settings):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    secure = client.get("/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_the_settings_follow_the_switch(tmp_path):
    code = (
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    on = run(["shell", "-v", "0", "-c", code], PRODUCTION, tmp_path)
    off = run(
        ["shell", "-v", "0", "-c", code], dict(PRODUCTION, FANGYI_SECURE_COOKIES="false"), tmp_path
    )
    assert on.stdout.split() == ["True", "31536000", "True", "True"], on.stderr
    assert off.stdout.split() == ["False", "0", "False", "False"], off.stderr
