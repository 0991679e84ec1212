"""Contact, tag, connection and delivery-status events: who receives them and what they carry."""

from __future__ import annotations

import json
from datetime import timedelta

from asgiref.sync import async_to_sync, sync_to_async
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.domain_events import ConnectionStatusChanged
from channels_integrations.tests.support import meta_connection, post_meta, process_all
from contacts.models import ContactIdentity
from contacts.services import contact_owners_set, contact_update, tag_update
from contacts.tests.factories import ContactFactory, TagFactory
from core.event_bus import publish
from realtime.tests.conftest import drain, open_socket, socket_for
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.services.messages import message_status_update
from tickets.tests.factories import ConnectionFactory, MessageFactory, QueueFactory, TicketFactory


def _types(events, prefix):
    return [e for e in events if e["type"].startswith(prefix)]


def _message_events_seen(sockets, produce):
    """The ``message.*`` events each socket receives while ``produce`` runs."""

    async def body():
        for socket in sockets:
            await open_socket(socket)
        await sync_to_async(produce)()
        seen = [_types(await drain(s), "message.") for s in sockets]
        for socket in sockets:
            await socket.disconnect()
        return seen

    return async_to_sync(body)()


def test_a_wallet_contact_reaches_its_owners_and_admins_only(
    alpha, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        owner, other, admin = UserFactory(), UserFactory(), AdminFactory()
        contact = ContactFactory(name="Cliente")
        contact_owners_set(contact=contact, owner_ids=[owner.pk])
    sockets = [socket_for(alpha, user) for user in (owner, other, admin)]

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            contact_update(contact=contact, name="Cliente VIP")

    async def body():
        for socket in sockets:
            await open_socket(socket)
        await sync_to_async(produce)()
        seen = [_types(await drain(s), "contact.") for s in sockets]
        for socket in sockets:
            await socket.disconnect()
        return seen

    seen_owner, seen_other, seen_admin = async_to_sync(body)()

    assert [e["data"]["contact"]["name"] for e in seen_owner] == ["Cliente VIP"]
    assert seen_other == []
    assert [e["data"]["contact"]["name"] for e in seen_admin] == ["Cliente VIP"]


def test_tags_and_connection_status_reach_every_agent_without_credentials(
    alpha, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        tag = TagFactory(name="Atacado")
        connection = ConnectionFactory(name="WhatsApp vendas")
        connection.credentials = {"access_token": "canary-secret-token"}
        connection.save()
    socket = socket_for(alpha, agent)

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            tag_update(tag=tag, color="#ff0000")
            publish(ConnectionStatusChanged(connection_id=connection.pk))

    async def body():
        await open_socket(socket)
        await sync_to_async(produce)()
        events = await drain(socket)
        await socket.disconnect()
        return events

    events = async_to_sync(body)()

    [tag_event] = _types(events, "tag.")
    assert tag_event["data"] == {
        "tag": {"id": tag.pk, "name": "Atacado", "color": "#ff0000", "is_active": True},
        "deleted": False,
    }
    [status] = _types(events, "connection.")
    assert status["data"]["connection"]["name"] == "WhatsApp vendas"
    assert "canary-secret-token" not in str(events)
    assert "credentials" not in status["data"]["connection"]


def test_a_delivery_status_reaches_the_tickets_audience_once_per_change(
    alpha, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        member, outsider = UserFactory(queues=[queue]), UserFactory(queues=[QueueFactory()])
        ticket = TicketFactory(queue=queue)
        message = MessageFactory(
            ticket=ticket,
            connection=ticket.connection,
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.SENT,
            provider_message_id="wamid.42",
        )
    sockets = [socket_for(alpha, user) for user in (member, outsider)]

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            for status in ("read", "delivered"):  # the late "delivered" changes nothing
                message_status_update(
                    connection=ticket.connection, provider_message_id="wamid.42", status=status
                )

    seen_member, seen_outsider = _message_events_seen(sockets, produce)

    assert [(e["type"], e["data"]["message"]["status"]) for e in seen_member] == [
        ("message.status", "read")
    ]
    assert seen_member[0]["data"]["message"]["id"] == str(message.public_id)
    assert seen_outsider == []


def test_a_read_watermark_pushes_one_status_per_reply_it_reads_in_its_tenant_only(
    alpha, beta, django_capture_on_commit_callbacks
):
    # A Messenger read receipt without message ids (its watermark covers every earlier reply):
    # https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-reads
    page_id, psid, secret = "682498302938465", "1254477777772919", "alpha-app-secret"
    page = meta_connection(
        alpha.tenant,
        "messenger",
        route_key=page_id,
        secret=secret,
        page_id=page_id,
        page_access_token="p",
    )
    sent_at = timezone.now() - timedelta(minutes=5)
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        member = UserFactory(queues=[queue])
        contact = ContactFactory()
        ContactIdentity.objects.create(contact=contact, provider="messenger", external_id=psid)
        ticket = TicketFactory(queue=queue, contact=contact, connection=page)
        replies = [
            MessageFactory(
                ticket=ticket,
                direction=Message.Direction.OUTBOUND,
                sender=Message.Sender.AGENT,
                sender_contact=None,
                status=Message.Status.SENT,
                sent_at=sent_at,
            )
            for _ in range(2)
        ]
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    watermark = int(timezone.now().timestamp() * 1000)
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": page_id,
                    "time": watermark,
                    "messaging": [
                        {
                            "sender": {"id": psid},
                            "recipient": {"id": page_id},
                            "timestamp": watermark,
                            "read": {"watermark": watermark},
                        }
                    ],
                }
            ],
        }
    ).encode()
    sockets = [socket_for(alpha, member), socket_for(beta, beta_admin)]

    def produce():
        with django_capture_on_commit_callbacks(execute=True):
            assert post_meta(body, secret=secret).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            process_all(alpha.tenant)

    seen_member, seen_beta = _message_events_seen(sockets, produce)

    assert sorted((e["type"], e["data"]["message"]["id"], e["data"]["message"]["status"])
                  for e in seen_member) == sorted(
        ("message.status", str(m.public_id), "read") for m in replies
    )  # fmt: skip
    assert seen_beta == []
