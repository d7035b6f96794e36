"""Policy values that are lists: the high-risk areas a screening team reports arrivals
from (issue 14), Pingshan's default and the Hangzhou preset's."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from fangyi.core.models import Policy
from fangyi.core.policy import PolicyValues, values_of


def test_high_risk_areas_match_the_start_of_the_origin():
    assert PolicyValues().high_risk_areas == ("湖北",)
    assert PolicyValues().is_high_risk("湖北武汉")
    assert PolicyValues().is_high_risk(" 湖北 黄冈")
    assert not PolicyValues().is_high_risk("广东湖北路")
    assert not PolicyValues().is_high_risk("")
    hangzhou = PolicyValues.from_json({"high_risk_areas": ["湖北", "温州"]})
    assert hangzhou.is_high_risk("温州鹿城") and not PolicyValues().is_high_risk("温州鹿城")
    with pytest.raises(ImproperlyConfigured):
        PolicyValues.from_json({"high_risk_areas": "湖北"})
    with pytest.raises(ImproperlyConfigured):
        PolicyValues.from_json({"high_risk_areas": ["湖北", " "]})


@pytest.mark.django_db
def test_the_shipped_versions_carry_their_high_risk_areas():
    assert values_of(Policy.objects.get(code="pingshan-2020")).high_risk_areas == ("湖北",)
    hangzhou = values_of(Policy.objects.get(code="hangzhou-2020"))
    assert hangzhou.high_risk_areas == ("湖北", "温州", "浙江温州")
