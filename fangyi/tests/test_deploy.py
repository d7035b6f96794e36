"""The set-up on a fresh machine (the Makefile's Node.js check) and the deployment files
in deploy/ held to the code: every setting the code reads is in the example environment
file, and nginx lets through the largest upload the code accepts."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from fangyi.screening.importing.limits import current_limits
from fangyi.screening.views_io import UPLOAD_FORM_OVERHEAD

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
NPM_HINT = (
    "fangyi needs Node.js and npm to install its front-end libraries: "
    "run sudo apt-get install nodejs npm"
)
MAKE = shutil.which("make")


def _stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def _make_node(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    """`make node` with a PATH of only bin_dir: no node, no npm, no apt-get unless stubbed."""
    assert MAKE, "make is needed to run the suite (make test)"
    return subprocess.run(
        [MAKE, "--no-print-directory", "-C", str(ROOT), "node"],
        env={"PATH": str(bin_dir), "HOME": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_npm_and_not_root_make_stops_with_one_line_naming_the_command(tmp_path):
    _stub(tmp_path, "id", "echo 1000")
    _stub(tmp_path, "apt-get", f"touch {tmp_path}/apt-get-ran")

    result = _make_node(tmp_path)

    assert result.returncode != 0
    assert result.stdout == ""
    ours = [line for line in result.stderr.splitlines() if not line.startswith("make")]
    assert ours == [NPM_HINT]
    assert not (tmp_path / "apt-get-ran").exists()


def test_without_npm_as_root_without_apt_get_make_stops_with_the_line(tmp_path):
    _stub(tmp_path, "id", "echo 0")

    result = _make_node(tmp_path)

    assert result.returncode != 0
    assert NPM_HINT in result.stderr.splitlines()


def test_without_npm_as_root_make_installs_nodejs_and_npm_from_debian(tmp_path):
    _stub(tmp_path, "id", "echo 0")
    # The stub apt-get records its arguments and "installs" npm into the PATH.
    _stub(
        tmp_path,
        "apt-get",
        f'echo "$*" >> {tmp_path}/apt-get.log\n'
        f'case "$*" in *install*) printf "#!/bin/sh\\n" > {tmp_path}/npm; '
        f"{shutil.which('chmod')} 755 {tmp_path}/npm;; esac",
    )

    result = _make_node(tmp_path)

    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "apt-get.log").read_text().splitlines()
    assert len(calls) == 1
    assert calls[0].split()[-2:] == ["nodejs", "npm"]
    assert "install" in calls[0].split()
    assert NPM_HINT not in result.stderr


def test_as_root_when_the_install_fails_make_stops_with_the_line(tmp_path):
    _stub(tmp_path, "id", "echo 0")
    _stub(tmp_path, "apt-get", f'echo "$*" >> {tmp_path}/apt-get.log; exit 100')

    result = _make_node(tmp_path)

    assert result.returncode != 0
    assert NPM_HINT in result.stderr.splitlines()
    # It tried the install, then refreshed the package lists once (and stopped there).
    calls = (tmp_path / "apt-get.log").read_text().splitlines()
    assert "install" in calls[0].split() and "update" in calls[1].split()


def test_with_npm_there_make_says_nothing(tmp_path):
    _stub(tmp_path, "id", "echo 1000")
    _stub(tmp_path, "npm", "exit 0")

    result = _make_node(tmp_path)

    assert result.returncode == 0
    assert (result.stdout, result.stderr) == ("", "")


def _variables_the_code_reads() -> set[str]:
    """Every string "FANGYI_…" in the code outside the tests: each is an environment
    variable's name (settings are FANGYI_… names too, but as names, not strings)."""
    names = set()
    for path in (ROOT / "fangyi").rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"FANGYI_[A-Z0-9_]+", node.value)
            ):
                names.add(node.value)
    return names


def _variables_in_env_file() -> set[str]:
    """The variables the example environment file sets or shows (commented out)."""
    text = (DEPLOY / "fangyi.env").read_text()
    return set(re.findall(r"^#?(FANGYI_[A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_the_example_env_file_lists_every_variable_the_code_reads():
    read = _variables_the_code_reads()
    # The scan finds what it must (a scan that found nothing would pass anything).
    assert {"FANGYI_DATABASE_URL", "FANGYI_SECRET_KEY", "FANGYI_CJK_FONT"} <= read
    missing = read - _variables_in_env_file()
    assert not missing, f"add to deploy/fangyi.env, with a comment: {sorted(missing)}"


def test_the_example_env_file_is_accepted_by_the_settings(tmp_path):
    """Its values parse (a bad one would stop every node at start): `fangyi check` with
    the file's variables, the database moved to a scratch SQLite file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGYI_")}
    for line in (DEPLOY / "fangyi.env").read_text().splitlines():
        if re.match(r"^FANGYI_[A-Z0-9_]+=", line):
            name, value = line.split("=", 1)
            env[name] = value
    env["FANGYI_DATABASE_URL"] = f"sqlite:///{tmp_path}/check.sqlite3"
    env["FANGYI_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "fangyi.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _nginx_size(value: str) -> int:
    units = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", value.lower()).groups()  # type: ignore[union-attr]
    return int(number) * units[unit]


def test_nginx_lets_through_the_largest_upload_the_code_accepts():
    site = (DEPLOY / "nginx" / "fangyi.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\S+);", site, flags=re.MULTILINE)
    assert sizes, "the nginx site sets no client_max_body_size (nginx's default is 1m)"
    largest_accepted = current_limits().upload_bytes + UPLOAD_FORM_OVERHEAD
    # Above the code's limit, so that fangyi answers a too-large file with its message,
    # but not unbounded.
    assert all(largest_accepted <= _nginx_size(s) <= 2 * largest_accepted for s in sizes)


def test_nginx_passes_the_client_address_and_scheme_fangyi_reads():
    proxy = (DEPLOY / "nginx" / "fangyi-proxy.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in proxy
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxy
    site = (DEPLOY / "nginx" / "fangyi.conf").read_text()
    assert site.count("include /etc/nginx/snippets/fangyi-proxy.conf;") == site.count("proxy_pass ")
    # The proxy on the same machine is the one the example env file trusts.
    env = (DEPLOY / "fangyi.env").read_text()
    assert re.search(r"^FANGYI_TRUSTED_PROXIES=127\.0\.0\.1$", env, flags=re.MULTILINE)
    assert "server 127.0.0.1:8000" in site


@pytest.mark.parametrize("unit", ["fangyi-web", "fangyi-scans"])
def test_the_gunicorn_units_serve_the_wsgi_application_under_their_own_user(unit):
    text = (DEPLOY / f"{unit}.service").read_text()
    assert "fangyi.wsgi:application" in text
    assert "User=fangyi" in text
    assert "EnvironmentFile=/etc/fangyi/fangyi.env" in text
    assert "Restart=on-failure" in text
