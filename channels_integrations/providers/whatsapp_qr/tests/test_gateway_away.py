"""The gateway going away, or the phone's session dropping, mid-conversation: replies wait and
go out once it is back (nothing lost, nothing twice); disabling and enabling the connection
deletes and recreates its gateway instance; "Check now" sets the webhook again."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory
from channels_integrations.models import OutboundDelivery
from channels_integrations.providers.whatsapp_qr.tests.support import (
    instance_of,
    qr_connection,
    qr_conversation,
    webhooks_processed,
)
from channels_integrations.services.connections import (
    connection_check,
    connection_disable,
    connection_enable,
)
from channels_integrations.services.outbound import outbound_message_deliver
from connections.models import ChannelConnection
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.services.messages import message_send

CUSTOMER = "5511933332222"


@pytest.fixture
def conversation(alpha, gateway, django_capture_on_commit_callbacks):
    return qr_conversation(
        alpha.tenant, gateway, django_capture_on_commit_callbacks, customer=CUSTOMER, text="Alô?"
    )


def _reply(alpha, ticket, admin, capture, body):
    with tenant_scope(alpha.tenant), capture(execute=True):
        return message_send(ticket=ticket, by=admin, body=body)


@pytest.mark.parametrize("away", ["gateway_down", "session_closed"])
def test_a_reply_waits_for_the_gateway_and_goes_out_once(
    alpha, gateway, conversation, django_capture_on_commit_callbacks, away
):
    connection, ticket, admin = conversation
    name = instance_of(connection)
    if away == "gateway_down":
        gateway.evolution.down = True
    else:
        gateway.evolution.instances[name].state = "close"
    reply = _reply(alpha, ticket, admin, django_capture_on_commit_callbacks, "Estou aqui")

    with tenant_scope(alpha.tenant):
        first = outbound_message_deliver(delivery_id=reply.delivery.pk)
        delivery = OutboundDelivery.objects.get(pk=reply.delivery.pk)
        assert (first.result, delivery.status) == ("retry", "pending")
        assert first.retry_in is not None
        assert Message.objects.get(pk=reply.pk).status == "queued"

        gateway.evolution.down = False
        gateway.evolution.instances[name].state = "open"
        again = outbound_message_deliver(delivery_id=reply.delivery.pk)
        twice = outbound_message_deliver(delivery_id=reply.delivery.pk)
        assert (again.result, twice.result) == ("sent", "skipped")
        assert Message.objects.get(pk=reply.pk).status == "sent"
    assert gateway.sent_texts()["Estou aqui"] == 1


def test_disable_deletes_the_instance_and_enable_recreates_it(
    alpha, gateway, django_capture_on_commit_callbacks
):
    connection = qr_connection(alpha.tenant)
    name = instance_of(connection)
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        connection_disable(connection=connection, by=admin)
        assert name not in gateway.evolution.instances
        connection_enable(connection=connection, by=admin)
        connection.refresh_from_db()
    assert name in gateway.evolution.instances
    assert gateway.evolution.instances[name].token == connection.credentials["instance_token"]
    assert connection.status == ChannelConnection.Status.PENDING


def test_check_now_sets_the_webhook_again_on_the_existing_instance(
    alpha, gateway, django_capture_on_commit_callbacks
):
    connection = qr_connection(alpha.tenant)
    name = instance_of(connection)
    gateway.evolution.instances[name].webhook_url = ""  # lost on the gateway's side
    gateway.evolution.scan(name)
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        checked = connection_check(connection=connection, by=AdminFactory())
    assert gateway.evolution.instances[name].webhook_url.endswith(
        f"/webhooks/whatsapp_qr/{connection.webhook_token}/"
    )
    assert [r.method for r in gateway.requests].count("create") == 2  # refused: name in use
    assert checked.status == ChannelConnection.Status.CONNECTED  # the session stayed open
