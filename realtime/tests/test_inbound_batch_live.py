"""The live events of an inbound batch (delivered together, their rows read once for the
batch) are exactly those the per-event read-back gives: same types in the same order, same
data, same audience, a contact's tags and wallet owners included; and two tenants' batches
never share a row or a stream. They go out before the batch's other subscribers run, each once
and in order on a socket that hears them through two groups."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings as django_settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import import_string

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations import conftest as channels_fixtures
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.services.inbound_batches import inbound_batch_process
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection, text_item
from contacts.models import Contact, Tag
from core.redis import redis_client
from realtime.broadcast import broadcast, broadcasting_together
from realtime.groups import audience_groups, everyone_group
from realtime.stream import stream_last_id
from realtime.tests.conftest import domain, drain, open_socket, socket_for
from tenants.tenancy import redis_key, tenant_scope
from tickets.api.message_serializers import message_row_from_values
from tickets.api.ticket_serializers import ticket_row_from_values
from tickets.domain_events import MessageCreated
from tickets.models import Message, Ticket
from tickets.selectors import message_event_values, ticket_event_row, ticket_event_row_audience
from tickets.tests.factories import QueueFactory

sample_providers = channels_fixtures.sample_providers
media_root = channels_fixtures.media_root


def _connection(tenant):
    with tenant_scope(tenant):
        queue = QueueFactory()
        UserFactory.create_batch(2, queues=[queue])
    return sample_connection(tenant, default_queue=queue)


def _store(connection, *items):
    return inbound_events_record(
        connection=connection, items=SampleProvider().parse_inbound(body_of(*items))
    )


def _stream_after(last_id):
    """``(type, data, groups)`` of the tenant's envelopes after ``last_id``, in order."""
    entries = redis_client().xrange(redis_key("realtime", "stream"), min=f"{last_id + 1}-0")
    found = []
    for _entry_id, fields in entries:
        envelope = json.loads(fields["e"])
        found.append((envelope["type"], envelope["data"], sorted(fields["g"].split(","))))
    return found


def _plain(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _read_back(event_type, data):
    """What the per-event handler reads for this envelope, read now (after the commit)."""
    if event_type == "ticket.created":
        ticket = Ticket.objects.get(public_id=data["ticket"]["public_id"])
        row = ticket_event_row(ticket.pk)
        assert row is not None
        expected = {"ticket": ticket_row_from_values(row.values)}
    else:
        message = Message.objects.get(public_id=data["message"]["id"])
        found = message_event_values(message.pk)
        assert found is not None
        values, row = found
        expected = {
            "message": message_row_from_values(values),
            "ticket": ticket_row_from_values(row.values),
        }
    return event_type, _plain(expected), sorted(audience_groups(ticket_event_row_audience(row)))


@pytest.mark.parametrize("tenants", [1, 2])
def test_a_batchs_live_events_are_exactly_the_read_back_ones(
    alpha, beta, sample_providers, media_root, django_capture_on_commit_callbacks, tenants
):
    fixtures = [alpha, beta][:tenants]
    connections = [_connection(fixture.tenant) for fixture in fixtures]
    for fixture, connection in zip(fixtures, connections, strict=True):
        with tenant_scope(fixture.tenant):
            # A customer with a ticket, tags and a wallet owner before the batch.
            _store(connection, text_item("w1", "chat-3", "first"))
            with django_capture_on_commit_callbacks(execute=True):
                inbound_batch_process(connection_id=connection.pk)
            contact = Contact.objects.get()
            contact.tags.add(Tag.objects.create(name="VIP"), Tag.objects.create(name="Atacado"))
            contact.owners.add(UserFactory())
            _store(
                connection,
                text_item("e1", "chat-1", "new customer"),
                text_item("e2", "chat-3", "again"),
                text_item("e3", "chat-2", "another new one"),
                text_item("e4", "chat-1", "second of the new customer"),
                text_item("e5", "chat-3", "third"),
            )
    lasts = []
    for fixture in fixtures:
        with tenant_scope(fixture.tenant):
            lasts.append(stream_last_id())
    for fixture, connection in zip(fixtures, connections, strict=True):
        with tenant_scope(fixture.tenant), django_capture_on_commit_callbacks(execute=True):
            assert inbound_batch_process(connection_id=connection.pk) == (5, 5)

    for fixture, last in zip(fixtures, lasts, strict=True):
        with tenant_scope(fixture.tenant):
            sent = _stream_after(last)
            assert [(t, d.get("message", {}).get("body")) for t, d, _ in sent] == [
                ("ticket.created", None),
                ("message.created", "new customer"),
                ("message.created", "again"),
                ("ticket.created", None),
                ("message.created", "another new one"),
                ("message.created", "second of the new customer"),
                ("message.created", "third"),
            ]
            assert sent == [_read_back(event_type, data) for event_type, data, _ in sent]
            # Only this tenant's tickets, and the tags read for the batch.
            tickets = {d["ticket"]["public_id"] for _, d, _ in sent}
            mine = {str(pk) for pk in Ticket.objects.values_list("public_id", flat=True)}
            assert len(tickets) == 3
            assert tickets <= mine
            third = sent[-1][1]["ticket"]
            assert [tag["name"] for tag in third["tags"]] == ["Atacado", "VIP"]


# A subscriber listed after every real one of ``MessageCreated``: what the tenant's stream holds
# when the batch's other subscribers start.
stream_ids_seen_after_live: list[int] = []


def _after_live(event):
    stream_ids_seen_after_live.append(stream_last_id())


def _table_with_probe():
    # The project's table, by name as the event bus reads it (the project is above this app).
    subscribers = import_string(django_settings.DOMAIN_EVENT_SUBSCRIBERS)
    table = dict(subscribers)
    table[MessageCreated] = [*subscribers[MessageCreated], _after_live]
    return table


TABLE_WITH_PROBE = _table_with_probe()


def test_a_batchs_live_events_go_out_before_its_other_subscribers_once_each_in_order(
    alpha, beta, sample_providers, media_root, django_capture_on_commit_callbacks, settings
):
    settings.DOMAIN_EVENT_SUBSCRIBERS = "realtime.tests.test_inbound_batch_live.TABLE_WITH_PROBE"
    stream_ids_seen_after_live.clear()
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        admin = AdminFactory(queues=[queue])  # in two of the tickets' groups: admins, queue
    connection = sample_connection(alpha.tenant, default_queue=queue)
    with tenant_scope(alpha.tenant):
        _store(
            connection,
            text_item("e1", "chat-1", "new customer"),
            text_item("e2", "chat-2", "another new one"),
            text_item("e3", "chat-1", "second of the first"),
        )
        last = stream_last_id()
    with tenant_scope(beta.tenant):
        beta_last = stream_last_id()
    socket = socket_for(alpha, admin)

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            assert inbound_batch_process(connection_id=connection.pk) == (3, 3)

    async def body():
        await open_socket(socket)
        await sync_to_async(produce)()
        received = [e for e in await drain(socket) if domain(e)]
        await socket.disconnect()
        return received

    received = async_to_sync(body)()

    # The five envelopes (two tickets, three messages) were all stored before the first
    # message's other subscribers ran (the chatbot, the tasks they publish).
    assert stream_ids_seen_after_live == [last + 5] * 3
    assert [(e["type"], e["id"]) for e in received] == [
        ("ticket.created", last + 1),
        ("message.created", last + 2),
        ("ticket.created", last + 3),
        ("message.created", last + 4),
        ("message.created", last + 5),
    ]
    assert [e["data"]["message"]["body"] for e in received if e["type"] == "message.created"] == [
        "new customer",
        "another new one",
        "second of the first",
    ]
    with tenant_scope(beta.tenant):
        assert stream_last_id() == beta_last


def test_broadcasts_held_by_a_block_that_raises_are_never_sent(alpha):
    with tenant_scope(alpha.tenant):
        last = stream_last_id()
        held_at: list[int] = []

        def deliver_then_break() -> None:
            with broadcasting_together():
                broadcast("tag.changed", {"tag": {"id": 1}, "deleted": True}, [everyone_group()])
                held_at.append(stream_last_id())  # held, not stored yet
                raise RuntimeError("the batch's delivery broke")

        with pytest.raises(RuntimeError):
            deliver_then_break()
        assert held_at == [last]
        assert stream_last_id() == last
        with broadcasting_together():
            broadcast("tag.changed", {"tag": {"id": 1}, "deleted": True}, [everyone_group()])
            with broadcasting_together():  # nested: the outer block sends
                broadcast("tag.changed", {"tag": {"id": 2}, "deleted": True}, [everyone_group()])
            assert stream_last_id() == last
        assert [data["tag"]["id"] for _, data, _ in _stream_after(last)] == [1, 2]
