"""An agent's edit, deletion and reaction reach the customer where the channel can: Telegram's
Bot API (answered by the provider simulator over real HTTP) gets editMessageText,
deleteMessage and setMessageReaction through the outbound pipeline (stored, claimed once,
retried); WhatsApp Cloud cannot edit or delete, so the change stays here and the message says
so. Two tenants: one tenant's change never goes through the other's bot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.models import OutboundChange, OutboundDelivery
from channels_integrations.services.connections import connection_create
from channels_integrations.tasks import (
    outbound_change_deliver_task,
    outbound_deliveries_sweep_task,
    outbound_message_deliver_task,
)
from channels_integrations.tests.support import meta_connection
from contacts.tests.factories import ContactFactory, ContactIdentityFactory
from simulator import Faults, Simulator
from tenants.tenancy import tenant_scope
from tickets.errors import MessageNotReactable, ReactionNotSupported
from tickets.models import Message, Ticket
from tickets.services.messages import message_delete, message_edit, message_react, message_send
from tickets.tests.factories import ConnectionFactory, MessageFactory, TicketFactory

ALPHA_TOKEN = "4242424242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDalpha"
BETA_TOKEN = "4343434343:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDbeta0"
CHAT = "777001"

Copy = Message.CustomerCopy


@pytest.fixture
def sim(settings):
    simulator = Simulator().start()
    settings.TELEGRAM_API_BASE_URL = simulator.telegram_base_url
    yield simulator
    simulator.stop()


def _bot_ticket(tenant, token):
    with tenant_scope(tenant):
        bot = connection_create(
            by=AdminFactory(), provider="telegram", name="Bot", credentials={"bot_token": token}
        )
        contact = ContactFactory(name="Ana")
        ContactIdentityFactory(contact=contact, provider="telegram", external_id=CHAT)
        agent = UserFactory()
        return TicketFactory(
            connection=bot, contact=contact, status=Ticket.Status.OPEN, assignee=agent
        )


@pytest.fixture
def tickets(alpha, beta, sim, django_capture_on_commit_callbacks):
    return {
        "alpha": _bot_ticket(alpha.tenant, ALPHA_TOKEN),
        "beta": _bot_ticket(beta.tenant, BETA_TOKEN),
    }


def _calls(sim, method, token=ALPHA_TOKEN):
    return [r.body for r in sim.requests if r.method == method and r.account == token]


def _sent(ticket, body, capture):
    """A reply sent and delivered to the simulated chat."""
    with capture(execute=True):
        message = message_send(ticket=ticket, by=ticket.assignee, body=body)
    delivery = OutboundDelivery.objects.get(message=message)
    assert outbound_message_deliver_task.apply(args=(delivery.pk,)).get() == "sent"
    message.refresh_from_db()
    return message


def _run_changes():
    return [
        outbound_change_deliver_task.apply(args=(pk,)).get()
        for pk in OutboundChange.objects.order_by("pk").values_list("pk", flat=True)
    ]


def test_an_edit_reaches_the_customers_copy_on_telegram_once(
    alpha, beta, tickets, sim, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = tickets["alpha"]
        message = _sent(ticket, "Seu pedido sai amanhã", django_capture_on_commit_callbacks)
        _, telegram_id = message.provider_message_id.split(":")
        with django_capture_on_commit_callbacks(execute=True):
            message = message_edit(message=message, by=ticket.assignee, body="Seu pedido sai hoje")
        assert message.customer_copy == Copy.PENDING

        (change,) = OutboundChange.objects.all()
        assert (change.kind, change.body) == ("edit", "Seu pedido sai hoje")
        assert change.status == "pending"
        assert _run_changes() == ["sent"]
        assert _run_changes() == ["skipped"]  # a redelivered task asks nothing again

        message.refresh_from_db()
        assert message.customer_copy == Copy.CHANGED
    assert _calls(sim, "editMessageText") == [
        {"chat_id": CHAT, "message_id": int(telegram_id), "text": "Seu pedido sai hoje"}
    ]
    assert sim.telegram_messages[(ALPHA_TOKEN, CHAT, int(telegram_id))] == {
        "text": "Seu pedido sai hoje"
    }
    # The other tenant's bot was asked nothing and stores no change.
    assert _calls(sim, "editMessageText", BETA_TOKEN) == []
    with tenant_scope(beta.tenant):
        assert OutboundChange.objects.count() == 0


def test_a_deletion_removes_the_customers_copy_and_a_retry_after_success_is_harmless(
    alpha, tickets, sim, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = tickets["alpha"]
        message = _sent(ticket, "Mensagem errada", django_capture_on_commit_callbacks)
        key = (ALPHA_TOKEN, CHAT, int(message.provider_message_id.split(":")[1]))
        with django_capture_on_commit_callbacks(execute=True):
            message_delete(message=message, by=ticket.assignee)
        change = OutboundChange.objects.get()
        assert _run_changes() == ["sent"]
        assert key not in sim.telegram_messages
        # The answer was lost and the change is tried again: Telegram says it is already gone.
        OutboundChange.objects.filter(pk=change.pk).update(status="pending")
        assert _run_changes() == ["sent"]

        message.refresh_from_db()
        assert (message.customer_copy, message.deleted_at is not None) == (Copy.CHANGED, True)
    assert len(_calls(sim, "deleteMessage")) == 2


def test_a_temporary_failure_is_retried_and_a_refusal_leaves_the_change_here_only(
    alpha, tickets, sim, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = tickets["alpha"]
        message = _sent(ticket, "Oi", django_capture_on_commit_callbacks)
        sim.account_faults[ALPHA_TOKEN] = Faults(error_rate=1.0)
        with django_capture_on_commit_callbacks(execute=True):
            message_edit(message=message, by=ticket.assignee, body="Olá")
        change = OutboundChange.objects.get()
        # Celery's eager retry runs the task again at once: every attempt meets the outage.
        result = outbound_change_deliver_task.apply(args=(change.pk,))
        change.refresh_from_db()
        assert result.get() == "failed"
        assert change.attempts >= 2
        message.refresh_from_db()
        assert message.customer_copy == Copy.LOCAL

        # Telegram refuses an edit of a message it no longer has: permanent, stays here.
        sim.account_faults.clear()
        sim.telegram_messages.clear()
        with django_capture_on_commit_callbacks(execute=True):
            message_edit(message=message, by=ticket.assignee, body="Olá de novo")
        message.refresh_from_db()
        assert message.customer_copy == Copy.PENDING
        later = OutboundChange.objects.latest("pk")
        assert outbound_change_deliver_task.apply(args=(later.pk,)).get() == "failed"
        later.refresh_from_db()
        assert "message to edit not found" in later.last_error
        message.refresh_from_db()
        assert message.customer_copy == Copy.LOCAL


def test_whatsapp_cannot_edit_or_delete_so_the_change_stays_here(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        connection = ConnectionFactory(provider="whatsapp_cloud")
        ticket = TicketFactory(connection=connection, status="open", assignee=agent)
        sent = MessageFactory(
            ticket=ticket,
            direction="out",
            sender="agent",
            sender_user=agent,
            sender_contact=None,
            status="delivered",
            provider_message_id="wamid.SENT1",
        )
        edited = message_edit(message=sent, by=agent, body="Texto novo")
        assert edited.customer_copy == Copy.LOCAL
        deleted = message_delete(message=edited, by=agent)
        assert deleted.customer_copy == Copy.LOCAL
        assert OutboundChange.objects.count() == 0


def test_a_message_not_yet_accepted_by_the_channel_is_simply_sent_as_edited(
    alpha, tickets, sim, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = tickets["alpha"]
        with django_capture_on_commit_callbacks(execute=True):
            message = message_send(ticket=ticket, by=ticket.assignee, body="Primeiro")
        message = message_edit(message=message, by=ticket.assignee, body="Corrigido")
        assert message.customer_copy == Copy.UNTOUCHED
        delivery = OutboundDelivery.objects.get(message=message)
        assert outbound_message_deliver_task.apply(args=(delivery.pk,)).get() == "sent"
        assert OutboundChange.objects.count() == 0
    assert [c["text"] for c in _calls(sim, "sendMessage")] == ["Corrigido"]


def test_a_reaction_to_the_customer_goes_through_set_message_reaction(
    alpha, beta, tickets, sim, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = tickets["alpha"]
        received = MessageFactory(ticket=ticket, provider_message_id=f"{CHAT}:42")
        with pytest.raises(ReactionNotSupported):
            message_react(message=received, by=ticket.assignee, emoji="😂")  # not on Telegram
        with django_capture_on_commit_callbacks(execute=True):
            reaction = message_react(message=received, by=ticket.assignee, emoji="👍")
        assert (reaction.kind, reaction.direction, reaction.quoted_id) == (
            "reaction",
            "out",
            received.pk,
        )
        delivery = OutboundDelivery.objects.get(message=reaction)
        assert outbound_message_deliver_task.apply(args=(delivery.pk,)).get() == "sent"
        reaction.refresh_from_db()
        assert reaction.status == "sent"
        assert reaction.provider_message_id.startswith(f"{CHAT}:42:reaction:")
        # An agent's own message gets no reaction from the agent.
        with pytest.raises(MessageNotReactable):
            message_react(message=reaction, by=ticket.assignee, emoji="👍")
        # Deleting the reaction stays here: it is no message Telegram could delete.
        with django_capture_on_commit_callbacks(execute=True):
            reaction = message_delete(message=reaction, by=ticket.assignee)
        assert reaction.customer_copy == Copy.LOCAL
        assert OutboundChange.objects.count() == 0
    assert _calls(sim, "setMessageReaction") == [
        {"chat_id": CHAT, "message_id": 42, "reaction": [{"type": "emoji", "emoji": "👍"}]}
    ]
    assert sim.telegram_reactions[(ALPHA_TOKEN, CHAT, 42)] == [{"type": "emoji", "emoji": "👍"}]
    assert _calls(sim, "setMessageReaction", BETA_TOKEN) == []


@pytest.mark.parametrize(
    ("provider", "emoji", "sent_as"),
    [("messenger", "😮", "😮"), ("instagram", "❤️", "love")],
)
def test_a_reaction_on_messenger_and_instagram_is_a_react_sender_action(
    alpha, settings, provider, emoji, sent_as, django_capture_on_commit_callbacks
):
    simulator = Simulator().start()
    settings.META_GRAPH_API_URL = simulator.graph_url
    try:
        connection = meta_connection(
            alpha.tenant,
            provider,
            route_key="682498302938465",
            secret="page-secret",
            page_id="682498302938465",
            instagram_account_id="17841405822304914",
            page_access_token="page-token",
        )
        with tenant_scope(alpha.tenant):
            contact = ContactFactory()
            ContactIdentityFactory(contact=contact, provider=provider, external_id="1254477")
            ticket = TicketFactory(
                connection=connection, contact=contact, status="open", assignee=UserFactory()
            )
            received = MessageFactory(ticket=ticket, provider_message_id="m_CUSTOMER1")
            with pytest.raises(ReactionNotSupported):
                message_react(message=received, by=ticket.assignee, emoji="🙈")
            with django_capture_on_commit_callbacks(execute=True):
                reaction = message_react(message=received, by=ticket.assignee, emoji=emoji)
            delivery = OutboundDelivery.objects.get(message=reaction)
            assert outbound_message_deliver_task.apply(args=(delivery.pk,)).get() == "sent"
        (call,) = [r.body for r in simulator.requests if r.method == "messages"]
        assert call == {
            "recipient": {"id": "1254477"},
            "sender_action": "react",
            "payload": {"message_id": "m_CUSTOMER1", "reaction": sent_as},
        }
    finally:
        simulator.stop()


def test_a_change_whose_task_was_lost_is_handed_out_again(
    alpha, tickets, sim, published, settings, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = tickets["alpha"]
        message = _sent(ticket, "Oi", django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            message_edit(message=message, by=ticket.assignee, body="Olá")
        change = OutboundChange.objects.get()
        late = timezone.now() - timedelta(minutes=settings.CHANNEL_SWEEP_AFTER_MINUTES + 1)
        OutboundChange.objects.filter(pk=change.pk).update(next_attempt_at=late)
        published.clear()
        assert outbound_deliveries_sweep_task.apply().get() == 1
    task = "channels_integrations.tasks.outbound_change_deliver_task"
    assert [(name, args) for name, args, _ in published] == [(task, (change.pk,))]


def test_telegram_deletes_only_for_48_hours_after_sending_so_an_older_one_stays_here(
    alpha, tickets, sim, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = tickets["alpha"]
        message = _sent(ticket, "Mensagem antiga", django_capture_on_commit_callbacks)
        Message.objects.filter(pk=message.pk).update(sent_at=timezone.now() - timedelta(hours=49))
        message.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            message = message_delete(message=message, by=ticket.assignee)
        assert message.customer_copy == Copy.LOCAL
        assert OutboundChange.objects.count() == 0
    assert _calls(sim, "deleteMessage") == []
