"""The zone map's duty chain: buildings' grid workers first, volunteers counted."""

import re

from django.contrib.auth import get_user_model
from django.urls import reverse

from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.reports.tests.conftest import login


def test_chain_runs_from_the_grid_worker_to_the_district_with_volunteers_counted(client, tree):
    zone = tree.zones[0]
    for i in range(16):
        user = get_user_model().objects.create_user(f"v{i}", password="x")
        staff = Staff.objects.create(user=user, name=f"志愿者{i:02d}", role=Role.VOLUNTEER)
        Assignment.objects.create(staff=staff, zone=zone, duty="志愿服务")
    login(client, "c_secretary")
    page = client.get(reverse("reports:zone_map", args=[zone.pk])).content.decode()
    levels = re.findall(r'<li data-testid="duty-(building|zone|community|street|district)"', page)
    assert levels == ["building", "zone", "community", "street", "district"]
    building = page.split('data-testid="duty-building"')[1].split('data-testid="duty-zone"')[0]
    assert "b_grid员 · 网格员" in building and tree.buildings[0].name in building
    zone_part = page.split('data-testid="duty-zone"')[1].split('data-testid="duty-community"')[0]
    assert "志愿者 16 名" in zone_part
    assert zone_part.count('data-testid="duty-person"') == 1  # the property manager
    assert "志愿者15" not in zone_part  # named only as the first three
