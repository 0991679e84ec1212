"""Quick reply variables are filled per ticket; the greeting follows the tenant's clock."""

from datetime import UTC, datetime

import pytest

from accounts.tests.factories import UserFactory
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.services.quick_replies import quick_reply_render
from tickets.tests.factories import QuickReplyFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha):
    alpha.tenant.language = "en"  # in memory only; the fixture reloads the tenant per test
    alpha.tenant.time_zone = "America/Sao_Paulo"
    with tenant_scope(alpha.tenant):
        yield alpha


def test_contact_protocol_and_agent_variables_are_filled(in_alpha):
    ticket = TicketFactory(contact=ContactFactory(name="Maria Souza"))
    agent = UserFactory(name="João")
    reply = QuickReplyFactory(
        body="Olá {{contact.name}} ({{ contact.first_name }}), "
        "protocolo {{protocol}}. {{agent.name}}"
    )

    text = quick_reply_render(quick_reply=reply, ticket=ticket, agent=agent)

    assert text == f"Olá Maria Souza (Maria), protocolo {ticket.protocol}. João"


def test_unknown_variables_are_left_as_they_are_and_the_older_spelling_is_filled(in_alpha):
    # Stored before saving refused unknown variables; {name} is the automatic messages' older
    # spelling of {{contact.name}}, one syntax everywhere now.
    reply = QuickReplyFactory(body="{{contact.nome}} {{foo}} {name}")
    ticket = TicketFactory(contact=ContactFactory(name="Maria Souza"))

    text = quick_reply_render(quick_reply=reply, ticket=ticket, agent=UserFactory())

    assert text == "{{contact.nome}} {{foo}} Maria Souza"


@pytest.mark.parametrize(
    ("utc_hour", "greeting"),
    [
        # São Paulo is UTC-3: 08:00 UTC is 05:00 there, 14:59 UTC is 11:59.
        (8, "Good morning"),
        (14, "Good morning"),
        (15, "Good afternoon"),
        (20, "Good afternoon"),
        (21, "Good evening"),
        (7, "Good evening"),  # 04:00 in São Paulo
    ],
)
def test_the_greeting_uses_the_tenants_time_zone(in_alpha, utc_hour, greeting):
    reply = QuickReplyFactory(body="{{greeting}}!")
    now = datetime(2025, 3, 10, utc_hour, 30 if utc_hour == 14 else 0, tzinfo=UTC)

    text = quick_reply_render(
        quick_reply=reply, ticket=TicketFactory(), agent=UserFactory(), now=now
    )

    assert text == f"{greeting}!"


def test_the_same_instant_greets_differently_in_another_time_zone(in_alpha):
    in_alpha.tenant.time_zone = "Asia/Tokyo"  # UTC+9: 03:00 UTC is noon
    reply = QuickReplyFactory(body="{{greeting}}")

    text = quick_reply_render(
        quick_reply=reply,
        ticket=TicketFactory(),
        agent=UserFactory(),
        now=datetime(2025, 3, 10, 3, 0, tzinfo=UTC),
    )

    assert text == "Good afternoon"
