import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fangyi.conftest import PASSWORD

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # Uploaded base pictures go to a temporary MEDIA_ROOT, never the working tree.
    settings.MEDIA_ROOT = tmp_path / "media"
