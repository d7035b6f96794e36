"""`fangyi token USERNAME` prints a token that authenticates the API."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fangyi.duty.models import ApiToken


def test_token_command_prints_a_working_token(client, tree):
    out = StringIO()
    call_command("token", "z_property", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("fy_")
    # Only a digest is stored.
    assert not ApiToken.objects.filter(digest=token).exists()
    response = client.get("/api/places/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == [
        {"level": "zone", "id": tree.zones[0].pk, "name": tree.zones[0].name}
    ]
    assert ApiToken.objects.get().last_used_at is not None


def test_token_for_unknown_user_fails(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("token", "nobody")


def test_token_of_deactivated_user_stops_working(client, tree):
    out = StringIO()
    call_command("token", "z_property", stdout=out)
    token = out.getvalue().strip()
    user = tree.users["zone"]
    user.is_active = False
    user.save()
    response = client.get("/api/places/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
