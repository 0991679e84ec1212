"""Outbound: every dispatched message gets one delivery, sent once through its provider, with
bounded retries for temporary errors and a visible reason for permanent ones."""

import json
import time
from datetime import timedelta

import httpx
import pytest
import respx
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from channels_integrations.models import OutboundDelivery
from channels_integrations.services.outbound import (
    outbound_deliveries_sweep,
    outbound_delivery_create,
    outbound_message_deliver,
)
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.sample_provider import API, SampleProvider
from channels_integrations.tests.support import sample_connection
from contacts.tests.factories import ContactFactory, ContactIdentityFactory
from tenants.tenancy import tenant_scope
from tickets.models import ConnectionRouting, Message, Ticket
from tickets.services.messages import ReceivedMessage, message_receive, message_send, note_add
from tickets.services.tickets import ticket_close
from tickets.tests.factories import ConnectionFactory, TicketFactory

TASK = "channels_integrations.tasks.outbound_message_deliver_task"
SEND = f"{API}/send"


@pytest.fixture
def connection(alpha, sample_providers):
    connection = sample_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        yield connection


@pytest.fixture
def ticket(connection):
    contact = ContactFactory(name="Ana")
    ContactIdentityFactory(contact=contact, provider="sample", external_id="chat-5")
    return TicketFactory(
        connection=connection, contact=contact, status=Ticket.Status.OPEN, assignee=AdminFactory()
    )


def _send(ticket, body, capture):
    with capture(execute=True):
        return message_send(ticket=ticket, by=ticket.assignee, body=body)


def _deliver(message):
    return outbound_message_deliver_task.apply(args=(message.delivery.pk,))


def _sent_bodies(route):
    return [json.loads(call.request.content) for call in route.calls]


@respx.mock
def test_an_agents_message_is_delivered_once_through_its_provider(
    ticket, published, django_capture_on_commit_callbacks
):
    route = respx.post(SEND).mock(return_value=httpx.Response(200, json={"id": "prov-1"}))

    message = _send(ticket, "Olá, Ana!", django_capture_on_commit_callbacks)
    delivery = OutboundDelivery.objects.get()
    queued = [(task, args, schema) for task, args, schema in published if task == TASK]
    result = _deliver(message)
    _deliver(message)  # a second run (a redelivered task) sends nothing

    assert queued == [(TASK, (delivery.pk,), "alpha")]
    assert published.queues[published.index(queued[0])] == "replies"
    assert result.get() == "sent"
    assert _sent_bodies(route) == [
        {"to": "chat-5", "text": "Olá, Ana!", "key": f"msg-{message.public_id}"}
    ]
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("sent", "prov-1")
    assert message.sent_at is not None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.provider_message_id) == (
        "sent",
        1,
        "prov-1",
    )


@respx.mock
def test_temporary_errors_are_retried_then_the_message_is_sent(
    ticket, django_capture_on_commit_callbacks
):
    route = respx.post(SEND).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(429),
            httpx.Response(200, json={"id": "prov-2"}),
        ]
    )
    message = _send(ticket, "oi", django_capture_on_commit_callbacks)

    assert _deliver(message).get() == "sent"

    assert route.call_count == 3
    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == ("sent", "prov-2")
    assert OutboundDelivery.objects.get().attempts == 3


@respx.mock
def test_the_back_off_grows_with_each_attempt_and_honours_retry_after(
    ticket, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_RETRY_BASE_SECONDS = 10
    respx.post(SEND).mock(
        side_effect=[httpx.Response(503), httpx.Response(503), httpx.Response(429)]
    )
    message = _send(ticket, "oi", django_capture_on_commit_callbacks)

    first = outbound_message_deliver(delivery_id=message.delivery.pk)
    second = outbound_message_deliver(delivery_id=message.delivery.pk)
    third = outbound_message_deliver(delivery_id=message.delivery.pk)

    assert 8 <= first.retry_in <= 12
    assert 16 <= second.retry_in <= 24
    assert third.retry_in == 2  # the provider's retry_after
    delivery = OutboundDelivery.objects.get()
    assert (delivery.status, delivery.error_code) == ("pending", "rate_limited")
    assert delivery.next_attempt_at > timezone.now()


@respx.mock
def test_temporary_errors_stop_after_the_bounded_count(
    ticket, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOUND_MAX_ATTEMPTS = 3
    route = respx.post(SEND).mock(return_value=httpx.Response(503))
    message = _send(ticket, "oi", django_capture_on_commit_callbacks)

    assert _deliver(message).get() == "failed"

    assert route.call_count == 3
    message.refresh_from_db()
    assert (message.status, message.error_code, message.error_detail) == (
        "failed",
        "unavailable",
        "sample is down",
    )


@respx.mock
def test_a_permanent_error_fails_the_message_with_the_providers_reason(
    ticket, django_capture_on_commit_callbacks
):
    route = respx.post(SEND).mock(
        return_value=httpx.Response(400, json={"error": "Bad Request: chat not found"})
    )
    message = _send(ticket, "oi", django_capture_on_commit_callbacks)

    assert _deliver(message).get() == "failed"

    assert route.call_count == 1
    message.refresh_from_db()
    assert (message.status, message.error_code, message.error_detail) == (
        "failed",
        "refused",
        "Bad Request: chat not found",
    )
    assert OutboundDelivery.objects.get().status == "failed"


@respx.mock
def test_a_delivery_claimed_by_another_worker_is_not_sent_twice(
    ticket, django_capture_on_commit_callbacks
):
    route = respx.post(SEND).mock(return_value=httpx.Response(200, json={"id": "prov-3"}))
    message = _send(ticket, "oi", django_capture_on_commit_callbacks)
    # given another worker holding the row (mid-send)
    OutboundDelivery.objects.update(locked_until=timezone.now() + timedelta(seconds=60))

    busy = outbound_message_deliver(delivery_id=message.delivery.pk)
    # when that worker died, its claim expires and the row is handed out again
    OutboundDelivery.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    after_expiry = outbound_message_deliver(delivery_id=message.delivery.pk)
    again = outbound_message_deliver(delivery_id=message.delivery.pk)

    assert (busy.result, after_expiry.result, again.result) == ("skipped", "sent", "skipped")
    assert route.call_count == 1


def test_notes_inbound_messages_and_echoes_never_get_a_delivery(
    ticket, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = note_add(ticket=ticket, by=ticket.assignee, body="cliente difícil")
        inbound, _ = message_receive(
            received=ReceivedMessage(connection=connection, contact=ticket.contact, body="oi")
        )
    echo = Message.objects.create(
        ticket=ticket,
        connection=connection,
        direction="out",
        sender="agent",
        body="sent from the phone app",
        provider_message_id="from-channel-1",
    )

    assert OutboundDelivery.objects.count() == 0
    assert outbound_delivery_create(message_id=note.pk) is None
    assert outbound_delivery_create(message_id=inbound.pk) is None
    assert outbound_delivery_create(message_id=echo.pk) is None


@respx.mock
def test_the_farewell_goes_out_through_the_same_pipeline(
    ticket, connection, django_capture_on_commit_callbacks
):
    route = respx.post(SEND).mock(return_value=httpx.Response(200, json={"id": "bye-1"}))
    ConnectionRouting.objects.update_or_create(
        connection=connection, defaults={"farewell_message": "Até logo, {name}!"}
    )

    with django_capture_on_commit_callbacks(execute=True):
        ticket_close(ticket=ticket, by=ticket.assignee)
    farewell = Message.objects.get(sender="system")
    _deliver(farewell)

    assert _sent_bodies(route)[0]["text"] == "Até logo, Ana!"
    farewell.refresh_from_db()
    assert farewell.status == "sent"


def test_a_message_on_a_connection_without_an_installed_provider_stays_queued(
    alpha, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        retired = TicketFactory(
            connection=ConnectionFactory(provider="retired_provider"),
            status="open",
            assignee=AdminFactory(),
        )
        message = _send(retired, "oi", django_capture_on_commit_callbacks)

        assert not OutboundDelivery.objects.exists()
        message.refresh_from_db()
        assert message.status == "queued"


@respx.mock
def test_a_message_deleted_before_it_is_sent_is_never_sent(
    ticket, django_capture_on_commit_callbacks
):
    route = respx.post(SEND).mock(return_value=httpx.Response(200, json={"id": "x"}))
    message = _send(ticket, "oops", django_capture_on_commit_callbacks)
    Message.objects.filter(pk=message.pk).update(deleted_at=timezone.now())

    assert _deliver(message).get() == "failed"

    assert route.call_count == 0
    assert OutboundDelivery.objects.get().error_code == "message_deleted"


@respx.mock
def test_a_disabled_connection_fails_its_queued_messages(
    ticket, connection, django_capture_on_commit_callbacks
):
    route = respx.post(SEND).mock(return_value=httpx.Response(200, json={"id": "x"}))
    message = _send(ticket, "oi", django_capture_on_commit_callbacks)
    connection.is_active = False
    connection.save()

    _deliver(message)

    assert route.call_count == 0
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "connection_disabled")


@respx.mock
def test_the_per_connection_rate_limit_holds_across_sends(
    ticket, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(SampleProvider, "rate_limit_per_second", 2)
    sent_at = []

    def record(request):
        sent_at.append(time.time())
        return httpx.Response(200, json={"id": f"p{len(sent_at)}"})

    respx.post(SEND).mock(side_effect=record)
    messages = [_send(ticket, f"m{n}", django_capture_on_commit_callbacks) for n in range(5)]

    for message in messages:
        assert _deliver(message).get() == "sent"

    # 2 per one-second window: the 5 sends need three windows, so they span more than a second
    # (unlimited, they take a few hundredths of a second).
    assert len(sent_at) == 5
    assert sent_at[-1] - sent_at[0] > 1.0


def test_beta_deliveries_are_enqueued_in_beta(
    beta, sample_providers, published, django_capture_on_commit_callbacks
):
    at_beta = sample_connection(beta.tenant)
    with tenant_scope(beta.tenant):
        ticket = TicketFactory(connection=at_beta, status="open", assignee=AdminFactory())
        _send(ticket, "oi", django_capture_on_commit_callbacks)
        delivery = OutboundDelivery.objects.get()

    assert (TASK, (delivery.pk,), "beta") in published


def test_the_sweeper_re_enqueues_overdue_deliveries_and_adopts_orphans(
    ticket, published, settings, django_capture_on_commit_callbacks
):
    settings.CHANNEL_SWEEP_AFTER_MINUTES = 5
    overdue = _send(ticket, "stuck", django_capture_on_commit_callbacks)
    OutboundDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    orphan = _send(ticket, "no delivery", django_capture_on_commit_callbacks)
    OutboundDelivery.objects.filter(message=orphan).delete()
    Message.objects.filter(pk=orphan.pk).update(
        dispatched_at=timezone.now() - timedelta(minutes=10)
    )
    published.clear()

    with django_capture_on_commit_callbacks(execute=True):
        swept = outbound_deliveries_sweep()

    assert swept == 2
    adopted = OutboundDelivery.objects.get(message=orphan)
    assert sorted(args for task, args, _ in published if task == TASK) == sorted(
        [(overdue.delivery.pk,), (adopted.pk,)]
    )
