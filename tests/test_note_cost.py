"""What sending a note costs once committed: a note is no customer's message, no answer and no
web chat visitor's message, so the chatbot, the web chat, the reports' attendance and (in a
tenant without webhook subscriptions) the webhooks read nothing and enqueue nothing for it; the
live event still reaches the ticket's audience."""

from __future__ import annotations

from typing import Any

import pytest
from celery.signals import after_task_publish
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from integrations.models import WebhookDelivery
from integrations.services.webhooks import webhook_create
from tenants.tenancy import tenant_scope
from tickets.domain_events import MessageCreated
from tickets.models import Message, Ticket
from tickets.services.messages import message_send, note_add
from tickets.tests.factories import TicketFactory

# The whole request in the test's transaction: the user, the ticket, the message and its
# timeline entry (in a savepoint: 3 statements), and after commit the live event's one read
# (the tenant's search_path is already the connection's); 8 when every request set the
# search_path again, 11 when the chatbot's gate, the web chat check and the webhooks' question
# read the table for every note.
NOTE_REQUEST_QUERIES = 7


@pytest.fixture
def published_tasks() -> Any:
    names: list[str] = []

    def record(sender: str = "", **kwargs: Any) -> None:
        names.append(sender)

    after_task_publish.connect(record, weak=False)
    yield names
    after_task_publish.disconnect(record)


@pytest.fixture
def world(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)
    sign_in_api(api_alpha, agent.email)
    return alpha, api_alpha, agent, ticket


def _post_note(api, ticket, body="cliente VIP"):
    return api.post(f"/api/v1/tickets/{ticket.public_id}/notes/", {"body": body}, format="json")


def test_a_note_publishes_its_message_created_as_a_note(alpha, django_capture_on_commit_callbacks):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)
        with django_capture_on_commit_callbacks() as callbacks:
            note = note_add(ticket=ticket, by=agent, body="segredo")
            reply = message_send(ticket=ticket, by=agent, body="olá")

    events = [c.args[-1] for c in callbacks if isinstance(c.args[-1], MessageCreated)]
    assert events == [
        MessageCreated(message_id=note.pk, is_note=True),
        MessageCreated(message_id=reply.pk),
    ]


def test_a_note_request_is_pinned_and_its_handlers_read_only_the_live_event(
    world, django_capture_on_commit_callbacks, published_tasks
):
    alpha, api, agent, ticket = world
    with django_capture_on_commit_callbacks(execute=True):  # the host, the webhook types kept
        assert _post_note(api, ticket, "warm-up").status_code == 201
    published_tasks.clear()

    with (
        CaptureQueriesContext(db) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = _post_note(api, ticket)

    assert response.status_code == 201
    assert len(callbacks) == 1  # the domain event's delivery
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == NOTE_REQUEST_QUERIES, "\n".join(statements)
    assert not any("automation_flow" in sql for sql in statements)  # the chatbot's gate
    assert not any("integrations_webhooksubscription" in sql for sql in statements)
    # The reports' attendance: a note is no first inbound, response or bot hand-over.
    assert published_tasks == []


def test_a_reply_still_reaches_every_subscriber(
    world, django_capture_on_commit_callbacks, published_tasks
):
    """The other side of the pin above: what a note skips, a message to the customer does."""
    alpha, api, agent, ticket = world

    with (
        CaptureQueriesContext(db) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api.post(
            f"/api/v1/tickets/{ticket.public_id}/messages/", {"body": "olá"}, format="json"
        )

    assert response.status_code == 201
    statements = [q["sql"] for q in queries.captured_queries]
    assert any("automation_flow" in sql for sql in statements)
    assert "reports.tasks.attendance_refresh_for_message_task" in published_tasks


def test_a_note_still_reaches_the_webhooks_that_want_it(
    world, django_capture_on_commit_callbacks, settings
):
    """The kept answer "nobody subscribed" ends with the subscription that changes it."""
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    alpha, api, agent, ticket = world
    with django_capture_on_commit_callbacks(execute=True):  # nobody subscribed: kept
        assert _post_note(api, ticket, "before").status_code == 201
    with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        webhook_create(
            by=AdminFactory(),
            name="crm",
            url="http://127.0.0.1:9/hook",
            event_types=["message.created"],
        )

    with django_capture_on_commit_callbacks(execute=True):
        assert _post_note(api, ticket, "after").status_code == 201

    with tenant_scope(alpha.tenant):
        deliveries = list(WebhookDelivery.objects.values_list("event_type", flat=True))
        note = Message.objects.get(body="after")
    assert deliveries == ["message.created"]
    assert note.is_note
