"""Edits, deletions, reactions and read receipts both ways through the gateway, and calls: an
agent's edit and deletion change the customer's copy (updateMessage, deleteMessageForEveryone)
through the outbound pipeline, once; an agent reacts (sendReaction) and the customer's
messages get a read receipt (markMessageAsRead); the customer's own edits and reactions reach
the ticket; a call rejected by the gateway gets the tenant's message once."""

from __future__ import annotations

import pytest

from channels_integrations.models import OutboundChange
from channels_integrations.providers.whatsapp_qr.tests.support import (
    instance_of,
    qr_connection,
    qr_conversation,
    webhooks_processed,
)
from channels_integrations.services.read_receipts import read_receipt_send
from channels_integrations.services.sessions import connections_calls_apply
from channels_integrations.tasks import outbound_change_deliver_task, outbound_message_deliver_task
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.services.messages import message_delete, message_edit, message_react, message_send

CUSTOMER = "5511955554444"
Copy = Message.CustomerCopy


@pytest.fixture
def conversation(alpha, gateway, django_capture_on_commit_callbacks):
    connection, ticket, admin = qr_conversation(
        alpha.tenant,
        gateway,
        django_capture_on_commit_callbacks,
        customer=CUSTOMER,
        text="Oi",
        message_id="3EB0CUST1",
    )
    return instance_of(connection), ticket, admin


def _sent(ticket, admin, body, capture):
    with capture(execute=True):
        message = message_send(ticket=ticket, by=admin, body=body)
    assert outbound_message_deliver_task.apply(args=(message.delivery.pk,)).get() == "sent"
    message.refresh_from_db()
    return message


def _run_changes():
    return [
        outbound_change_deliver_task.apply(args=(pk,)).get()
        for pk in OutboundChange.objects.order_by("pk").values_list("pk", flat=True)
    ]


def _calls(gateway, method):
    return [r.body for r in gateway.requests if r.method == method]


def test_an_agents_edit_and_deletion_change_the_customers_copy_once(
    alpha, gateway, conversation, django_capture_on_commit_callbacks
):
    name, ticket, admin = conversation
    capture = django_capture_on_commit_callbacks
    with tenant_scope(alpha.tenant):
        message = _sent(ticket, admin, "Sai amanhã", capture)
        with capture(execute=True):
            message = message_edit(message=message, by=admin, body="Sai hoje")
        assert message.customer_copy == Copy.PENDING
        assert _run_changes() == ["sent"]
        assert _run_changes() == ["skipped"]  # a redelivered task asks nothing again
        message.refresh_from_db()
        assert message.customer_copy == Copy.CHANGED

        wrong = _sent(ticket, admin, "Mensagem errada", capture)
        with capture(execute=True):
            message_delete(message=wrong, by=admin)
        assert _run_changes()[-1] == "sent"
        wrong.refresh_from_db()
        assert (wrong.customer_copy, wrong.deleted_at is not None) == (Copy.CHANGED, True)

    jid = f"{CUSTOMER}@s.whatsapp.net"
    assert _calls(gateway, "updateMessage") == [
        {
            "number": CUSTOMER,
            "text": "Sai hoje",
            "key": {"remoteJid": jid, "fromMe": True, "id": message.provider_message_id},
        }
    ]
    assert _calls(gateway, "deleteMessageForEveryone") == [
        {"id": wrong.provider_message_id, "remoteJid": jid, "fromMe": True}
    ]
    sent = gateway.evolution.instances[name].sent
    assert sent[message.provider_message_id]["text"] == "Sai hoje"
    assert sent[wrong.provider_message_id]["deleted"] is True


def test_an_edit_the_gateway_refuses_stays_here_only(
    alpha, gateway, conversation, django_capture_on_commit_callbacks
):
    name, ticket, admin = conversation
    capture = django_capture_on_commit_callbacks
    with tenant_scope(alpha.tenant):
        message = _sent(ticket, admin, "Antiga", capture)
        # Past WhatsApp's edit window: the gateway answers 400.
        gateway.evolution.instances[name].sent[message.provider_message_id]["at"] -= 3600
        with capture(execute=True):
            message_edit(message=message, by=admin, body="Nova")
        assert _run_changes() == ["failed"]
        message.refresh_from_db()
    assert message.customer_copy == Copy.LOCAL
    assert gateway.evolution.instances[name].sent[message.provider_message_id]["text"] == "Antiga"


def test_an_agent_reacts_and_the_customer_gets_a_read_receipt(
    alpha, gateway, conversation, django_capture_on_commit_callbacks
):
    name, ticket, admin = conversation
    with tenant_scope(alpha.tenant):
        received = Message.objects.get(provider_message_id="3EB0CUST1")
        with django_capture_on_commit_callbacks(execute=True):
            reaction = message_react(message=received, by=admin, emoji="👍")
        assert outbound_message_deliver_task.apply(args=(reaction.delivery.pk,)).get() == "sent"
        assert read_receipt_send(message_id=received.pk).result == "sent"

    assert _calls(gateway, "sendReaction") == [
        {
            "key": {"remoteJid": f"{CUSTOMER}@s.whatsapp.net", "fromMe": False, "id": "3EB0CUST1"},
            "reaction": "👍",
        }
    ]
    assert gateway.evolution.instances[name].read == ["3EB0CUST1"]


def test_the_customers_edit_and_reaction_reach_the_ticket(
    alpha, gateway, conversation, django_capture_on_commit_callbacks
):
    name, ticket, admin = conversation
    with tenant_scope(alpha.tenant):
        ours = _sent(ticket, admin, "Pode ser às 10h?", django_capture_on_commit_callbacks)
    gateway.evolution.customer_edits(name, sender=CUSTOMER, message_id="3EB0CUST1", text="Olá!")
    gateway.evolution.customer_reacts(
        name, sender=CUSTOMER, message_id=ours.provider_message_id, emoji="❤️"
    )
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        edited = Message.objects.get(provider_message_id="3EB0CUST1")
        reaction = Message.objects.get(kind="reaction")
    assert (edited.body, edited.edited_at is not None) == ("Olá!", True)
    assert (reaction.body, reaction.quoted_id) == ("❤️", ours.pk)


def test_a_rejected_call_gets_the_tenants_message_once(
    alpha, beta, gateway, conversation, django_capture_on_commit_callbacks
):
    name, ticket, _admin = conversation
    with tenant_scope(alpha.tenant):
        tenant_settings_update(
            tenant=alpha.tenant,
            values={"reject_calls": True, "call_reject_message": "Só mensagens, por favor."},
        )
        assert connections_calls_apply() == 1
    # beta's number keeps taking calls: its settings are its own.
    other = instance_of(qr_connection(beta.tenant))
    gateway.evolution.scan(other, number="5511900000009")

    call = gateway.evolution.incoming_call(name, sender=CUSTOMER, video=True)
    untouched = gateway.evolution.incoming_call(other, sender=CUSTOMER)
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)

    assert (call["rejected"], untouched["rejected"]) == (True, False)
    with tenant_scope(alpha.tenant):
        notices = list(
            Message.objects.filter(ticket=ticket, direction="out").values_list("body", flat=True)
        )
    # Sent by the gateway on the call's offer only (not again as it rings and times out), and
    # shown in the ticket as the business's message.
    assert notices == ["Só mensagens, por favor."]
