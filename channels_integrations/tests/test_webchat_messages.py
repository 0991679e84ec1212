"""Web chat visitor messages through the inbound pipeline (stored once per client id, processed
by the real Celery task into contact, ticket and message), files, throttling, and the history a
visitor may read."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_integrations.models import InboundEvent
from channels_integrations.tests.webchat_support import (
    base,
    deliver,
    history,
    make_widget,
    post,
    process,
    reply,
    token_for,
)
from conftest import host_client
from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tests.support.media_storage import media_fetch, stored_names
from tickets.models import Message, Ticket


@pytest.fixture
def widget(alpha):
    return make_widget(alpha.tenant, allowed_origins=["https://loja.example.com"])


def test_a_message_is_stored_once_per_client_id_then_processed_into_a_ticket(alpha, widget):
    token = token_for(alpha, widget)
    first = post(alpha, widget, token, client_id="cid-00000001", text="Oi, quero ajuda")
    again = post(alpha, widget, token, client_id="cid-00000001", text="Oi, quero ajuda")
    assert (first.status_code, first.json()) == (202, {"accepted": True, "duplicate": False})
    assert (again.status_code, again.json()) == (202, {"accepted": True, "duplicate": True})
    with tenant_scope(alpha.tenant):
        event = InboundEvent.objects.get()
        assert event.status == InboundEvent.Status.RECEIVED
        assert not Message.objects.exists()  # processing is the worker's job
    process(alpha)
    process(alpha)  # nothing new the second time
    with tenant_scope(alpha.tenant):
        message = Message.objects.get()
        assert (message.body, message.direction, message.sender) == (
            "Oi, quero ajuda",
            Message.Direction.INBOUND,
            Message.Sender.CONTACT,
        )
        ticket = message.ticket
        assert ticket.connection_id == widget.pk
        assert ticket.contact == Contact.objects.get()
        assert ticket.contact.identities.get().provider == "webchat"
        assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED
    messages = history(alpha, widget, token).json()["messages"]
    assert [(m["from"], m["body"], m["client_id"]) for m in messages] == [
        ("visitor", "Oi, quero ajuda", "cid-00000001")
    ]


def test_a_second_message_joins_the_visitors_open_ticket(alpha, widget):
    token = token_for(alpha, widget)
    post(alpha, widget, token, client_id="cid-00000001", text="um")
    process(alpha)
    post(alpha, widget, token, client_id="cid-00000002", text="dois")
    process(alpha)
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.count() == 1
        assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == [
            "um",
            "dois",
        ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"client_id": "short", "text": "oi"}, "client_id"),
        ({"client_id": "cid with spaces", "text": "oi"}, "client_id"),
        ({"text": "oi"}, "client_id"),
        ({"client_id": "cid-00000002", "text": "   "}, "text"),
        ({"client_id": "cid-00000003", "text": "x" * 4097}, "text"),
    ],
)
def test_bad_messages_are_400_and_store_nothing(alpha, widget, data, field):
    token = token_for(alpha, widget)
    response = post(alpha, widget, token, **data)
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["extra"]["fields"]
    with tenant_scope(alpha.tenant):
        assert not InboundEvent.objects.exists()


def _upload(fixture, connection, token, client_id, file, text=""):
    return host_client(fixture.host).post(
        base(connection) + "api/messages",
        {"client_id": client_id, "text": text, "file": file},
        HTTP_X_VISITOR_TOKEN=token,
    )


def _stored_files():
    return stored_names(default_storage)


def test_files_outside_the_limits_are_refused_before_anything_is_stored(
    alpha, widget, media_backend, monkeypatch
):
    monkeypatch.setattr("tickets.media.MEDIA_MAX_BYTES", 1024)
    token = token_for(alpha, widget)
    wrong_type = _upload(
        alpha, widget, token, "cid-file-0001", SimpleUploadedFile("x.html", b"<b>", "text/html")
    )
    too_large = _upload(
        alpha,
        widget,
        token,
        "cid-file-0002",
        SimpleUploadedFile("big.pdf", b"%PDF-1.4" + b"0" * 1024, "application/pdf"),
    )
    assert wrong_type.status_code == 400
    assert wrong_type.json()["code"] == "media_type_not_allowed"
    assert too_large.status_code == 400
    assert too_large.json()["code"] == "media_too_large"
    assert too_large.json()["extra"]["max_bytes"] == 1024
    assert _stored_files() == []
    with tenant_scope(alpha.tenant):
        assert not InboundEvent.objects.exists()


def test_a_file_arrives_as_media_once_even_when_the_upload_is_retried(alpha, widget, media_backend):
    """On the local disk and on the object store alike."""
    token = token_for(alpha, widget)
    for _ in range(2):
        accepted = _upload(
            alpha,
            widget,
            token,
            "cid-file-0003",
            SimpleUploadedFile("comprovante.pdf", b"%PDF-1.4", "application/pdf"),
            text="segue o comprovante",
        )
        assert accepted.status_code == 202, accepted.content
    assert accepted.json()["duplicate"] is True
    assert len(_stored_files()) == 1  # the retry kept nothing
    process(alpha)
    with tenant_scope(alpha.tenant):
        message = Message.objects.get()
        assert (message.kind, message.body, message.media_name, message.media_error) == (
            "document",
            "segue o comprovante",
            "comprovante.pdf",
            "",
        )
        assert message.media.name.startswith("tenants/alpha/messages/")
    [item] = history(alpha, widget, token).json()["messages"]
    assert item["media_name"] == "comprovante.pdf"
    client = host_client(alpha.host)
    media = media_fetch(
        client, base(widget) + f"api/media/{item['id']}", HTTP_X_VISITOR_TOKEN=token
    )
    assert media.status == 200
    assert media.body == b"%PDF-1.4"
    other = token_for(alpha, widget, name="Outra")
    stranger = client.get(base(widget) + f"api/media/{item['id']}", HTTP_X_VISITOR_TOKEN=other)
    assert stranger.status_code == 404


def test_sending_too_fast_is_throttled_per_visitor_with_retry_after(alpha, widget, monkeypatch):
    from channels_integrations.services import webchat

    monkeypatch.setitem(webchat.LIMITS, "message", (2, 60))
    token = token_for(alpha, widget)
    other = token_for(alpha, widget, name="Outra")
    codes = [
        post(alpha, widget, token, client_id=f"cid-fast-000{n}", text="oi").status_code
        for n in range(3)
    ]
    assert codes == [202, 202, 429]
    refused = post(alpha, widget, token, client_id="cid-fast-0009", text="oi")
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 61
    # Another visitor on the same address still gets through.
    assert post(alpha, widget, other, client_id="cid-other-001", text="oi").status_code == 202
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.count() == 3


def test_one_address_is_throttled_across_visitors(alpha, widget, monkeypatch):
    from channels_integrations.services import webchat

    monkeypatch.setitem(webchat.LIMITS, "message_ip", (3, 60))
    tokens = [token_for(alpha, widget, name=f"V{n}") for n in range(4)]
    codes = [
        post(alpha, widget, token, client_id=f"cid-ip-0000{n}", text="oi").status_code
        for n, token in enumerate(tokens)
    ]
    assert codes == [202, 202, 202, 429]
    elsewhere = host_client(alpha.host)
    elsewhere.defaults["REMOTE_ADDR"] = "203.0.113.9"
    response = post(alpha, widget, tokens[3], client=elsewhere, client_id="cid-ip-09", text="oi")
    assert response.status_code == 202


def test_history_has_only_the_public_messages_of_the_visitors_own_tickets(
    alpha, widget, django_capture_on_commit_callbacks
):
    ana = token_for(alpha, widget, name="Ana")
    bia = token_for(alpha, widget, name="Bia")
    other_widget = make_widget(alpha.tenant)
    ana_elsewhere = token_for(alpha, other_widget, name="Ana")
    post(alpha, widget, ana, client_id="cid-ana-0001", text="ana aqui")
    post(alpha, widget, bia, client_id="cid-bia-0001", text="bia aqui")
    post(alpha, other_widget, ana_elsewhere, client_id="cid-ana-0002", text="outro site")
    process(alpha)
    with tenant_scope(alpha.tenant):
        ana_ticket = Ticket.objects.get(contact__name="Ana", connection=widget).pk
    reply(alpha, ana_ticket, "nota interna", django_capture_on_commit_callbacks, note=True)
    answer = reply(alpha, ana_ticket, "Olá Ana", django_capture_on_commit_callbacks)
    queued = reply(alpha, ana_ticket, "ainda na fila", django_capture_on_commit_callbacks)
    removed = reply(alpha, ana_ticket, "apagada", django_capture_on_commit_callbacks)
    assert deliver(alpha, answer) == deliver(alpha, removed) == "sent"
    with tenant_scope(alpha.tenant):
        Message.objects.filter(pk=removed.pk).update(deleted_at=removed.created_at)
    bodies = [(m["from"], m["body"]) for m in history(alpha, widget, ana).json()["messages"]]
    # The reply still queued comes once the outbound pipeline delivers it (live, then here).
    assert bodies == [("visitor", "ana aqui"), ("agent", "Olá Ana")]
    assert deliver(alpha, queued) == "sent"
    assert history(alpha, widget, ana).json()["messages"][-1]["body"] == "ainda na fila"
    assert [m["body"] for m in history(alpha, widget, bia).json()["messages"]] == ["bia aqui"]
    elsewhere = history(alpha, other_widget, ana_elsewhere).json()["messages"]
    assert [m["body"] for m in elsewhere] == ["outro site"]


def test_the_greeting_is_in_the_history(alpha, django_capture_on_commit_callbacks):
    widget = make_widget(alpha.tenant, greeting="Olá {name}! Já vamos atender.")
    token = token_for(alpha, widget, name="Ana")
    post(alpha, widget, token, client_id="cid-ana-0001", text="oi")
    process(alpha, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        greeting = Message.objects.get(sender=Message.Sender.SYSTEM)
    assert deliver(alpha, greeting) == "sent"
    bodies = [(m["from"], m["body"]) for m in history(alpha, widget, token).json()["messages"]]
    assert bodies == [("visitor", "oi"), ("agent", "Olá Ana! Já vamos atender.")]


def test_reading_the_history_too_often_is_throttled(alpha, widget, monkeypatch):
    from channels_integrations.services import webchat

    monkeypatch.setitem(webchat.LIMITS, "read", (2, 60))
    token = token_for(alpha, widget)
    codes = [history(alpha, widget, token).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    other = token_for(alpha, widget, name="Outra")
    assert history(alpha, widget, other).status_code == 200
