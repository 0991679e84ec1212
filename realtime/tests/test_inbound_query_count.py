"""Pinned cost of processing one inbound message, realtime events included (issue 7).

bench/profile_inbound.py measures the same in autocommit (production): 36 statements for a first
contact and 24 for a follow-up, from 42 and 28 before the live events were built from one
``values()`` query each. Inside the test transaction every ``atomic`` is a savepoint, so the
counts below differ from those by the transaction statements; what matters is that they cannot
grow unnoticed.
"""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from channels_integrations import conftest as channels_fixtures
from channels_integrations.services.inbound import inbound_event_process, inbound_events_record
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection, text_item
from realtime.handlers import on_message_created, on_ticket_created
from tenants.tenancy import tenant_scope
from tickets.domain_events import MessageCreated, TicketCreated
from tickets.models import Message, Ticket
from tickets.tests.factories import QueueFactory

# The channels tests' fixtures (sample providers registered, a private media folder).
sample_providers = channels_fixtures.sample_providers
media_root = channels_fixtures.media_root

# The chatbot's subscriber adds one query per message in a tenant without flows (its gate).
# Whether a webhook subscription wants an event is kept in Redis
# (``integrations.subscribed_types``): the warm-up read it, so no event asks the table (40 and
# 27 when each of ContactCreated, TicketCreated and MessageCreated asked it once).
FIRST_CONTACT_QUERIES = 37
FOLLOW_UP_QUERIES = 26


@pytest.fixture
def connection(alpha, request):
    request.getfixturevalue("sample_providers")
    request.getfixturevalue("media_root")
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        UserFactory.create_batch(3, queues=[queue])
    connection = sample_connection(alpha.tenant, default_queue=queue)
    with tenant_scope(alpha.tenant):
        yield connection


def _process(connection, event_id, sender, callbacks):
    items = SampleProvider().parse_inbound(body_of(text_item(event_id, sender, "Olá")))
    [stored] = inbound_events_record(connection=connection, items=items)
    with callbacks(execute=True) as run:
        inbound_event_process(event_id=stored)
    return run


def test_a_first_contact_and_a_follow_up_cost_a_pinned_number_of_queries(
    connection, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _process(connection, "warm-up", "chat-0", django_capture_on_commit_callbacks)

    with django_assert_num_queries(FIRST_CONTACT_QUERIES):
        run = _process(connection, "e1", "chat-1", django_capture_on_commit_callbacks)
    assert [type(c.args[1]).__name__ for c in run] == [
        "ContactCreated",
        "TicketCreated",
        "MessageCreated",
        "MessageReceived",
    ]
    with django_assert_num_queries(FOLLOW_UP_QUERIES):
        run = _process(connection, "e2", "chat-1", django_capture_on_commit_callbacks)
    assert [type(c.args[1]).__name__ for c in run] == ["MessageCreated", "MessageReceived"]

    assert Ticket.objects.count() == 2
    assert Message.objects.count() == 3


def test_each_live_event_of_an_inbound_message_reads_the_database_once(
    connection, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _process(connection, "e1", "chat-1", django_capture_on_commit_callbacks)
    message = Message.objects.get()

    with django_assert_num_queries(1):
        on_ticket_created(TicketCreated(ticket_id=message.ticket_id))
    with django_assert_num_queries(1):
        on_message_created(MessageCreated(message_id=message.pk))


def test_after_commit_a_first_contact_costs_one_query_per_subscriber(
    connection, django_capture_on_commit_callbacks
):
    """ticket.created, message.created, the web chat visitor check, the chatbot's gate (no
    usable flow, no run): one query each; the webhooks' subscribed types once, then kept; no
    ``SET search_path`` (the subscribers run in the tenant that published)."""
    items = SampleProvider().parse_inbound(body_of(text_item("e1", "chat-1", "Olá")))
    [stored] = inbound_events_record(connection=connection, items=items)
    with CaptureQueriesContext(db) as processing, django_capture_on_commit_callbacks() as run:
        inbound_event_process(event_id=stored)
    with CaptureQueriesContext(db) as after_commit:
        for callback in run:
            callback()
    # One per handler: ticket row, message row, web chat check, the chatbot's gate; and the
    # webhooks' subscribed types, read once (ContactCreated, the first event) and kept in Redis
    # for TicketCreated and MessageCreated (7 when each read the table).
    assert len(after_commit) == 5
    assert len(processing) > len(after_commit)
