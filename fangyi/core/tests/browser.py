"""Launching Debian's Chromium through Playwright for the browser journeys.

Import the fixtures into a test module (`from fangyi.core.tests.browser import ...`).
Playwright's own browser download is never used: this runs on closed networks, so
the system's Chromium (`apt-get install chromium`) is driven instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

DEFAULT_CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "install it with `apt-get install chromium` or point FANGYI_CHROMIUM at it"

# Without outside network, Chromium's background fetches (updates, sync, QUIC probes)
# only add time-outs; the sandbox needs privileges that containers and CI lack.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Generous: a loaded 2-core CI machine can take seconds to answer; a passing step
# never waits for it, only a failing one does.
TIMEOUT_MS = 15_000


def find_chromium() -> str | None:
    """The Chromium executable: FANGYI_CHROMIUM, else Debian's, else the one on PATH."""
    configured = os.environ.get("FANGYI_CHROMIUM")
    if configured:
        # An explicit setting is obeyed even when wrong, so it can be used to test the skip.
        return configured if _is_executable(configured) else None
    if _is_executable(DEFAULT_CHROMIUM):
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def _is_executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The path of Chromium; skips the test without it, but fails under CI."""
    path = find_chromium()
    if path is None:
        wanted = os.environ.get("FANGYI_CHROMIUM") or f"{DEFAULT_CHROMIUM} or `chromium` on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"Chromium is required under CI (CI=true) and was not found at {wanted}: "
                f"{INSTALL_HINT}.",
                pytrace=False,
            )
        pytest.skip(f"browser journey needs Chromium, not found at {wanted}: {INSTALL_HINT}")
    return path


@pytest.fixture(scope="module")
def browser(chromium_executable: str) -> Iterator:
    """One headless Chromium per test module; each test opens its own context."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # Playwright's sync API keeps an asyncio loop on this thread, and Django refuses ORM
    # calls (test data, assertions, flushing the test database) next to a running loop.
    # The ORM is used synchronously here, so the check is switched off while the browser
    # lives and restored afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
            )
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# Every page of a context reports what the Content-Security-Policy refused (an inline
# handler or style that slipped into a template, htmx injecting a style) on the console,
# where watch_csp collects it: Chromium enforces the policy, so a refused handler is a
# button that silently does nothing.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


def watch_csp(context) -> list[str]:
    """The list that collects the policy violations of every page of `context`."""
    violations: list[str] = []
    context.add_init_script(CSP_REPORTER)

    def seen(message) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            violations.append(f"{message.page.url if message.page else ''}: {text}")

    context.on("console", seen)
    return violations


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """A factory of pages on the live server, each in a fresh context (own cookies).

    `locale` sets the browser's Accept-Language. Pages ignore it (fangyi is Chinese
    first); an English locale also sets the language cookie, as the switch on every
    page would, so text assertions can be written in English. A test fails when a
    page broke the Content-Security-Policy (see watch_csp).
    """
    contexts = []
    violations: list[str] = []

    def make(locale: str = "zh-CN"):
        context = browser.new_context(base_url=live_server.url, locale=locale)
        if locale.startswith("en"):
            context.add_cookies(
                [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
            )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append((context, watch_csp(context)))
        return context.new_page()

    yield make
    for context, seen in contexts:
        context.close()
        violations.extend(seen)
    assert not violations, "the Content-Security-Policy refused:\n" + "\n".join(violations)


def reload_offline(page) -> None:
    """`page.reload()` while its context is offline, the reloaded page knowing it is offline
    as a phone would. Debian's Chromium 150 under this Playwright gives a document loaded
    while the context is offline `navigator.onLine === true` (the network itself stays cut),
    so a page believed itself online and never heard the network return. There the
    emulation is turned off and on again once the page has settled (its start-up reads
    done: nothing of it runs in that moment), which gives it the real state and its
    `offline` event. A browser that says offline already is left alone: the page must
    hear no `online` event that would send what it holds."""
    page.reload()
    if page.evaluate("() => navigator.onLine"):
        page.wait_for_load_state("networkidle")
        page.context.set_offline(False)
        page.context.set_offline(True)


def log_in(page, username: str, password: str) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
