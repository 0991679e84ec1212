"""Read receipts: when the agent a ticket is assigned to opens it, the customer is told their
messages were read, once per message, through a retried task on the ``replies`` queue:
WhatsApp Cloud ``status: read`` with the message id, Messenger/Instagram ``mark_seen``;
Telegram has none. A peek (an admin, a waiting ticket) tells nobody anything, and the tenant
setting turns it off (issue 18, item 12)."""

from __future__ import annotations

import re

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.tasks import read_receipt_send_task
from channels_integrations.tests.support import meta_connection
from conftest import signed_in_client
from contacts.tests.factories import ContactIdentityFactory
from simulator.server import Faults
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import ConnectionFactory, MessageFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
TASK = "channels_integrations.tasks.read_receipt_send_task"
PHONE_ID = "106540352242922"
PAGE = "682498302938465"
PSID = "1254477777772919"


@pytest.fixture
def sim(provider_sim, settings):
    settings.OUTBOUND_RETRY_BASE_SECONDS = 1
    return provider_sim


def _whatsapp(tenant):
    return meta_connection(
        tenant,
        "whatsapp_cloud",
        route_key=PHONE_ID,
        secret="s",
        phone_number_id=PHONE_ID,
        access_token="wa-token",
    )


def _ticket(tenant, connection, *, mids, identity=""):
    """An open ticket of a new agent with the customer's messages ``mids``, unread."""
    with tenant_scope(tenant):
        agent = UserFactory()
        ticket = TicketFactory(
            connection=connection, status="open", assignee=agent, unread_count=len(mids)
        )
        if identity:
            ContactIdentityFactory(
                contact=ticket.contact, provider=connection.provider, external_id=identity
            )
        for mid in mids:
            MessageFactory(ticket=ticket, provider_message_id=mid)
    return ticket, agent


def _open(fixture, user, ticket, capture, published):
    """``user`` opens the ticket's panel; the receipt tasks it published, run in its schema."""
    before = len(published)
    with capture(execute=True):
        response = signed_in_client(fixture, user).get(
            f"/tickets/{ticket.public_id}/panel/", **HTMX
        )
    assert response.status_code == 200
    runs = [
        (args, schema, queue)
        for (name, args, schema), queue in zip(
            published[before:], published.queues[before:], strict=True
        )
        if name == TASK
    ]
    assert all(schema == fixture.tenant.schema_name for _a, schema, _q in runs)
    assert all(queue == "replies" for _a, _s, queue in runs)
    with tenant_scope(fixture.tenant):
        return [read_receipt_send_task.apply(args=args).get() for args, _s, _q in runs]


def test_whatsapp_gets_one_read_status_per_message_and_messenger_a_mark_seen(
    alpha, beta, sim, published, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    whatsapp = _whatsapp(alpha.tenant)
    messenger = meta_connection(
        beta.tenant,
        "messenger",
        route_key=PAGE,
        secret="s",
        page_id=PAGE,
        page_access_token="page-token",
    )
    wa_ticket, ana = _ticket(alpha.tenant, whatsapp, mids=["wamid.A1", "wamid.A2"])
    fb_ticket, bia = _ticket(beta.tenant, messenger, mids=["m_B1"], identity=PSID)

    assert _open(alpha, ana, wa_ticket, capture, published) == ["sent"]
    assert _open(beta, bia, fb_ticket, capture, published) == ["sent"]
    bodies = [(r.account, r.body) for r in sim.receipts()]
    assert bodies == [
        (PHONE_ID, {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.A2"}),
        (PAGE, {"recipient": {"id": PSID}, "sender_action": "mark_seen"}),
    ]
    assert sim.sends() == []  # a receipt is no message

    # Opening again tells nothing more; a new message is told once.
    assert _open(alpha, ana, wa_ticket, capture, published) == []
    with tenant_scope(alpha.tenant):
        MessageFactory(ticket=wa_ticket, provider_message_id="wamid.A3")
        Ticket.objects.filter(pk=wa_ticket.pk).update(unread_count=1)
    assert _open(alpha, ana, wa_ticket, capture, published) == ["sent"]
    assert [r.body["message_id"] for r in sim.receipts() if r.account == PHONE_ID] == [
        "wamid.A2",
        "wamid.A3",
    ]
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(ticket=wa_ticket, read_at__isnull=True).exists()


def test_a_peek_or_the_setting_off_sends_nothing_and_telegram_has_no_receipts(
    alpha, beta, sim, published, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    whatsapp = _whatsapp(alpha.tenant)
    ticket, ana = _ticket(alpha.tenant, whatsapp, mids=["wamid.P1"])
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    assert _open(alpha, admin, ticket, capture, published) == []  # the admin peeked
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=ticket.pk).unread_count == 1

    settings_page = signed_in_client(alpha, admin).get("/manage/settings/").content.decode()
    assert re.search(
        r'<input type="checkbox" name="send_read_receipts"[^>]* checked', settings_page
    )
    tenant_settings_update(tenant=alpha.tenant, values={"send_read_receipts": False})
    alpha.tenant.refresh_from_db()
    assert _open(alpha, ana, ticket, capture, published) == []
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=ticket.pk).unread_count == 0  # read all the same

    with tenant_scope(beta.tenant):
        telegram = ConnectionFactory(provider="telegram", credentials={"bot_token": "1:x"})
    tg_ticket, bia = _ticket(beta.tenant, telegram, mids=["77"], identity="5551")
    assert _open(beta, bia, tg_ticket, capture, published) == ["unsupported"]
    assert sim.receipts() == []
    assert sim.requests == []


def test_a_receipt_meta_cannot_take_is_retried_a_bounded_number_of_times(alpha, sim, settings):
    whatsapp = _whatsapp(alpha.tenant)
    ticket, _ana = _ticket(alpha.tenant, whatsapp, mids=["wamid.R1"])
    with tenant_scope(alpha.tenant):
        message_id = Message.objects.get(ticket=ticket).pk
    settings.OUTBOUND_MAX_ATTEMPTS = 3
    sim.faults = Faults(error_rate=1.0)
    with tenant_scope(alpha.tenant):  # apply() runs the task's retries at once
        assert read_receipt_send_task.apply(args=(message_id,)).get() == "dropped"
    assert [r.status for r in sim.requests] == [500, 500, 500]
    sim.faults = Faults()
    with tenant_scope(alpha.tenant):
        assert read_receipt_send_task.apply(args=(message_id,)).get() == "sent"
    assert len(sim.receipts()) == 1
