"""Processing stored events: contacts, tickets, messages, media within limits, statuses,
edits, deletions and unsupported items; processing twice creates nothing new."""

import httpx
import pytest
import respx

from channels_integrations.models import InboundEvent
from channels_integrations.services.inbound import (
    MAX_PROCESS_ATTEMPTS,
    inbound_event_process,
    inbound_events_record,
)
from channels_integrations.tasks import inbound_event_process_task
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection, text_item
from contacts.models import ContactIdentity
from tenants.tenancy import tenant_scope
from tickets.models import ConnectionRouting, Message, MessageEdit, Ticket
from tickets.tests.factories import MessageFactory, TicketFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FILE_URL = "https://sample.test/files/abc"


@pytest.fixture
def connection(alpha, sample_providers, media_root):
    connection = sample_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        yield connection


def _record(connection, *raw_items):
    items = SampleProvider().parse_inbound(body_of(*raw_items))
    return inbound_events_record(connection=connection, items=items)


def _process(event_ids):
    for event_id in event_ids:
        inbound_event_process_task.apply(args=(event_id,))


def test_a_text_message_creates_contact_identity_ticket_and_message(connection):
    _process(_record(connection, text_item("e1", "chat-9", "Bom dia", date=1700000000)))

    message = Message.objects.get()
    assert (message.body, message.direction, message.kind) == ("Bom dia", "in", "text")
    assert message.provider_message_id == "e1"
    assert message.sent_at.timestamp() == 1700000000  # the customer's time, as the channel says
    assert message.delivered_at > message.sent_at  # ours: when it reached us
    assert message.ticket.status == Ticket.Status.PENDING
    assert message.ticket.connection == connection
    identity = ContactIdentity.objects.get()
    assert (identity.provider, identity.external_id, identity.contact.name) == (
        "sample",
        "chat-9",
        "Ana",
    )
    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == ("processed", 1)
    assert event.processed_at is not None


def test_processing_an_event_twice_creates_nothing_new(connection):
    [event_id] = _record(connection, text_item("e1"))

    inbound_event_process(event_id=event_id)
    InboundEvent.objects.filter(pk=event_id).update(status="received")  # as if redelivered
    inbound_event_process(event_id=event_id)

    assert Message.objects.count() == 1
    assert Ticket.objects.count() == 1


@respx.mock
def test_media_is_downloaded_into_the_tenants_private_storage(connection, media_root):
    route = respx.get(FILE_URL).mock(
        return_value=httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    )
    media = {"url": FILE_URL, "mime": "image/png", "size": len(PNG)}

    _process(_record(connection, text_item("e1", text="", kind="image", media=media)))

    message = Message.objects.get()
    assert route.call_count == 1
    assert (message.kind, message.media_mime, message.media_size) == ("image", "image/png", 72)
    assert message.media.name.startswith("tenants/alpha/messages/")
    assert message.media_name == "image.png"
    assert (media_root / message.media.name).read_bytes() == PNG
    assert message.media_error == ""


@respx.mock
def test_a_file_announced_too_large_is_not_downloaded_and_the_message_says_why(
    connection, settings
):
    settings.CHANNEL_MEDIA_MAX_BYTES = 1000
    route = respx.get(FILE_URL).mock(return_value=httpx.Response(200, content=PNG))
    media = {"url": FILE_URL, "mime": "video/mp4", "size": 5000, "filename": "big.mp4"}

    _process(_record(connection, text_item("e1", text="olha", kind="video", media=media)))

    message = Message.objects.get()
    assert route.call_count == 0
    assert (message.kind, message.body, message.media_error) == ("video", "olha", "media_too_large")
    assert not message.media
    assert message.media_name == "big.mp4"
    assert message.payload["media_error"] == {
        "code": "media_too_large",
        "size": 5000,
        "max_bytes": 1000,
    }
    assert InboundEvent.objects.get().status == "processed"


@respx.mock
def test_a_file_larger_than_announced_is_refused_too(connection, settings):
    settings.CHANNEL_MEDIA_MAX_BYTES = 32
    respx.get(FILE_URL).mock(
        return_value=httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    )

    _process(_record(connection, text_item("e1", kind="image", media={"url": FILE_URL})))

    assert Message.objects.get().media_error == "media_too_large"


@respx.mock
def test_a_disallowed_file_type_is_stored_as_a_media_error(connection):
    respx.get(FILE_URL).mock(
        return_value=httpx.Response(
            200, content=b"MZ\x90\x00", headers={"content-type": "application/x-msdownload"}
        )
    )
    media = {"url": FILE_URL, "filename": "setup.exe"}

    _process(_record(connection, text_item("e1", kind="document", media=media)))

    message = Message.objects.get()
    assert message.media_error == "media_type_not_allowed"
    assert not message.media
    assert message.payload["media_error"]["mime"] == "application/x-msdownload"


@respx.mock
def test_a_temporary_download_failure_is_retried(connection):
    route = respx.get(FILE_URL).mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, content=PNG, headers={"content-type": "image/png"}),
        ]
    )

    _process(_record(connection, text_item("e1", kind="image", media={"url": FILE_URL})))

    message = Message.objects.get()
    assert route.call_count == 2
    assert message.media
    assert message.media_error == ""
    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == ("processed", 2)


@respx.mock
def test_a_file_the_provider_no_longer_has_is_a_media_error(connection):
    respx.get(FILE_URL).mock(return_value=httpx.Response(404))

    _process(_record(connection, text_item("e1", kind="image", media={"url": FILE_URL})))

    message = Message.objects.get()
    assert message.media_error == "media_download_failed"
    assert message.payload["media_error"] == {
        "code": "media_download_failed",
        "reason": "file gone",
    }


@respx.mock
def test_a_download_that_keeps_failing_stores_the_message_on_the_last_attempt(connection):
    route = respx.get(FILE_URL).mock(return_value=httpx.Response(502))

    _process(_record(connection, text_item("e1", kind="image", media={"url": FILE_URL})))

    assert route.call_count == MAX_PROCESS_ATTEMPTS
    assert Message.objects.get().media_error == "media_download_failed"


def test_statuses_only_move_forward(connection):
    message = MessageFactory(
        ticket=TicketFactory(connection=connection),
        direction="out",
        sender="agent",
        sender_contact=None,
        status="sent",
        provider_message_id="out-1",
    )
    status = {"type": "status", "message_id": "out-1"}

    _process(_record(connection, {**status, "id": "s1", "status": "read"}))
    _process(_record(connection, {**status, "id": "s2", "status": "delivered"}))

    message.refresh_from_db()
    assert message.status == "read"
    assert message.read_at is not None
    assert message.delivered_at is not None
    assert list(InboundEvent.objects.values_list("status", flat=True)) == ["processed"] * 2


def test_a_failed_status_carries_the_providers_reason(connection):
    message = MessageFactory(
        ticket=TicketFactory(connection=connection),
        direction="out",
        sender="agent",
        sender_contact=None,
        status="sent",
        provider_message_id="out-1",
    )
    status = {"type": "status", "id": "s1", "message_id": "out-1", "status": "failed"}

    _process(_record(connection, {**status, "error_code": "131047", "error_detail": "Re-engage"}))

    message.refresh_from_db()
    assert (message.status, message.error_code, message.error_detail) == (
        "failed",
        "131047",
        "Re-engage",
    )


def test_a_status_for_a_message_never_seen_is_retried_then_dropped(connection):
    _process(
        _record(connection, {"type": "status", "id": "s1", "message_id": "x", "status": "read"})
    )

    event = InboundEvent.objects.get()
    assert (event.status, event.attempts, event.last_error) == (
        "processed",
        MAX_PROCESS_ATTEMPTS,
        "unknown_message",
    )


def test_an_edit_replaces_the_text_and_keeps_the_previous_one(connection):
    _process(_record(connection, text_item("e1", text="Quero 2 pizzas", message_id="m1")))

    _process(
        _record(connection, text_item("e2", text="Quero 3 pizzas", message_id="m1", edit=True))
    )

    message = Message.objects.get()
    assert message.body == "Quero 3 pizzas"
    assert message.edited_at is not None
    assert list(MessageEdit.objects.values_list("previous_body", flat=True)) == ["Quero 2 pizzas"]


def test_a_deletion_soft_deletes_the_message(connection):
    _process(_record(connection, text_item("e1", text="ops", message_id="m1")))

    _process(_record(connection, text_item("e2", message_id="m1", delete=True)))

    message = Message.objects.get()
    assert message.deleted_at is not None
    assert message.body == "ops"  # kept for audit


def test_an_unsupported_item_is_kept_with_its_raw_payload(connection):
    raw = text_item("e1", text="", kind="unsupported", extra={"poll": {"question": "?"}})

    _process(_record(connection, raw))

    message = Message.objects.get()
    assert message.kind == "unsupported"
    assert message.payload["raw"] == raw
    assert message.payload["poll"] == {"question": "?"}


def test_a_new_ticket_gets_the_connections_greeting_after_the_customers_message(
    connection, django_capture_on_commit_callbacks
):
    ConnectionRouting.objects.update_or_create(
        connection=connection,
        defaults={"greeting_message": "{greeting} {name}! Protocolo {protocol}."},
    )

    with django_capture_on_commit_callbacks(execute=True):
        _process(_record(connection, text_item("e1", text="oi")))
        _process(_record(connection, text_item("e2", text="tem alguém?")))

    messages = list(Message.objects.order_by("id"))
    assert [(m.direction, m.sender) for m in messages] == [
        ("in", "contact"),
        ("out", "system"),
        ("in", "contact"),
    ]
    greeting = messages[1]
    assert greeting.body.endswith(f"Ana! Protocolo {greeting.ticket.protocol}.")
    assert (greeting.status, greeting.dispatched_at is not None) == ("queued", True)
    assert greeting.ticket.answered is False


def test_an_event_that_keeps_failing_is_marked_failed(connection):
    [event_id] = _record(connection, text_item("e1"))
    InboundEvent.objects.filter(pk=event_id).update(item={"not": "an item"})

    inbound_event_process_task.apply(args=(event_id,))

    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == ("failed", MAX_PROCESS_ATTEMPTS)
    assert "TypeError" in event.last_error
    assert not Message.objects.exists()


def test_events_of_one_tenant_are_processed_in_that_tenant(alpha, beta, sample_providers):
    at_beta = sample_connection(beta.tenant)
    with tenant_scope(beta.tenant):
        [event_id] = _record(at_beta, text_item("e1", text="beta only"))
        _process([event_id])
        assert Message.objects.get().body == "beta only"
    with tenant_scope(alpha.tenant):
        assert not Message.objects.exists()
