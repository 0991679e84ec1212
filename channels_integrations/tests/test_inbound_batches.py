"""Inbound events processed in batches per connection (services/inbound_batches.py): order,
a poison event failing alone, the coalesced task per connection (per tenant), and the pinned
cost per event. The workers' side (two workers, a worker killed mid-batch) is in
tests/reliability/test_inbound_batch_workers.py."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from channels_integrations.models import InboundEvent
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.services.inbound_batches import (
    inbound_batch_enqueue,
    inbound_batch_process,
    inbound_batches_process,
)
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection, text_item
from tenants.tenancy import tenant_scope
from tickets.models import Message, Queue, Ticket
from tickets.tests.factories import QueueFactory

# 20 follow-ups in one batch, inside the test's transaction (every atomic a savepoint): 9 per
# event against 26 for one event per task (realtime/tests/test_inbound_query_count.py): the
# event's own read, lock and update and the per-task transaction go, the subscribers read once
# for the batch what they read once per event before, and ``message_receive``, the contact
# upsert and ``ticket_open_or_reuse`` open no savepoints of their own (445 before all that,
# 369 after the first step, 269 while the last two still did, 189 while the webhooks' subscribed
# types were read from the table once per batch instead of kept in Redis, 188 while
# ``message_receive`` looked for the provider id again after the event's own look in the same
# transaction, 168 while each event looked on its own instead of the batch once, 149 while
# each event read its customer's identity and locked its ticket on its own and the events were
# saved by ``bulk_update``; 111 before the batch read once whether the tenant has schedules or
# distributing queues, which spares the follow-up tasks that could do nothing; docs/performance.md).
FOLLOW_UP_BATCH_QUERIES = 112
# 20 first contacts in one batch, inside the test's transaction: 470 while the contact upsert
# and ``ticket_open_or_reuse`` opened two savepoints each, 310 while ``message_receive`` looked
# for the provider id a second time, 290 while each event looked once on its own, 271 while
# each event read its customer's identity and active ticket on its own, 232 before the batch
# read once whether the tenant has schedules or distributing queues (docs/performance.md).
FIRST_CONTACT_BATCH_QUERIES = 233
BATCH_TASK = "channels_integrations.tasks.inbound_batches_process_task"
SINGLE_TASK = "channels_integrations.tasks.inbound_event_process_task"


@pytest.fixture
def connection(alpha, sample_providers, media_root):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Queue.Distribution.ROUND_ROBIN)
        UserFactory.create_batch(3, queues=[queue])
    connection = sample_connection(alpha.tenant, default_queue=queue)
    with tenant_scope(alpha.tenant):
        yield connection


def _store(connection, *items):
    return inbound_events_record(
        connection=connection, items=SampleProvider().parse_inbound(body_of(*items))
    )


def _bodies(ticket):
    return list(ticket.messages.order_by("id").values_list("body", flat=True))


def test_a_batch_stores_each_customers_messages_in_the_order_they_arrived(
    connection, django_capture_on_commit_callbacks
):
    items = [text_item(f"e{n}", f"chat-{n % 3}", f"{n % 3}:{n}") for n in range(12)]
    ids = _store(connection, *items)

    with django_capture_on_commit_callbacks(execute=True):
        claimed, processed = inbound_batch_process(connection_id=connection.pk, limit=50)

    assert (claimed, processed) == (12, 12)
    assert set(InboundEvent.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        "processed"
    }
    assert Ticket.objects.count() == 3
    for ticket in Ticket.objects.select_related("contact"):
        bodies = _bodies(ticket)
        customer = bodies[0].split(":")[0]
        assert bodies == [f"{customer}:{n}" for n in range(12) if str(n % 3) == customer]
        assert ticket.unread_count == 4
    # Processing again claims nothing and creates nothing.
    assert inbound_batch_process(connection_id=connection.pk) == (0, 0)
    assert Message.objects.count() == 12


def test_a_redelivered_message_is_stored_once_in_its_batch_and_after_it(
    connection, django_capture_on_commit_callbacks
):
    """Two events of one provider message in one batch, and a third in a later batch: the
    event's own look for the provider id (in the batch's transaction) finds the stored message,
    so ``message_receive`` is given it to check, and nothing is stored twice."""
    _store(
        connection,
        text_item("d1", "chat-1", "once", message_id="m-1"),
        text_item("d2", "chat-1", "once", message_id="m-1"),
        text_item("d3", "chat-1", "other", message_id="m-2"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (3, 3)
    _store(connection, text_item("d4", "chat-1", "once", message_id="m-1"))
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (1, 1)

    ticket = Ticket.objects.get()
    assert _bodies(ticket) == ["once", "other"]
    assert ticket.unread_count == 2
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_message_and_its_edit_in_one_batch_and_an_edit_of_a_stored_one(
    connection, django_capture_on_commit_callbacks
):
    """The batch reads which provider ids are stored once for all its events; an edit carries
    its message's id, so a message and its edit in one batch each look it up and the edit finds
    the message the batch just stored; an edit of a message stored before the batch finds it."""
    _store(connection, text_item("s1", "chat-1", "old", message_id="m-stored"))
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (1, 1)
    _store(
        connection,
        text_item("s2", "chat-1", "new", message_id="m-new"),
        text_item("s3", "chat-1", "new, edited", message_id="m-new", edit=True),
        text_item("s4", "chat-1", "old, edited", message_id="m-stored", edit=True),
        text_item("s5", "chat-1", "another", message_id="m-another"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (4, 4)

    assert _bodies(Ticket.objects.get()) == ["old, edited", "new, edited", "another"]
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"processed"}


def test_a_poison_event_fails_alone_and_goes_to_the_single_event_retry(
    connection, published, django_capture_on_commit_callbacks
):
    first, poison, last = _store(
        connection,
        text_item("e1", "chat-1", "before"),
        text_item("e2", "chat-1", "poison"),
        text_item("e3", "chat-1", "after"),
    )
    # A stored item this code cannot read (as if written by a broken adapter).
    event = InboundEvent.objects.get(pk=poison)
    event.item = {**event.item, "unexpected": 1}
    event.save(update_fields=["item"])

    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (3, 2)

    assert _bodies(Ticket.objects.get()) == ["before", "after"]
    states = dict(InboundEvent.objects.values_list("pk", "status"))
    assert states == {first: "processed", poison: "received", last: "processed"}
    failed = InboundEvent.objects.get(pk=poison)
    assert failed.attempts == 1
    assert failed.last_error.startswith("TypeError")
    # Handed to the single-event task (with its back-off); the batches leave it alone now.
    assert [args for task, args, _ in published if task == SINGLE_TASK] == [(poison,)]
    assert inbound_batch_process(connection_id=connection.pk) == (0, 0)


def test_an_event_failing_inside_message_receive_leaves_nothing_of_it_and_fails_alone(
    connection, published, django_capture_on_commit_callbacks
):
    """``message_receive`` opens no savepoints of its own in a batch: an event whose message
    cannot be stored (a provider message id longer than the column) after its contact and
    ticket were written is rolled back whole by the event's savepoint, alone; its live events
    and tasks never go out, and the rest of the batch commits and is announced."""
    from contacts.models import ContactIdentity
    from tickets.models import TicketEvent

    first, poison, last = _store(
        connection,
        text_item("e1", "chat-1", "before"),
        text_item("e2", "chat-9", "poison"),
        text_item("e3", "chat-2", "after"),
    )
    event = InboundEvent.objects.get(pk=poison)
    event.item = {**event.item, "provider_message_id": "x" * 300}
    event.save(update_fields=["item"])
    published.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (3, 2)

    failed = InboundEvent.objects.get(pk=poison)
    assert (failed.status, failed.attempts) == ("received", 1)
    assert failed.last_error.startswith("DataError")
    # Nothing of the poison event: no contact, ticket, message or timeline entry for chat-9.
    assert sorted(Message.objects.values_list("body", flat=True)) == ["after", "before"]
    assert Ticket.objects.count() == 2
    assert not ContactIdentity.objects.filter(external_id="chat-9").exists()
    assert ContactIdentity.objects.filter(external_id__in=["chat-1", "chat-2"]).count() == 2
    assert TicketEvent.objects.filter(kind="message_in").count() == 2
    tickets = list(Ticket.objects.order_by("id").values_list("pk", flat=True))
    distributed = [args for task, args, _ in published if task.endswith("tickets_distribute_task")]
    assert distributed == [(tickets,)]
    assert [args for task, args, _ in published if task == SINGLE_TASK] == [(poison,)]
    assert InboundEvent.objects.get(pk=first).status == "processed"
    assert InboundEvent.objects.get(pk=last).status == "processed"


def test_after_a_failed_event_the_rest_of_its_batch_reads_its_own_contact_and_ticket(
    connection, published, django_capture_on_commit_callbacks
):
    """The batch reads its customers' identities and tickets once; an event that changes them
    and then fails is rolled back, and the next events of its customer must not go on from
    what it changed in memory: the name it gave the contact (its placeholder until now) is
    rolled back, so the next event gives it again, and the ticket counts both messages that
    were stored."""
    from contacts.models import Contact, ContactIdentity

    _store(connection, text_item("p1", "chat-1", "first", name=""))
    _store(connection, text_item("p2", "chat-2", "first", name=""))
    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (2, 2)
    assert Contact.objects.get(identities__external_id="chat-1").name == "chat-1"
    poison, *_ = _store(
        connection,
        text_item("p3", "chat-1", "poison", name="Bia"),
        text_item("p4", "chat-1", "after", name="Bia"),
        text_item("p5", "chat-2", "other", name="Caio"),
        text_item("p6", "chat-1", "last", name="Bia"),
    )
    event = InboundEvent.objects.get(pk=poison)
    event.item = {**event.item, "provider_message_id": "x" * 300}  # fails the message insert
    event.save(update_fields=["item"])

    with django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (4, 3)

    assert InboundEvent.objects.get(pk=poison).last_error.startswith("DataError")
    bia = Contact.objects.get(identities__external_id="chat-1")
    assert bia.name == "Bia"
    assert ContactIdentity.objects.get(external_id="chat-1").display_name == "Bia"
    assert Contact.objects.get(identities__external_id="chat-2").name == "Caio"
    for external_id, bodies in (
        ("chat-1", ["first", "after", "last"]),
        ("chat-2", ["first", "other"]),
    ):
        ticket = Ticket.objects.get(contact__identities__external_id=external_id)
        assert _bodies(ticket) == bodies
        assert ticket.unread_count == len(bodies)


def test_a_file_keeps_the_single_event_task(
    alpha, connection, published, django_capture_on_commit_callbacks
):
    """A download must not hold the batch's locks: a message with a file is processed by the
    single-event task; the text beside it in the same delivery goes to the batch."""
    from channels_integrations.tests.support import post_webhook

    media = text_item(
        "m1", "chat-1", "", media={"url": "http://127.0.0.1:9/f", "mime": "image/png"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(connection, body_of(media, text_item("t1", "chat-1", "hi")))

    assert response.status_code == 200
    with tenant_scope(alpha.tenant):
        stored = dict(InboundEvent.objects.values_list("provider_event_id", "pk"))
        tasks = [(task, args) for task, args, _ in published]
        assert tasks == [(SINGLE_TASK, (stored["m1"],)), (BATCH_TASK, (connection.pk,))]
        with django_capture_on_commit_callbacks(execute=True):
            assert inbound_batch_process(connection_id=connection.pk) == (1, 1)
        assert InboundEvent.objects.get(pk=stored["m1"]).status == "received"


def test_one_task_waits_per_connection_and_tenant(alpha, beta, published):
    cache.clear()
    inbound_batch_enqueue(alpha.tenant, 7)
    inbound_batch_enqueue(alpha.tenant, 7)  # one is already waiting: nothing published
    inbound_batch_enqueue(alpha.tenant, 8)
    inbound_batch_enqueue(beta.tenant, 7)  # another tenant's connection 7: its own task

    assert [(args, schema) for task, args, schema in published if task == BATCH_TASK] == [
        ((7,), "alpha"),
        ((8,), "alpha"),
        ((7,), "beta"),
    ]
    # The task clears its connection's flag when it starts: the next webhook publishes again.
    with tenant_scope(alpha.tenant):
        inbound_batches_process(connection_id=7)
    inbound_batch_enqueue(alpha.tenant, 7)
    assert len([task for task, _, _ in published if task == BATCH_TASK]) == 4


def test_a_batch_claims_only_its_connection_and_tenant(alpha, beta, sample_providers):
    mine = sample_connection(alpha.tenant)
    other = sample_connection(alpha.tenant)
    elsewhere = sample_connection(beta.tenant)
    with tenant_scope(beta.tenant):
        _store(elsewhere, text_item("b1", "chat-1", "beta"))
    with tenant_scope(alpha.tenant):
        _store(mine, text_item("a1", "chat-1", "mine"))
        _store(other, text_item("a2", "chat-1", "other"))
        assert inbound_batch_process(connection_id=mine.pk) == (1, 1)
        assert list(Message.objects.values_list("body", flat=True)) == ["mine"]
    with tenant_scope(beta.tenant):
        assert InboundEvent.objects.get().status == "received"


def test_a_batch_is_cheaper_per_event_than_one_event_per_task(
    connection, django_capture_on_commit_callbacks
):
    """Pinned: statements per event of a batch of 20 follow-ups (the customer's ticket exists),
    realtime handlers included, against the single-event task's FOLLOW_UP_QUERIES (26)."""
    _store(connection, *[text_item(f"w{n}", f"chat-{n}", "hi") for n in range(20)])
    with django_capture_on_commit_callbacks(execute=True):
        inbound_batch_process(connection_id=connection.pk)
    _store(connection, *[text_item(f"f{n}", f"chat-{n}", "again") for n in range(20)])

    with CaptureQueriesContext(db) as queries, django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (20, 20)

    assert len(queries) == FOLLOW_UP_BATCH_QUERIES
    assert len(queries) / 20 < 10


@pytest.mark.parametrize("customers", [3, 12])
def test_after_its_commit_a_batch_reads_once_and_publishes_one_task_each_whatever_its_size(
    connection, published, django_capture_on_commit_callbacks, customers
):
    """The subscribers of a batch's domain events: the live events' ticket and message rows,
    the web chat visitors' check, the chatbot's gate, the webhook subscriptions and whether
    the tenant has schedules or distributing queues are read once for the batch (6
    statements, not 7 per first contact), and the distribution, the reports' rollup (tickets
    and messages together) and the campaign replies get one task each with the batch's ids,
    in the tenant's schema; no schedule is enabled, so no out-of-hours task."""
    _store(connection, *[text_item(f"n{n}", f"chat-{n}", "hi") for n in range(customers)])
    published.clear()

    with django_capture_on_commit_callbacks() as callbacks:
        assert inbound_batch_process(connection_id=connection.pk) == (customers, customers)
    with CaptureQueriesContext(db) as after_commit:
        for callback in callbacks:
            callback()

    assert len(after_commit) == 6
    tickets = list(Ticket.objects.order_by("id").values_list("pk", flat=True))
    messages = list(Message.objects.order_by("id").values_list("pk", flat=True))
    assert len(tickets) == len(messages) == customers
    assert sorted(published, key=str) == sorted(
        [
            ("automation.tasks.tickets_distribute_task", (tickets,), "alpha"),
            ("reports.tasks.attendances_refresh_for_batch_task", (tickets, messages), "alpha"),
            ("campaigns.tasks.campaign_replies_record_task", (messages,), "alpha"),
        ],
        key=str,
    )


def test_first_contacts_in_a_batch_open_no_savepoints_of_their_own(
    connection, django_capture_on_commit_callbacks
):
    """Pinned: statements of a batch of 20 first contacts (new contact, identity, ticket and
    message each), realtime handlers included. The event's savepoint is the only one: the
    contact upsert and ``ticket_open_or_reuse`` open none inside a batch (core.savepoints)."""
    _store(connection, *[text_item(f"n{n}", f"chat-{n}", "hi") for n in range(20)])

    with CaptureQueriesContext(db) as queries, django_capture_on_commit_callbacks(execute=True):
        assert inbound_batch_process(connection_id=connection.pk) == (20, 20)

    savepoints = [q["sql"] for q in queries if q["sql"].startswith("SAVEPOINT")]
    # The batch's transaction (a savepoint inside the test's) and one per event.
    assert len(savepoints) == 1 + 20
    assert len(queries) == FIRST_CONTACT_BATCH_QUERIES
    assert Ticket.objects.count() == 20
