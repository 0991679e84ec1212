"""Manual replay of inbound events (/manage/inbound/ and ``manage.py inbound_replay``): a
tenant admin retries failed events and quarantined parts, one or in bulk; each retry is an
audit log record; nobody reaches another tenant's events; the page's queries are pinned."""

from __future__ import annotations

import copy
import json
import logging

import pytest
from django.core.management import call_command

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.tests.support import fixture_json
from channels_integrations.tests.support import (
    post_meta,
    process_all,
    whatsapp_numbers,
)
from channels_integrations.tests.test_inbound_quarantine import (
    whatsapp_with_a_message_without_id,
)
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Message

PHONE_ALPHA = "106540352242922"
PHONE_BETA = "106540352249999"
# The review page's queries (session, user, and one for the events with their connections; the
# tenant comes from the host cache, its search path already the connection's), the same
# whatever the number of events.
QUERIES = 3


@pytest.fixture
def numbers(alpha, beta):
    return whatsapp_numbers(alpha, beta)


def _text(message_id: str, text: str, phone: str = PHONE_ALPHA) -> bytes:
    payload = fixture_json("whatsapp_cloud", "text")
    payload.pop("_doc")
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone
    value["messages"][0].update(id=message_id, text={"body": text})
    return json.dumps(payload).encode()


def _failed_event(
    tenant,
    message_id: str,
    text: str,
    *,
    phone=PHONE_ALPHA,
    secret="alpha-app-secret",  # noqa: S107
):
    """A delivered message whose processing failed on every attempt (a poison value that the
    message column refuses), then whose cause was fixed: the event stays ``failed``."""
    assert post_meta(_text(message_id, text, phone), secret=secret).status_code == 200
    with tenant_scope(tenant):
        event = InboundEvent.objects.get(provider_event_id=message_id)
        good = event.item
        InboundEvent.objects.filter(pk=event.pk).update(item={**good, "kind": "x" * 40})
    process_all(tenant)
    with tenant_scope(tenant):
        event.refresh_from_db()
        assert event.status == "failed"
        InboundEvent.objects.filter(pk=event.pk).update(item=good)  # the cause is fixed
    return event


def _quarantined(tenant) -> InboundEvent:
    post_meta(whatsapp_with_a_message_without_id(), secret="alpha-app-secret")
    process_all(tenant)
    with tenant_scope(tenant):
        return InboundEvent.objects.get(status="quarantined")


def _admin(fixture):
    with tenant_scope(fixture.tenant):
        return signed_in_client(fixture, AdminFactory())


def _audit(caplog, event):
    return [r for r in caplog.records if r.name == "tiktickets.audit" and r.audit_event == event]


def test_an_admin_retries_one_failed_event_and_it_becomes_the_message(alpha, numbers, caplog):
    event = _failed_event(alpha.tenant, "wamid.F1", "Quero remarcar")
    client = _admin(alpha)
    page = client.get("/manage/inbound/").content.decode()
    assert f'data-event-id="{event.pk}"' in page

    with caplog.at_level(logging.INFO, logger="tiktickets.audit"):
        response = client.post("/manage/inbound/retry/", {"only": str(event.pk)})

    assert response.status_code == 302
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        event.refresh_from_db()
        assert event.status == "processed"
        assert list(Message.objects.values_list("body", flat=True)) == ["Quero remarcar"]
    (record,) = _audit(caplog, "inbound_event_replayed")
    assert (record.inbound_event_id, record.previous_status, record.via) == (
        event.pk,
        "failed",
        "dashboard",
    )
    assert record.tenant_schema == "alpha"
    assert record.user_id is not None
    assert 'data-testid="inbound-empty"' in client.get("/manage/inbound/").content.decode()


def test_bulk_retry_retries_each_and_refuses_a_part_still_unreadable(alpha, numbers, caplog):
    first = _failed_event(alpha.tenant, "wamid.F1", "Primeira")
    second = _failed_event(alpha.tenant, "wamid.F2", "Segunda")
    broken = _quarantined(alpha.tenant)
    client = _admin(alpha)

    with caplog.at_level(logging.INFO, logger="tiktickets.audit"):
        response = client.post(
            "/manage/inbound/retry/",
            {"event": [str(first.pk), str(second.pk), str(broken.pk)]},
            follow=True,
        )

    html = response.content.decode()
    assert "2 eventos reprocessados." in html
    assert "O item ainda não pode ser lido: Uma mensagem sem o seu id." in html
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        bodies = set(Message.objects.values_list("body", flat=True))
        assert {"Primeira", "Segunda"} <= bodies
        broken.refresh_from_db()
        assert broken.status == "quarantined"
    assert len(_audit(caplog, "inbound_event_replayed")) == 2
    (refused,) = _audit(caplog, "inbound_event_replay_refused")
    assert (refused.inbound_event_id, refused.reason) == (broken.pk, "inbound_item_still_malformed")


def test_a_quarantined_part_that_reads_now_becomes_a_new_event(alpha, numbers):
    broken = _quarantined(alpha.tenant)
    with tenant_scope(alpha.tenant):
        # Today's parser reads the part (here the part itself was completed, as a parser
        # that learned the part's shape would read it).
        item = copy.deepcopy(broken.item)
        item["raw"]["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = "wamid.LATE"
        InboundEvent.objects.filter(pk=broken.pk).update(item=item)

    response = _admin(alpha).post("/manage/inbound/retry/", {"only": str(broken.pk)})

    assert response.status_code == 302
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        broken.refresh_from_db()
        assert broken.status == "processed"
        assert Message.objects.filter(provider_message_id="wamid.LATE").get().body == (
            "Without an id"
        )


def test_nobody_retries_another_tenants_events_nor_agents_any(alpha, beta, numbers, caplog):
    event = _failed_event(alpha.tenant, "wamid.F1", "Quero remarcar")
    with tenant_scope(alpha.tenant):
        agent = signed_in_client(alpha, UserFactory())

    with caplog.at_level(logging.INFO, logger="tiktickets.audit"):
        response = _admin(beta).post("/manage/inbound/retry/", {"only": str(event.pk)}, follow=True)

    assert "não foi reprocessado" in response.content.decode()
    assert agent.post("/manage/inbound/retry/", {"only": str(event.pk)}).status_code == 403
    with tenant_scope(alpha.tenant):
        event.refresh_from_db()
        assert event.status == "failed"
    (refused,) = _audit(caplog, "inbound_event_replay_refused")
    assert refused.tenant_schema == "beta"


@pytest.mark.parametrize(
    "values", [{}, {"only": "abc"}, {"only": "²"}, {"event": ["9" * 30, "-1", "0"]}]
)
def test_a_retry_naming_no_event_changes_nothing_and_says_so(alpha, numbers, values):
    event = _failed_event(alpha.tenant, "wamid.F1", "Quero remarcar")

    response = _admin(alpha).post("/manage/inbound/retry/", values, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Selecione pelo menos um evento" in html or "não foi reprocessado" in html
    with tenant_scope(alpha.tenant):
        event.refresh_from_db()
        assert event.status == "failed"


def test_the_command_retries_every_failed_event_of_one_tenant(alpha, beta, numbers, caplog):
    _failed_event(alpha.tenant, "wamid.F1", "Primeira")
    _failed_event(alpha.tenant, "wamid.F2", "Segunda")
    beta_event = _failed_event(
        beta.tenant, "wamid.F1", "Beta", phone=PHONE_BETA, secret="beta-app-secret"
    )

    with caplog.at_level(logging.INFO, logger="tiktickets.audit"):
        call_command("inbound_replay", "--tenant", "alpha", "--failed")

    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.filter(status="failed").count() == 0
        assert Message.objects.count() == 2
    with tenant_scope(beta.tenant):
        beta_event.refresh_from_db()
        assert beta_event.status == "failed"
    records = _audit(caplog, "inbound_event_replayed")
    assert [(r.via, r.user_id) for r in records] == [("command", None), ("command", None)]


def test_the_page_costs_the_same_queries_for_one_or_many_events(
    alpha, numbers, django_assert_num_queries
):
    client = _admin(alpha)
    _failed_event(alpha.tenant, "wamid.F1", "Primeira")
    with django_assert_num_queries(QUERIES):
        assert client.get("/manage/inbound/").status_code == 200
    _failed_event(alpha.tenant, "wamid.F2", "Segunda")
    _failed_event(alpha.tenant, "wamid.F3", "Terceira")
    _quarantined(alpha.tenant)
    with django_assert_num_queries(QUERIES):
        html = client.get("/manage/inbound/").content.decode()
    assert html.count('data-testid="inbound-row"') == 4
