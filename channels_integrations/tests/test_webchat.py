"""The web chat widget end to end on real PostgreSQL, Redis, Celery tasks (``apply``) and the
production ASGI stack: embedding rules, visitor tokens, messages through the inbound pipeline,
replies through the outbound pipeline to the visitor's live socket, isolation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import get_default_application
from channels.testing import WebsocketCommunicator
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from channels_integrations.models import ChannelConnection, InboundEvent
from channels_integrations.providers.webchat.provider import WebchatProvider
from channels_integrations.services.connections import connection_create
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.support import process_all
from conftest import host_client
from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.services.messages import message_send, note_add
from tickets.tests.factories import AdminFactory

application = get_default_application()
TIMEOUT = 2


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open(monkeypatch):
    """Channels closes old connections around database calls; that would close the test's."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _widget(tenant, **settings_: Any) -> ChannelConnection:
    with tenant_scope(tenant):
        return connection_create(
            by=User.objects.filter(role=User.Role.ADMIN).order_by("pk")[0],
            provider="webchat",
            name="Site",
            credentials=settings_,
        )


@pytest.fixture
def widget(alpha):
    return _widget(alpha.tenant, allowed_origins=["https://loja.example.com"], title="Fale conosco")


def _base(connection) -> str:
    return f"/widget/{connection.public_id}/"


def _start(fixture, connection, **data):
    body = {"name": "Maria Cliente", **data}
    return host_client(fixture.host).post(
        _base(connection) + "api/start", json.dumps(body), content_type="application/json"
    )


def _token(fixture, connection, **data) -> str:
    response = _start(fixture, connection, **data)
    assert response.status_code == 201, response.content
    return str(response.json()["token"])


def _post(fixture, connection, token, **data):
    return host_client(fixture.host).post(
        _base(connection) + "api/messages",
        json.dumps(data),
        content_type="application/json",
        HTTP_X_VISITOR_TOKEN=token,
    )


def _history(fixture, connection, token):
    return host_client(fixture.host).get(
        _base(connection) + "api/messages", HTTP_X_VISITOR_TOKEN=token
    )


# ------------------------------------------------------------------ embedding


def test_the_loader_is_javascript_with_the_frame_url_and_allowed_origins(alpha, widget):
    response = host_client(alpha.host).get(f"/widget/{widget.public_id}.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    body = response.content.decode()
    assert f"/widget/{widget.public_id}/" in body
    assert "https://loja.example.com" in body
    unknown = host_client(alpha.host).get(f"/widget/{uuid.uuid4()}.js")
    assert unknown.status_code == 404


def test_the_chat_page_may_be_framed_only_by_the_allowed_origins(alpha, widget):
    response = host_client(alpha.host).get(_base(widget))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://loja.example.com;" in policy
    assert "X-Frame-Options" not in response  # frame-ancestors governs framing here
    assert b"Fale conosco" in response.content


def test_a_disabled_or_other_tenants_widget_is_not_found(alpha, beta, widget):
    assert host_client(beta.host).get(_base(widget)).status_code == 404
    assert _start(beta, widget).status_code == 404
    with tenant_scope(alpha.tenant):
        ChannelConnection.objects.filter(pk=widget.pk).update(is_active=False)
    assert host_client(alpha.host).get(_base(widget)).status_code == 404


def test_settings_are_validated_when_the_connection_is_created(alpha):
    from core.exceptions import FieldValidationError

    with pytest.raises(FieldValidationError) as error:
        _widget(alpha.tenant, allowed_origins=["https://site.example.com/path", "ftp://x"])
    assert "allowed_origins" in error.value.extra["fields"]["credentials"]
    normalized = _widget(alpha.tenant, allowed_origins=["https://Site.Example.com:8443/"])
    with tenant_scope(alpha.tenant):
        assert normalized.credentials["allowed_origins"] == ["https://site.example.com:8443"]


# ------------------------------------------------------------------ visitors


def test_starting_validates_name_email_and_phone_and_stores_nothing_when_refused(alpha, widget):
    refused = _start(alpha, widget, name=" ", email="not-an-email", phone="12")
    assert refused.status_code == 400
    assert set(refused.json()["extra"]["fields"]) == {"name", "email", "phone"}
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.exists()

    started = _start(alpha, widget, email="Maria@Example.com", phone="(11) 98765-4321")
    assert started.status_code == 201
    assert started.cookies[f"tt_wc_{widget.public_id.hex}"]["samesite"] == "None"
    assert started.cookies[f"tt_wc_{widget.public_id.hex}"]["httponly"]
    with tenant_scope(alpha.tenant):
        contact = Contact.objects.get()
        assert (contact.name, contact.email, contact.phone) == (
            "Maria Cliente",
            "maria@example.com",
            "+5511987654321",
        )


def test_a_tampered_foreign_or_missing_token_is_403(alpha, beta, widget):
    token = _token(alpha, widget)
    other_widget = _widget(alpha.tenant)
    beta_widget = _widget(beta.tenant)
    beta_token = _token(beta, beta_widget)
    for connection, fixture, bad in [
        (widget, alpha, ""),
        (widget, alpha, token[:-2] + "xx"),
        (other_widget, alpha, token),  # issued by another widget of the same tenant
        (widget, alpha, beta_token),  # issued by another tenant
    ]:
        response = _history(fixture, connection, bad)
        assert response.status_code == 403, bad
        assert response.json()["code"] == "visitor_forbidden"
    assert _history(alpha, widget, token).status_code == 200


def test_a_message_is_recorded_once_per_client_id_then_processed_into_a_ticket(alpha, widget):
    token = _token(alpha, widget)
    first = _post(alpha, widget, token, client_id="cid-00000001", text="Oi, quero ajuda")
    again = _post(alpha, widget, token, client_id="cid-00000001", text="Oi, quero ajuda")
    assert (first.status_code, first.json()["duplicate"]) == (202, False)
    assert (again.status_code, again.json()["duplicate"]) == (202, True)
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.count() == 1
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        message = Message.objects.get()
        assert message.body == "Oi, quero ajuda"
        assert message.ticket.connection_id == widget.pk
        assert message.ticket.contact.name == "Maria Cliente"
    history = _history(alpha, widget, token).json()["messages"]
    assert [(m["from"], m["body"], m["client_id"]) for m in history] == [
        ("visitor", "Oi, quero ajuda", "cid-00000001")
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"client_id": "short", "text": "oi"}, "client_id"),
        ({"client_id": "cid-00000002", "text": ""}, "text"),
        ({"client_id": "cid-00000003", "text": "x" * 4097}, "text"),
    ],
)
def test_bad_messages_are_400_and_store_nothing(alpha, widget, data, field):
    token = _token(alpha, widget)
    response = _post(alpha, widget, token, **data)
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.count() == 0


def test_files_are_checked_before_storing_and_arrive_as_media(alpha, widget, media_root):
    token = _token(alpha, widget)
    client = host_client(alpha.host)
    url = _base(widget) + "api/messages"
    refused = client.post(
        url,
        {"client_id": "cid-file-0001", "file": SimpleUploadedFile("x.html", b"<b>", "text/html")},
        HTTP_X_VISITOR_TOKEN=token,
    )
    assert refused.status_code == 400
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    accepted = client.post(
        url,
        {
            "client_id": "cid-file-0002",
            "text": "segue o comprovante",
            "file": SimpleUploadedFile("comprovante.pdf", b"%PDF-1.4", "application/pdf"),
        },
        HTTP_X_VISITOR_TOKEN=token,
    )
    assert accepted.status_code == 202, accepted.content
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        message = Message.objects.get()
        assert (message.kind, message.media_name, message.media_error) == (
            "document",
            "comprovante.pdf",
            "",
        )
        assert message.media.name.startswith("tenants/alpha/messages/")
    [item] = _history(alpha, widget, token).json()["messages"]
    media = client.get(_base(widget) + f"api/media/{item['id']}", HTTP_X_VISITOR_TOKEN=token)
    assert media.status_code == 200
    assert b"".join(media.streaming_content) == b"%PDF-1.4"


def test_sending_too_fast_is_throttled_with_retry_after(alpha, widget, monkeypatch):
    from channels_integrations.services import webchat

    monkeypatch.setitem(webchat.LIMITS, "message", (2, 60))
    token = _token(alpha, widget)
    codes = [
        _post(alpha, widget, token, client_id=f"cid-fast-000{n}", text="oi").status_code
        for n in range(3)
    ]
    assert codes == [202, 202, 429]
    last = _post(alpha, widget, token, client_id="cid-fast-0009", text="oi")
    assert int(last["Retry-After"]) > 0


# ------------------------------------------------------------------ replies, live


def _visitor_socket(fixture, connection, token) -> WebsocketCommunicator:
    headers = [(b"host", fixture.host.encode())]
    return WebsocketCommunicator(
        application, f"/ws/widget/{connection.public_id}/?token={token}", headers=headers
    )


def _reply(fixture, ticket_id, body, capture, *, note=False):
    with tenant_scope(fixture.tenant), capture(execute=True):
        ticket = Ticket.objects.get(pk=ticket_id)
        agent = AdminFactory()
        if note:
            return note_add(ticket=ticket, by=agent, body=body)
        ticket.status = Ticket.Status.OPEN
        ticket.assignee = agent
        ticket.save()
        return message_send(ticket=ticket, by=agent, body=body)


def _deliver(fixture, message) -> str:
    with tenant_scope(fixture.tenant):
        message.refresh_from_db()
        return str(outbound_message_deliver_task.apply(args=(message.delivery.pk,)).get())


def test_an_agent_reply_reaches_the_visitors_socket_live_and_a_note_never_does(
    alpha, widget, django_capture_on_commit_callbacks
):
    ana = _token(alpha, widget)
    bia = _token(alpha, widget, name="Bia")
    _post(alpha, widget, ana, client_id="cid-ana-0001", text="Olá")
    _post(alpha, widget, bia, client_id="cid-bia-0001", text="Bom dia")
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        ana_ticket = Ticket.objects.get(contact__name="Maria Cliente").pk

    async def body() -> None:
        ana_socket = _visitor_socket(alpha, widget, ana)
        bia_socket = _visitor_socket(alpha, widget, bia)
        for socket in (ana_socket, bia_socket):
            connected, _ = await socket.connect(timeout=TIMEOUT)
            assert connected
            assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "hello"
        await sync_to_async(_reply)(
            alpha, ana_ticket, "nota interna", django_capture_on_commit_callbacks, note=True
        )
        reply = await sync_to_async(_reply)(
            alpha, ana_ticket, "Olá Maria, como posso ajudar?", django_capture_on_commit_callbacks
        )
        assert await sync_to_async(_deliver)(alpha, reply) == "sent"
        event = await ana_socket.receive_json_from(timeout=TIMEOUT)
        assert event["type"] == "message"
        assert event["message"]["body"] == "Olá Maria, como posso ajudar?"
        assert event["message"]["id"] == str(reply.public_id)
        assert await ana_socket.receive_nothing(timeout=0.3)  # not the note
        assert await bia_socket.receive_nothing(timeout=0.3)  # not another visitor's reply
        await ana_socket.disconnect()
        await bia_socket.disconnect()

    async_to_sync(body)()
    with tenant_scope(alpha.tenant):
        sent = Message.objects.get(body="Olá Maria, como posso ajudar?")
        assert sent.status == Message.Status.SENT
        assert sent.provider_message_id == f"webchat-{sent.public_id}"
    bodies = [m["body"] for m in _history(alpha, widget, ana).json()["messages"]]
    assert "nota interna" not in bodies
    assert bodies[-1] == "Olá Maria, como posso ajudar?"


def test_the_visitor_socket_refuses_missing_bad_and_foreign_tokens(alpha, beta, widget):
    beta_token = _token(beta, _widget(beta.tenant))

    async def body() -> None:
        for token in ("", "garbage", beta_token):
            socket = _visitor_socket(alpha, widget, token)
            connected, _ = await socket.connect(timeout=TIMEOUT)
            assert connected
            closed = await socket.receive_output(timeout=TIMEOUT)
            assert closed == {"type": "websocket.close", "code": 4403}

    async_to_sync(body)()


def test_the_same_visitor_ids_in_two_tenants_stay_apart(alpha, beta, widget):
    beta_widget = _widget(beta.tenant)
    _post(alpha, widget, _token(alpha, widget), client_id="cid-same-0001", text="alpha")
    _post(beta, beta_widget, _token(beta, beta_widget), client_id="cid-same-0001", text="beta")
    process_all(alpha.tenant)
    process_all(beta.tenant)
    for fixture, text in ((alpha, "alpha"), (beta, "beta")):
        with tenant_scope(fixture.tenant):
            assert list(Message.objects.values_list("body", flat=True)) == [text]


def test_the_provider_is_registered_without_secrets():
    assert WebchatProvider.secret_fields == ()
    assert WebchatProvider.webhook_routing == ""
