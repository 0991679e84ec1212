"""/api/v1/business-hours/: everyone reads the schedules and whether each is open now; admins
replace the tenant's and give a queue its own; bad input is a 400 naming the field, and nothing
is stored; two tenants never see each other's."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from automation.models import BusinessHours, BusinessHoursInterval
from conftest import host_api_client, sign_in_api
from tenants.tenancy import tenant_scope
from tickets.tests.factories import QueueFactory

URL = "/api/v1/business-hours/"
WEEK = [{"weekday": day, "opens_at": "08:00", "closes_at": "18:00"} for day in range(5)]
BODY = {
    "is_enabled": True,
    "out_of_hours_message": "Fechados.",
    "intervals": WEEK,
    "holidays": [{"date": "2026-12-25", "name": "Natal"}],
}


@pytest.fixture
def admin_api(alpha):
    return sign_in_api(host_api_client(alpha.host), alpha.admin_email, alpha.admin_password)


def test_an_admin_sets_the_tenant_schedule_and_everyone_reads_it(alpha, admin_api):
    saved = admin_api.put(URL, BODY, format="json")

    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert (body["queue_id"], body["is_enabled"], body["time_zone"]) == (
        None,
        True,
        "America/Sao_Paulo",
    )
    assert body["intervals"][0] == {"weekday": 0, "opens_at": "08:00", "closes_at": "18:00"}
    assert body["holidays"] == [{"date": "2026-12-25", "name": "Natal"}]
    assert isinstance(body["open_now"], bool)
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    listed = sign_in_api(host_api_client(alpha.host), agent.email).get(URL)
    assert listed.status_code == 200
    assert [row["queue_id"] for row in listed.json()] == [None]


def test_the_bot_keeps_running_out_of_hours_unless_the_admin_stops_it(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
    queue_url = f"{URL}queues/{queue.pk}/"

    assert admin_api.put(URL, BODY, format="json").json()["bot_stops_out_of_hours"] is False
    stopped = admin_api.put(queue_url, {**BODY, "bot_stops_out_of_hours": True}, format="json")

    assert stopped.status_code == 200, stopped.content
    assert stopped.json()["bot_stops_out_of_hours"] is True
    with tenant_scope(alpha.tenant):
        stops = dict(BusinessHours.objects.values_list("queue_id", "bot_stops_out_of_hours"))
    assert stops == {None: False, queue.pk: True}


def test_a_queue_gets_its_own_schedule_and_loses_it(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
    queue_url = f"{URL}queues/{queue.pk}/"

    saved = admin_api.put(queue_url, {**BODY, "holidays": []}, format="json")
    assert saved.status_code == 200
    assert [row["queue_id"] for row in admin_api.get(URL).json()] == [None, queue.pk]

    assert admin_api.delete(queue_url).status_code == 204
    with tenant_scope(alpha.tenant):
        assert not BusinessHours.objects.filter(queue=queue).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"intervals": [{"weekday": 0, "opens_at": "12:00", "closes_at": "08:00"}]}, "intervals.0"),
        (
            {
                "intervals": [
                    {"weekday": 1, "opens_at": "08:00", "closes_at": "12:00"},
                    {"weekday": 1, "opens_at": "11:00", "closes_at": "14:00"},
                ]
            },
            "intervals.1",
        ),
        ({"intervals": [{"weekday": 7, "opens_at": "08:00", "closes_at": "12:00"}]}, "intervals"),
        ({"intervals": [{"weekday": 0, "opens_at": "8h", "closes_at": "12:00"}]}, "intervals"),
        ({"out_of_hours_message": ""}, "out_of_hours_message"),
        ({"holidays": [{"date": "2026-12-25"}, {"date": "2026-12-25"}]}, "holidays"),
        ({"bot_stops_out_of_hours": "sometimes"}, "bot_stops_out_of_hours"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(alpha, admin_api, change, field):
    response = admin_api.put(URL, {**BODY, **change}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["extra"]["fields"]
    with tenant_scope(alpha.tenant):
        assert not BusinessHours.objects.exists()
        assert not BusinessHoursInterval.objects.exists()


def test_agents_may_not_change_it(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    api = sign_in_api(host_api_client(alpha.host), agent.email)

    response = api.put(URL, BODY, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"


def test_each_tenant_has_its_own_schedule(alpha, beta, admin_api):
    admin_api.put(URL, BODY, format="json")
    beta_api = sign_in_api(host_api_client(beta.host), beta.admin_email, beta.admin_password)

    rows = beta_api.get(URL).json()

    assert rows == [
        {
            "queue_id": None,
            "is_enabled": False,
            "out_of_hours_message": "",
            "bot_stops_out_of_hours": False,
            "time_zone": "America/Sao_Paulo",
            "intervals": [],
            "holidays": [],
            "open_now": True,
        }
    ]
    with tenant_scope(beta.tenant):
        assert User.objects.filter(email=beta.admin_email).exists()
