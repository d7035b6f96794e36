"""/metrics: Prometheus' text, answered to loopback and FANGYI_METRICS_ALLOWED only (404 to
anybody else, as a page that does not exist), with the gate checks by gate and colour,
the open alerts by kind, the job queue, and the requests by view name."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from fangyi.core.env import env_networks
from fangyi.metrics import COLLECTOR

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_figures():
    COLLECTOR.clear()
    yield
    COLLECTOR.clear()


def scrape(client: Client | None = None, **extra) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape."""
    response = (client or Client()).get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_loopback_may_read_them_without_logging_in():
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200


def test_another_address_gets_the_404_of_a_page_that_does_not_exist():
    refused = Client().get("/metrics", REMOTE_ADDR="10.1.2.3")
    missing = Client().get("/metricz", REMOTE_ADDR="10.1.2.3")
    assert refused.status_code == missing.status_code == 404

    def page(response, path):  # the same page but for its own path and CSRF token
        text = response.content.decode().replace(path, "PATH")
        return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"\w+"', r"\1T", text)

    assert page(refused, "/metrics") == page(missing, "/metricz")


def test_a_request_through_a_proxy_not_trusted_is_refused(settings):
    # A proxy on the same machine: every client arrives from loopback.
    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert Client().get("/metrics", **forwarded).status_code == 404
    settings.TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    assert Client().get("/metrics", **forwarded).status_code == 404  # the client is outside
    forwarded["HTTP_X_FORWARDED_FOR"] = "127.0.0.1"
    assert Client().get("/metrics", **forwarded).status_code == 200


def test_addresses_and_networks_of_fangyi_metrics_allowed(settings, monkeypatch):
    monkeypatch.setenv("FANGYI_METRICS_ALLOWED", "10.9.0.0/16, 192.0.2.5")
    settings.METRICS_ALLOWED = env_networks("FANGYI_METRICS_ALLOWED")
    for address in ("10.9.0.1", "10.9.255.254", "192.0.2.5"):
        assert Client().get("/metrics", REMOTE_ADDR=address).status_code == 200, address
    for address in ("10.10.0.1", "192.0.2.6", "not an address"):
        assert Client().get("/metrics", REMOTE_ADDR=address).status_code == 404, address
    # Behind a trusted proxy, the client it names counts.
    settings.TRUSTED_PROXIES = frozenset({"192.0.2.1"})
    through = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "10.9.3.4"}
    assert Client().get("/metrics", **through).status_code == 200


def test_a_bad_fangyi_metrics_allowed_stops_the_start_naming_it(monkeypatch):
    monkeypatch.setenv("FANGYI_METRICS_ALLOWED", "10.9.0.0/16, intranet")
    with pytest.raises(ImproperlyConfigured, match=r"FANGYI_METRICS_ALLOWED.*intranet"):
        env_networks("FANGYI_METRICS_ALLOWED")
    monkeypatch.setenv("FANGYI_METRICS_ALLOWED", "")
    assert env_networks("FANGYI_METRICS_ALLOWED") == ()


def test_gate_checks_alerts_and_jobs(tree):
    from fangyi.jobs.choices import JobKind, JobStatus
    from fangyi.jobs.models import Job
    from fangyi.passes import services

    checker = tree.users["zone"]  # the property manager checks at its zone's gates
    gate = tree.zones[0].gates.get()
    person = tree.people[0]
    person.verified = True
    person.save()
    code = services.pass_issue(by=None, person=person).code
    gate_label = (("colour", "green"), ("gate", str(gate.pk)))
    yellow_label = (("colour", "yellow"), ("gate", str(gate.pk)))
    before = scrape()
    counted = before.get(("fangyi_gate_checks_total", gate_label), 0.0)

    services.gate_check_record(by=checker, gate=gate, code=code, temperature="36.5")
    services.gate_check_record(by=checker, gate=gate, code=code, temperature="36.6")
    # A fever: yellow, held for review, and an alert to the zone's staff.
    services.gate_check_record(by=checker, gate=gate, code=code, temperature="38.1")
    Job.objects.create(kind=JobKind.EXPORT, user=checker, status=JobStatus.DONE)
    waiting = Job.objects.create(kind=JobKind.EXPORT, user=checker, status=JobStatus.QUEUED)
    Job.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))

    COLLECTOR.clear()
    after = scrape()
    # Counted by this process…
    assert after[("fangyi_gate_checks_total", gate_label)] == counted + 2
    # …and today's from the database, the same on every app node.
    assert after[("fangyi_gate_checks_today", gate_label)] == 2
    assert after[("fangyi_gate_checks_today", yellow_label)] == 1
    assert after[("fangyi_alerts_open", (("kind", "fever"), ("status", "open")))] == 1
    assert after[("fangyi_jobs_waiting", ())] == 1
    assert 300 <= after[("fangyi_jobs_oldest_waiting_seconds", ())] < 400
    # Nothing personal in any label.
    text = Client().get("/metrics").content.decode()
    for secret in (person.name, person.doc_number, person.phone, code):
        assert secret not in text


def test_yesterdays_checks_are_not_todays(tree):
    from fangyi.passes import services

    checker = tree.users["zone"]
    gate = tree.zones[0].gates.get()
    person = tree.people[0]
    person.verified = True
    person.save()
    code = services.pass_issue(by=None, person=person).code
    yesterday = timezone.now() - dt.timedelta(days=1)
    services.gate_check_record(by=checker, gate=gate, code=code, temperature="36.5", now=yesterday)
    samples = scrape()
    assert not [key for key in samples if key[0] == "fangyi_gate_checks_today"]


def test_requests_are_counted_by_view_name_never_by_path(tree):
    client = Client()
    client.force_login(tree.users["community"])
    person = tree.people[0]
    before = scrape()
    key = ("fangyi_requests_total", (("method", "GET"), ("status", "2xx"), ("view", "person")))
    assert client.get(f"/people/{person.pk}/").status_code == 200
    assert client.get(f"/people/{tree.people[1].pk}/").status_code == 200
    client.get("/no/such/page/12345/")
    after = scrape()
    assert after[key] == before.get(key, 0) + 2
    latency = ("fangyi_request_duration_seconds_count", (("view", "person"),))
    assert after[latency] == before.get(latency, 0) + 2
    unresolved = ("fangyi_requests_total", (("method", "GET"), ("status", "4xx"), ("view", "<unresolved>")))  # fmt: skip
    assert after[unresolved] >= 1
    views = {dict(labels).get("view", "") for _name, labels in after}
    assert not [view for view in views if "/" in view or str(person.pk) in view.split(":")]


def test_gunicorn_workers_add_up_with_prometheus_multiproc_dir(tmp_path):
    # Each worker process counts its own requests; with PROMETHEUS_MULTIPROC_DIR set a
    # scrape answered by any one of them shows the sum. Processes of their own, since
    # prometheus_client chooses how to keep values when it is imported.
    import os
    import subprocess
    import sys

    shared = tmp_path / "prometheus"
    shared.mkdir()
    code = (
        "import sys, django; django.setup()\n"
        "from django.test import Client\n"
        "client = Client(HTTP_HOST='localhost')\n"
        "for _ in range(int(sys.argv[1])): client.get('/no/such/page/')\n"
        "if sys.argv[2] == 'scrape': sys.stdout.write(client.get('/metrics').content.decode())\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fangyi.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "FANGYI_VAR_DIR": str(tmp_path),
        "FANGYI_DATABASE_URL": "",
    }

    def worker(requests: int, then: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", code, str(requests), then],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    worker(2, "-")
    text = worker(3, "scrape")
    counts = [
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "fangyi_requests_total" and sample.labels["view"] == "<unresolved>"
    ]
    assert counts == [5]
    # That database was never migrated: the scrape answers all the same, and says so.
    assert "fangyi_database_figures_up 0.0" in text


def test_a_scrape_answers_when_the_database_does_not(monkeypatch):
    from django.db import OperationalError

    import fangyi.metrics

    assert scrape()[("fangyi_database_figures_up", ())] == 1
    COLLECTOR.clear()

    def down():
        raise OperationalError("the server closed the connection")

    monkeypatch.setattr(fangyi.metrics, "open_alerts", down)
    samples = scrape()
    assert samples[("fangyi_database_figures_up", ())] == 0
    assert not [key for key in samples if key[0] == "fangyi_alerts_open"]
    assert any(key[0] == "fangyi_requests_total" for key in samples)
