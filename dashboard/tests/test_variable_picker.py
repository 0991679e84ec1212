"""The editors of texts with variables (quick replies, a connection's greeting and farewell, a
queue's greeting, the out-of-hours notice) show a picker of the variables that text may use,
and an unknown variable comes back under its field with nothing stored."""

from __future__ import annotations

import re

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from automation.models import BusinessHours
from conftest import signed_in_client
from connections.models import ChannelConnection
from tenants.tenancy import tenant_scope
from tickets.models import Queue, QuickReply

UNKNOWN = "Olá {{contato.nome}}!"


@pytest.fixture
def admin(alpha):
    with tenant_scope(alpha.tenant):
        return AdminFactory()


def _picker(html: str, field: str) -> list[str]:
    """The variables the picker of ``field`` inserts, in order."""
    match = re.search(
        rf'<div class="variable-picker"[^>]*data-variables-for="id_{field}"[^>]*>(.*?)</div>',
        html,
        re.S,
    )
    assert match is not None, f"no picker for {field}"
    return re.findall(r'data-insert="([^"]+)"', match.group(1))


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="id_{field}-error"[^>]*>([^<]*)</p>', html)
    assert match is not None, f"no error under {field}"
    return match.group(1)


AGENT = [
    "{{contact.first_name}}",
    "{{contact.name}}",
    "{{protocol}}",
    "{{greeting}}",
    "{{agent.name}}",
]
SYSTEM = AGENT[:-1]


def test_a_quick_reply_offers_every_variable_and_refuses_an_unknown_one(alpha, beta):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    client = signed_in_client(alpha, agent)
    page = client.get("/manage/quick-replies/").content.decode()
    assert _picker(page, "body") == AGENT
    assert "Primeiro nome do contato" in page  # what each button inserts, in pt-BR

    refused = client.post("/manage/quick-replies/", {"shortcode": "oi", "body": UNKNOWN})

    assert refused.status_code == 400
    error = _field_error(refused.content.decode(), "body")
    assert error.startswith("Variável desconhecida {{contato.nome}}.")
    assert 'value="oi"' in refused.content.decode()  # what was typed stays
    for tenant in (alpha, beta):
        with tenant_scope(tenant.tenant):
            assert not QuickReply.objects.exists()


def test_a_connections_greeting_and_farewell_offer_what_the_system_knows(alpha, admin):
    client = signed_in_client(alpha, admin)
    page = client.get("/manage/connections/new/webchat/").content.decode()
    assert _picker(page, "greeting_message") == SYSTEM  # no agent signs automatic messages
    assert _picker(page, "farewell_message") == SYSTEM

    refused = client.post(
        "/manage/connections/new/webchat/",
        {"name": "Site", "greeting_message": UNKNOWN, "color": "#1f6feb"},
    )

    assert refused.status_code == 400
    assert "{{contato.nome}}" in _field_error(refused.content.decode(), "greeting_message")
    with tenant_scope(alpha.tenant):
        assert not ChannelConnection.objects.exists()


def test_a_queues_greeting_and_the_out_of_hours_message_refuse_unknown_variables(alpha, admin):
    client = signed_in_client(alpha, admin)
    assert _picker(client.get("/manage/queues/").content.decode(), "greeting_message") == SYSTEM
    refused = client.post(
        "/manage/queues/", {"name": "Suporte", "color": "#175cd3", "greeting_message": UNKNOWN}
    )
    assert refused.status_code == 400
    assert "{{contato.nome}}" in _field_error(refused.content.decode(), "greeting_message")

    hours = client.get("/manage/business-hours/").content.decode()
    assert _picker(hours, "out_of_hours_message") == SYSTEM
    data = {"is_enabled": "on", "out_of_hours_message": UNKNOWN, "holidays": ""}
    data.update({f"day_{n}": "" for n in range(7)})
    refused_hours = client.post("/manage/business-hours/", data)
    assert refused_hours.status_code == 400
    assert "{{contato.nome}}" in _field_error(
        refused_hours.content.decode(), "out_of_hours_message"
    )
    with tenant_scope(alpha.tenant):
        assert not Queue.objects.filter(name="Suporte").exists()
        assert not BusinessHours.objects.exists()
