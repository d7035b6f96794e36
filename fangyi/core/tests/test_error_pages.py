"""Error pages speak the user's language and lead back to work (not Django's bare English)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults

from fangyi.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "heading", "back"),
    [("zh-hans", "页面不存在", "返回我的工作"), ("en", "Page not found", "Back to my work")],
)
def test_not_found_for_staff_is_in_their_language_with_a_way_back(
    client, tree, language, heading, back
):
    client.login(username="b_grid", password=PASSWORD)
    client.cookies["django_language"] = language
    page = client.get(f"/people/{tree.people[-1].pk}/")  # another street's file
    assert page.status_code == 404
    html = page.content.decode()
    assert heading in html and back in html
    assert 'href="/"' in html
    assert "Not Found</h1>" not in html  # Django's bare page


def test_not_found_for_a_resident_points_to_their_link_not_to_a_staff_page(client):
    page = client.get("/c/not-a-token-at-all/x/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "页面不存在" in html
    assert "请重新打开社区发给您的链接" in html


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "系统出错了"), ("en", "Something went wrong")]
)
def test_server_error_page_renders_without_a_request_context(language, heading):
    request = RequestFactory().get("/quarantine/cases/1/")
    with translation.override(language):
        page = defaults.server_error(request)
    assert page.status_code == 500
    html = page.content.decode()
    assert heading in html
    assert 'href="/"' in html


def test_expired_form_says_so_in_chinese(client, tree):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.login(username="b_grid", password=PASSWORD)
    page = strict.post(f"/people/{tree.people[0].pk}/edit/", {"name": "x"})
    assert page.status_code == 403
    html = page.content.decode()
    assert "表单已过期" in html
    assert 'href="/"' in html or "/login/" in html
