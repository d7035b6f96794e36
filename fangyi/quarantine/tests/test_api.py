"""The quarantine API: intake, transitions, tests, checks, alerts; scoped like the pages."""

import pytest
import time_machine

from fangyi.duty.services import api_token_create
from fangyi.quarantine.tests.conftest import at


@pytest.fixture
def api(client, tree):
    def call(username_or_user, method, path, data=None):
        user = tree.users[username_or_user]
        kwargs = {"headers": {"Authorization": f"Bearer {api_token_create(user=user)}"}}
        if data is not None:
            kwargs["data"] = data
            kwargs["content_type"] = "application/json"
        return getattr(client, method)(f"/api/quarantine{path}", **kwargs)

    return call


def test_journey_through_the_api(api, tree, facilities):
    person = tree.people[0]
    with time_machine.travel(at(2020, 2, 18, 9, 30), tick=False):
        response = api(
            "zone",
            "post",
            "/cases",
            {
                "person_id": person.pk,
                "reason": "returned",
                "arrived_at": "2020-02-18T09:00:00+08:00",
                "facility_id": facilities["station"].pk,
                "origin": "湖北省武汉市",
            },
        )
        assert response.status_code == 201, response.content
        case = response.json()
        assert case["days"]["day"] == 1 and case["days"]["release_date"] == "2020-03-03"
        assert case["stages"][0]["facility"] == "六和温馨驿站"
    cid = case["id"]
    with time_machine.travel(at(2020, 2, 19, 18), tick=False):
        test = api("zone", "post", f"/cases/{cid}/tests", {"sampled_on": "2020-02-19"}).json()
        assert (
            api("zone", "post", f"/tests/{test['id']}/result", {"result": "negative"}).json()[
                "result"
            ]
            == "negative"
        )
        # Too early to go home: the error names the reason.
        response = api("zone", "post", f"/cases/{cid}/transitions", {"action": "move_home"})
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "too_early" and "2020-02-20" in error["message"]
    with time_machine.travel(at(2020, 2, 20, 10), tick=False):
        body = api("zone", "post", f"/cases/{cid}/transitions", {"action": "move_home"}).json()
        assert body["state"] == "home"
        response = api("zone", "post", f"/cases/{cid}/checks", {"temperature": "37.6"})
        assert response.status_code == 201 and response.json()["slot"] == "am"
        alerts = api("zone", "get", "/alerts").json()
        # One fever, and one missed check-in per slot ended since arrival at 09:00 on the
        # 18th: 18 am and pm, 19 am and pm (20 am is the fever check itself).
        assert sorted(a["kind"] for a in alerts) == ["fever"] + ["missed_check"] * 4
    assert api("outsider", "get", f"/cases/{cid}").status_code == 404
    assert api("outsider", "get", "/cases").json()["count"] == 0
    assert api("district", "get", "/cases?state=open").json()["count"] == 1


def test_intake_of_a_person_outside_scope_is_404(api, tree):
    response = api(
        "outsider",
        "post",
        "/cases",
        {
            "person_id": tree.people[0].pk,
            "reason": "returned",
            "arrived_at": "2020-02-18T09:00:00+08:00",
            "first_state": "home",
        },
    )
    assert response.status_code == 404


def test_bad_transition_and_temperature(api, tree, facilities):
    with time_machine.travel(at(2020, 2, 18, 9, 30), tick=False):
        cid = api(
            "zone",
            "post",
            "/cases",
            {
                "person_id": tree.people[0].pk,
                "reason": "close_contact",
                "arrived_at": "2020-02-18T09:00:00+08:00",
                "first_state": "home",
            },
        ).json()["id"]
        response = api("zone", "post", f"/cases/{cid}/transitions", {"action": "fly"})
        assert response.status_code == 422
        assert list(response.json()["error"]["fields"]) == ["action"]
        response = api("zone", "post", f"/cases/{cid}/checks", {"temperature": "hot"})
        assert response.status_code == 422
        assert "temperature" in response.json()["error"]["fields"]


def test_facilities_with_occupancy(api, tree, facilities):
    with time_machine.travel(at(2020, 2, 18, 9, 30), tick=False):
        api(
            "zone",
            "post",
            "/cases",
            {
                "person_id": tree.people[0].pk,
                "reason": "returned",
                "arrived_at": "2020-02-18T09:00:00+08:00",
                "facility_id": facilities["station"].pk,
            },
        )
    rows = {f["name"]: f for f in api("building", "get", "/facilities").json()}
    assert rows["六和温馨驿站"]["occupied"] == 1 and rows["六和温馨驿站"]["capacity"] == 2
    assert rows["坪山指定观察点"]["occupied"] == 0
