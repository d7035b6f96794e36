"""Chinese first: pages are zh-hans unless the user chose English with the switch."""

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
