"""Automation's pages: the business hours of the tenant and of a queue (/manage/), the queue
form's distribution settings, who is online per queue, whether each queue is open in the
inbox, and the header's away / available control; by role, with refusals next to their field
and nothing stored, on two tenants."""

from __future__ import annotations

import re
import uuid
from datetime import time

import pytest

from accounts.presence import presence_chosen_away, presence_status, presence_touch
from accounts.tests.factories import AdminFactory, UserFactory
from automation.models import BusinessHours, BusinessHoursInterval
from automation.tests.factories import business_hours_create
from conftest import host_client, signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Queue
from tickets.tests.factories import QueueFactory

ALWAYS_CLOSED = {"is_enabled": "on", "out_of_hours_message": "Fechados."}


@pytest.fixture
def people(alpha):
    with tenant_scope(alpha.tenant):
        support = QueueFactory(name="Suporte")
        return {"admin": AdminFactory(), "agent": UserFactory(queues=[support]), "support": support}


def _form(**days):
    data = {
        "is_enabled": "on",
        "out_of_hours_message": "Voltamos às 8h, {name}.",
        "holidays": "2026-12-25 Natal\n2027-01-01",
    }
    data.update({f"day_{n}": "" for n in range(7)})
    data.update(days)
    return data


def test_agents_get_403_and_admins_the_page(alpha, people):
    assert (
        signed_in_client(alpha, people["agent"]).get("/manage/business-hours/").status_code == 403
    )
    page = signed_in_client(alpha, people["admin"]).get("/manage/business-hours/")
    assert page.status_code == 200
    assert "America/Sao_Paulo" in page.content.decode()
    assert host_client(alpha.host).get("/manage/business-hours/").status_code == 302


def test_an_admin_saves_the_tenants_hours_and_sees_them_again(alpha, people):
    client = signed_in_client(alpha, people["admin"])

    saved = client.post("/manage/business-hours/", _form(day_0="08:00-12:00, 13:00-24:00"))

    assert saved.status_code == 302
    with tenant_scope(alpha.tenant):
        row = BusinessHours.objects.get(queue=None)
        assert row.is_enabled
        intervals = list(row.intervals.values_list("weekday", "opens_at", "closes_at"))
        assert intervals == [(0, time(8), time(12)), (0, time(13), time(0))]
        assert [h.name for h in row.holidays.all()] == ["Natal", ""]
    page = client.get("/manage/business-hours/").content.decode()
    assert 'value="08:00-12:00, 13:00-24:00"' in page


@pytest.mark.parametrize(
    ("days", "field"),
    [
        ({"day_2": "8h-12h"}, "id_day_2"),
        ({"day_3": "12:00-08:00"}, "id_day_3"),
        ({"day_4": "08:00-12:00, 11:00-13:00"}, "id_day_4"),
        ({"day_5": "25:00-26:00"}, "id_day_5"),
    ],
)
def test_a_bad_interval_is_shown_next_to_its_day_and_nothing_is_stored(alpha, people, days, field):
    client = signed_in_client(alpha, people["admin"])

    response = client.post("/manage/business-hours/", _form(**days))

    assert response.status_code == 400
    assert f'id="{field}-error"' in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert not BusinessHours.objects.exists()


def test_an_enabled_schedule_needs_its_message(alpha, people):
    client = signed_in_client(alpha, people["admin"])

    response = client.post("/manage/business-hours/", _form(out_of_hours_message=""))

    assert response.status_code == 400
    assert 'id="id_out_of_hours_message-error"' in response.content.decode()


def test_the_bot_stops_out_of_hours_only_where_the_admin_chose_it(alpha, people):
    client = signed_in_client(alpha, people["admin"])
    queue = people["support"]
    url = f"/manage/business-hours/queues/{queue.pk}/"

    assert client.post("/manage/business-hours/", _form(day_0="08:00-18:00")).status_code == 302
    stopped = _form(day_0="08:00-18:00", bot_stops_out_of_hours="on")
    assert client.post(url, stopped).status_code == 302

    with tenant_scope(alpha.tenant):
        stops = dict(BusinessHours.objects.values_list("queue_id", "bot_stops_out_of_hours"))
    assert stops == {None: False, queue.pk: True}
    page = client.get(url).content.decode()
    assert re.search(r'<input[^>]*name="bot_stops_out_of_hours"[^>]*checked', page)
    tenant_page = client.get("/manage/business-hours/").content.decode()
    assert not re.search(r'<input[^>]*name="bot_stops_out_of_hours"[^>]*checked', tenant_page)


def test_a_queue_gets_its_own_hours_and_goes_back_to_the_tenants(alpha, people):
    client = signed_in_client(alpha, people["admin"])
    queue = people["support"]
    url = f"/manage/business-hours/queues/{queue.pk}/"

    assert client.post(url, _form(day_6="10:00-14:00")).status_code == 302
    with tenant_scope(alpha.tenant):
        assert BusinessHoursInterval.objects.get(schedule__queue=queue).weekday == 6
    assert 'data-testid="business-hours-reset"' in client.get(url).content.decode()

    reset = client.post(f"{url}reset/")

    assert reset.status_code == 302
    with tenant_scope(alpha.tenant):
        assert not BusinessHours.objects.filter(queue=queue).exists()


def test_another_tenants_queue_is_a_404(alpha, beta, people):
    with tenant_scope(beta.tenant):
        beta_queue = QueueFactory(name="Beta only")
    client = signed_in_client(alpha, people["admin"])

    assert client.get(f"/manage/business-hours/queues/{beta_queue.pk + 1000}/").status_code == 404
    assert "Beta only" not in client.get("/manage/business-hours/").content.decode()


def test_the_queue_form_sets_distribution_and_refuses_capacity_without_a_number(alpha, people):
    client = signed_in_client(alpha, people["admin"])
    queue = people["support"]
    base = {"name": "Suporte", "color": "#175cd3", "is_active": "on"}

    refused = client.post(f"/manage/queues/{queue.pk}/", {**base, "distribution": "capacity"})
    assert refused.status_code == 400
    assert 'id="id_agent_capacity-error"' in refused.content.decode()

    saved = client.post(
        f"/manage/queues/{queue.pk}/",
        {**base, "distribution": "capacity", "agent_capacity": "4"},
    )
    assert saved.status_code == 302
    with tenant_scope(alpha.tenant):
        queue.refresh_from_db()
        assert (queue.distribution, queue.agent_capacity) == (Queue.Distribution.CAPACITY, 4)


def test_admins_see_who_is_online_per_queue_and_whether_it_is_open(alpha, people):
    with tenant_scope(alpha.tenant):
        away = UserFactory(name="Bia Away", queues=[people["support"]])
        here = UserFactory(name="Ana Online", queues=[people["support"]])
        presence_touch(user_id=here.pk, channel=f"t-{uuid.uuid4().hex}")
        presence_touch(user_id=away.pk, channel=f"t-{uuid.uuid4().hex}", status="away")
        business_hours_create(queue=people["support"], intervals={})  # never open

    page = signed_in_client(alpha, people["admin"]).get("/manage/queues/").content.decode()

    people_shown = dict(re.findall(r'data-status="(\w+)">.*?</span> ([^<]+?) <span', page))
    assert people_shown["online"] == "Ana Online"
    assert people_shown["away"] == "Bia Away"
    assert 'data-testid="queue-hours" data-open="no"' in page


def test_the_inbox_tells_which_queues_are_out_of_hours(alpha, people):
    with tenant_scope(alpha.tenant):
        business_hours_create(queue=people["support"], intervals={})

    page = signed_in_client(alpha, people["agent"]).get("/").content.decode()

    closed = re.search(r'data-testid="inbox-queues-closed">([^<]*)</span>', page)
    assert closed is not None
    assert closed.group(1).strip().endswith("Suporte")
    option = re.search(rf'<option value="{people["support"].pk}"[^>]*>([^<]*)</option>', page)
    assert option is not None
    assert option.group(1).startswith("Suporte (")


def test_the_header_control_sets_away_and_available(alpha, people):
    agent = people["agent"]
    client = signed_in_client(alpha, agent)
    with tenant_scope(alpha.tenant):
        presence_touch(user_id=agent.pk, channel=f"t-{uuid.uuid4().hex}")
    assert 'data-testid="presence-away"' in client.get("/").content.decode()

    response = client.post("/presence/", {"status": "away", "next": "/contacts/"})

    assert response.status_code == 302
    assert response["Location"] == "/contacts/"
    with tenant_scope(alpha.tenant):
        assert presence_chosen_away(agent.pk)
        assert presence_status(agent.pk) == "away"
    assert 'data-testid="presence-available"' in client.get("/").content.decode()
    client.post("/presence/", {"status": "online", "next": "https://evil.example/"})
    with tenant_scope(alpha.tenant):
        assert presence_status(agent.pk) == "online"
    assert client.post("/presence/", {"status": "offline"}).status_code == 400
