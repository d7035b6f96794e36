"""/api/docs: Swagger UI from the project's own static files, for logged-in staff only."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders

from fangyi.conftest import PASSWORD
from fangyi.duty.models import Staff

PERSONAS = ["district", "street", "community", "zone", "building", "outsider"]


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/api/docs"


@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_get_swagger_ui_from_the_projects_static_files(client, tree, persona):
    client.force_login(tree.users[persona])
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>接口文档" in page
    sources = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert "/static/vendor/swagger-ui/swagger-ui.css" in sources
    # Nothing from another host (closed networks), and no inline script.
    assert not [s for s in sources if "//" in s]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert '"url": "/api/openapi.json"' in page.replace("&quot;", '"')
    # The files are there to serve (make assets copied them from node_modules).
    assert finders.find("vendor/swagger-ui/swagger-ui-bundle.js")
    assert finders.find("fangyi/api-docs.js")


def test_an_operator_gets_the_docs(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", password=PASSWORD))
    assert client.get("/api/docs").status_code == 200


def test_a_login_without_staff_record_or_with_inactive_staff_is_refused(client, tree):
    nobody = get_user_model().objects.create_user("resident", password=PASSWORD)
    client.force_login(nobody)
    assert client.get("/api/docs").status_code == 403
    Staff.objects.filter(user=tree.users["building"]).update(active=False)
    client.force_login(tree.users["building"])
    assert client.get("/api/docs").status_code == 403


def test_a_token_does_not_open_the_docs_page(client, tree):
    from fangyi.duty.services import api_token_create

    token = api_token_create(user=tree.users["district"])
    response = client.get("/api/docs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 302
