"""Chinese first: pages are zh-hans unless the user chose English with the switch."""

import pytest
from django.conf import settings


def test_pages_ignore_browser_language(client, db):
    response = client.get("/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert '<html lang="zh-hans">' in response.content.decode()


def test_switch_to_english_and_back(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/login/").content.decode()
    assert '<html lang="en">' in page
    # The switch names the other language in that language.
    assert 'data-testid="lang-zh-hans">简体中文</button>' in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    page = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert 'data-testid="lang-en">English</button>' in page


def test_api_follows_accept_language(client, db):
    response = client.get("/api/people/", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("Send a valid token")
    assert response["Content-Language"] == "en"


# Pages residents open from a link, without logging in, follow the phone's language.
RESIDENT_PAGES = [
    "/c/not-a-real-token/",
    "/support/r/not-a-real-token/",
    "/passes/p/not-a-real-token/",
]


@pytest.mark.parametrize("url", RESIDENT_PAGES)
def test_resident_pages_follow_the_phone_language(client, db, url):
    english = client.get(url, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english["Content-Language"] == "en"
    assert '<html lang="en">' in english.content.decode()
    chinese = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese["Content-Language"] == "zh-hans"
    unasked = client.get(url)
    assert unasked["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("url", RESIDENT_PAGES)
def test_the_language_switch_wins_over_the_phone_language(client, db, url):
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url, headers={"Accept-Language": "en"})
    assert page["Content-Language"] == "zh-hans"
