"""The web chat visitor's socket on the production ASGI application and the Redis channel layer:
agent replies delivered live by the real outbound task, the visitor's own messages ticked once
stored, and nobody hearing anybody else (notes, other visitors, other tenants, agents' creds)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer

from accounts.tests.factories import AdminFactory
from accounts.tokens import issue_token_pair
from channels_integrations.models import OutboundChange, OutboundDelivery
from channels_integrations.tasks import outbound_change_deliver_task
from channels_integrations.tests.webchat_support import (
    TIMEOUT,
    deliver,
    history,
    make_widget,
    post,
    process,
    reply,
    ticket_of,
    token_for,
    visitor_socket,
)
from contacts.models import ContactIdentity
from tenants.realtime import visitor_group
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.services.messages import message_delete, message_edit


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open(monkeypatch):
    """Channels closes old connections around database calls; that would close the test's."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


@pytest.fixture
def widget(alpha):
    return make_widget(alpha.tenant, allowed_origins=["https://loja.example.com"])


async def _open(socket) -> None:
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "hello"}


def test_an_agent_reply_reaches_only_its_visitors_socket_and_a_note_never_does(
    alpha, widget, django_capture_on_commit_callbacks
):
    ana = token_for(alpha, widget, name="Ana")
    bia = token_for(alpha, widget, name="Bia")
    post(alpha, widget, ana, client_id="cid-ana-0001", text="Olá")
    post(alpha, widget, bia, client_id="cid-bia-0001", text="Bom dia")
    process(alpha)
    ana_ticket = ticket_of(alpha, "Ana")
    capture = django_capture_on_commit_callbacks

    async def body() -> None:
        ana_socket = visitor_socket(alpha, widget, ana, origin=f"http://{alpha.host}")
        bia_socket = visitor_socket(alpha, widget, bia)
        await _open(ana_socket)
        await _open(bia_socket)
        await sync_to_async(reply)(alpha, ana_ticket, "nota interna", capture, note=True)
        answer = await sync_to_async(reply)(alpha, ana_ticket, "Olá Ana, tudo bem?", capture)
        assert await ana_socket.receive_nothing(timeout=0.2)  # queued, not yet delivered
        assert await sync_to_async(deliver)(alpha, answer) == "sent"
        event = await ana_socket.receive_json_from(timeout=TIMEOUT)
        assert event["type"] == "message"
        assert {k: event["message"][k] for k in ("id", "from", "body", "status")} == {
            "id": str(answer.public_id),
            "from": "agent",
            "body": "Olá Ana, tudo bem?",
            "status": "sent",
        }
        assert await ana_socket.receive_nothing(timeout=0.3)  # not the note
        assert await bia_socket.receive_nothing(timeout=0.3)  # not another visitor's reply
        await ana_socket.disconnect()
        await bia_socket.disconnect()

    async_to_sync(body)()
    with tenant_scope(alpha.tenant):
        sent = Message.objects.get(body="Olá Ana, tudo bem?")
        assert sent.status == Message.Status.SENT
        ana_id = ContactIdentity.objects.get(contact__name="Ana").external_id
        assert sent.provider_message_id == f"webchat-{ana_id}-out.{sent.public_id}"
        note = Message.objects.get(body="nota interna")
        assert note.is_note
        assert not OutboundDelivery.objects.filter(message=note).exists()
        assert OutboundDelivery.objects.filter(message=sent).exists()


def test_a_visitor_socket_open_past_the_group_expiry_still_hears_the_agent(
    alpha, widget, django_capture_on_commit_callbacks, monkeypatch
):
    """The layer forgets a group member ``group_expiry`` seconds after it joined; the visitor's
    socket joins its groups again before that. The real layer's expiry is shortened to 2 s."""
    expiry = 2
    monkeypatch.setattr(get_channel_layer(), "group_expiry", expiry)
    ana = token_for(alpha, widget, name="Ana")
    post(alpha, widget, ana, client_id="cid-long-0001", text="Olá")
    process(alpha)
    ticket = ticket_of(alpha, "Ana")

    async def body() -> dict:
        socket = visitor_socket(alpha, widget, ana)
        await _open(socket)
        await asyncio.sleep(2 * expiry)  # the first membership is older than the expiry
        answer = await sync_to_async(reply)(
            alpha, ticket, "Ainda aqui?", django_capture_on_commit_callbacks
        )
        assert await sync_to_async(deliver)(alpha, answer) == "sent"
        event = await socket.receive_json_from(timeout=TIMEOUT)
        await socket.disconnect()
        return event

    event = async_to_sync(body)()
    assert event["type"] == "message"
    assert event["message"]["body"] == "Ainda aqui?"


def test_the_visitors_message_is_ticked_on_their_socket_once_stored(
    alpha, widget, django_capture_on_commit_callbacks
):
    ana = token_for(alpha, widget, name="Ana")
    bia = token_for(alpha, widget, name="Bia")

    async def body() -> None:
        ana_socket = visitor_socket(alpha, widget, ana)
        bia_socket = visitor_socket(alpha, widget, bia)
        await _open(ana_socket)
        await _open(bia_socket)
        response = await sync_to_async(post)(alpha, widget, ana, client_id="cid-tick-01", text="oi")
        assert response.status_code == 202
        assert await ana_socket.receive_nothing(timeout=0.2)  # recorded, not processed yet
        await sync_to_async(process)(alpha, django_capture_on_commit_callbacks)
        event = await ana_socket.receive_json_from(timeout=TIMEOUT)
        assert event["type"] == "message"
        assert {k: event["message"][k] for k in ("from", "client_id", "body", "status")} == {
            "from": "visitor",
            "client_id": "cid-tick-01",
            "body": "oi",
            "status": "delivered",
        }
        assert await bia_socket.receive_nothing(timeout=0.3)
        await ana_socket.disconnect()
        await bia_socket.disconnect()

    async_to_sync(body)()


def test_the_greeting_is_pushed_live_by_the_outbound_pipeline(
    alpha, django_capture_on_commit_callbacks
):
    widget = make_widget(alpha.tenant, greeting="Olá {name}!")
    ana = token_for(alpha, widget, name="Ana")
    post(alpha, widget, ana, client_id="cid-ana-0001", text="oi")

    async def body() -> None:
        socket = visitor_socket(alpha, widget, ana)
        await _open(socket)
        await sync_to_async(process)(alpha, django_capture_on_commit_callbacks)
        tick = await socket.receive_json_from(timeout=TIMEOUT)
        assert tick["message"]["client_id"] == "cid-ana-0001"
        greeting = await sync_to_async(_greeting)(alpha)
        assert await sync_to_async(deliver)(alpha, greeting) == "sent"
        event = await socket.receive_json_from(timeout=TIMEOUT)
        assert (event["message"]["from"], event["message"]["body"]) == ("agent", "Olá Ana!")
        await socket.disconnect()

    async_to_sync(body)()


def _greeting(fixture) -> Message:
    with tenant_scope(fixture.tenant):
        return Message.objects.get(sender=Message.Sender.SYSTEM)


def test_the_socket_refuses_missing_bad_and_foreign_tokens_with_4403(alpha, beta, widget):
    good = token_for(alpha, widget)
    beta_token = token_for(beta, make_widget(beta.tenant))
    other_widget = make_widget(alpha.tenant)

    async def body() -> None:
        for connection, token in [
            (widget, ""),
            (widget, "garbage"),
            (widget, good[:-2] + "xx"),
            (widget, beta_token),
            (other_widget, good),
        ]:
            socket = visitor_socket(alpha, connection, token)
            connected, _ = await socket.connect(timeout=TIMEOUT)
            assert connected
            closed = await socket.receive_output(timeout=TIMEOUT)
            assert closed == {"type": "websocket.close", "code": 4403}
            await socket.disconnect()  # end the consumer cleanly, not by cancelling its task

    async_to_sync(body)()


def test_an_agents_credentials_do_not_open_a_visitors_socket(alpha, widget):
    with tenant_scope(alpha.tenant):
        access = issue_token_pair(AdminFactory())["access"]

    async def body() -> None:
        socket = visitor_socket(alpha, widget, "", query=f"&access_token={access}")
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert connected
        assert await socket.receive_output(timeout=TIMEOUT) == {
            "type": "websocket.close",
            "code": 4403,
        }
        await socket.disconnect()

    async_to_sync(body)()


def test_a_foreign_origin_cannot_open_the_visitors_socket(alpha, widget):
    token = token_for(alpha, widget)

    async def body() -> None:
        socket = visitor_socket(alpha, widget, token, origin="https://loja.example.com")
        connected, _ = await socket.connect(timeout=TIMEOUT)
        assert not connected  # the page on our origin opens it, never the embedding site

    async_to_sync(body)()


def test_the_same_visitor_id_in_two_tenants_stays_apart(
    alpha, beta, monkeypatch, django_capture_on_commit_callbacks
):
    same = uuid.UUID("0123456789abcdef0123456789abcdef")
    monkeypatch.setattr("channels_integrations.services.webchat.uuid.uuid4", lambda: same)
    alpha_widget = make_widget(alpha.tenant)
    beta_widget = make_widget(beta.tenant)
    alpha_token = token_for(alpha, alpha_widget, name="Ana")
    beta_token = token_for(beta, beta_widget, name="Ana")
    with tenant_scope(alpha.tenant):
        alpha_group = visitor_group(alpha_widget.pk, same.hex)
    with tenant_scope(beta.tenant):
        beta_group = visitor_group(beta_widget.pk, same.hex)
    assert alpha_group != beta_group
    assert (alpha_group.startswith("t.alpha."), beta_group.startswith("t.beta.")) == (True, True)
    post(alpha, alpha_widget, alpha_token, client_id="cid-same-0001", text="alpha")
    post(beta, beta_widget, beta_token, client_id="cid-same-0001", text="beta")
    process(alpha)
    process(beta)
    for fixture, text in ((alpha, "alpha"), (beta, "beta")):
        with tenant_scope(fixture.tenant):
            assert list(Message.objects.values_list("body", flat=True)) == [text]
    assert [m["body"] for m in history(beta, beta_widget, beta_token).json()["messages"]] == [
        "beta"
    ]
    alpha_ticket = ticket_of(alpha, "Ana")

    async def body() -> None:
        alpha_socket = visitor_socket(alpha, alpha_widget, alpha_token)
        beta_socket = visitor_socket(beta, beta_widget, beta_token)
        await _open(alpha_socket)
        await _open(beta_socket)
        answer = await sync_to_async(reply)(
            alpha, alpha_ticket, "só para alpha", django_capture_on_commit_callbacks
        )
        assert await sync_to_async(deliver)(alpha, answer) == "sent"
        event = await alpha_socket.receive_json_from(timeout=TIMEOUT)
        assert event["message"]["body"] == "só para alpha"
        assert await beta_socket.receive_nothing(timeout=0.3)
        await alpha_socket.disconnect()
        await beta_socket.disconnect()

    async_to_sync(body)()


def test_suspending_the_tenant_or_disabling_the_widget_closes_its_visitors_sockets(
    alpha, beta, widget, django_capture_on_commit_callbacks
):
    from channels_integrations.services.connections import connection_disable
    from tenants.services import tenant_resume, tenant_suspend

    other_widget = make_widget(alpha.tenant)
    beta_widget = make_widget(beta.tenant)
    tokens = {
        "widget": token_for(alpha, widget),
        "other": token_for(alpha, other_widget),
        "beta": token_for(beta, beta_widget),
    }
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()

    def disable_widget() -> None:
        with django_capture_on_commit_callbacks(execute=True), tenant_scope(alpha.tenant):
            connection_disable(connection=widget, by=admin)

    def suspend_alpha() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            tenant_suspend(tenant=alpha.tenant)

    async def body() -> None:
        on_widget = visitor_socket(alpha, widget, tokens["widget"])
        on_other = visitor_socket(alpha, other_widget, tokens["other"])
        on_beta = visitor_socket(beta, beta_widget, tokens["beta"])
        for socket in (on_widget, on_other, on_beta):
            await _open(socket)
        # Disabling one widget closes its visitors (4403), not the other widget's.
        await sync_to_async(disable_widget)()
        closed = await on_widget.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": 4403}
        assert await on_other.receive_nothing(timeout=0.2)
        # Suspending alpha closes its remaining visitors (4423); beta's stay open.
        await sync_to_async(suspend_alpha)()
        closed = await on_other.receive_output(timeout=TIMEOUT)
        assert closed == {"type": "websocket.close", "code": 4423}
        await on_beta.send_json_to({"type": "ping"})
        assert await on_beta.receive_json_from(timeout=TIMEOUT) == {"type": "pong"}
        for socket in (on_widget, on_other, on_beta):
            await socket.disconnect()

    try:
        async_to_sync(body)()
    finally:
        tenant_resume(tenant=alpha.tenant)


def test_an_edit_and_a_deletion_reach_the_visitors_open_widget_and_history(
    alpha, widget, django_capture_on_commit_callbacks
):
    ana = token_for(alpha, widget, name="Ana")
    bia = token_for(alpha, widget, name="Bia")
    post(alpha, widget, ana, client_id="cid-ana-0009", text="Olá")
    process(alpha)
    capture = django_capture_on_commit_callbacks
    answer = reply(alpha, ticket_of(alpha, "Ana"), "Sai amanhã", capture)
    assert deliver(alpha, answer) == "sent"

    def change(action) -> None:
        with tenant_scope(alpha.tenant):
            message = Message.objects.get(pk=answer.pk)
            with capture(execute=True):
                action(message)
            for pk in OutboundChange.objects.filter(status="pending").values_list("pk", flat=True):
                assert outbound_change_deliver_task.apply(args=(pk,)).get() == "sent"

    def edit(message):
        message_edit(message=message, by=message.sender_user, body="Sai hoje")

    def delete(message):
        message_delete(message=message, by=message.sender_user)

    async def body() -> None:
        ana_socket = visitor_socket(alpha, widget, ana)
        bia_socket = visitor_socket(alpha, widget, bia)
        await _open(ana_socket)
        await _open(bia_socket)
        await sync_to_async(change)(edit)
        event = await ana_socket.receive_json_from(timeout=TIMEOUT)
        assert event["message"] == {
            "id": str(answer.public_id),
            "from": "agent",
            "update": True,
            "body": "Sai hoje",
        }
        texts = [
            m["body"] for m in (await sync_to_async(history)(alpha, widget, ana)).json()["messages"]
        ]
        assert texts == ["Olá", "Sai hoje"]
        await sync_to_async(change)(delete)
        event = await ana_socket.receive_json_from(timeout=TIMEOUT)
        assert event["message"] == {
            "id": str(answer.public_id),
            "from": "agent",
            "update": True,
            "deleted": True,
        }
        assert await bia_socket.receive_nothing(timeout=0.3)  # another visitor hears nothing
        await ana_socket.disconnect()
        await bia_socket.disconnect()

    async_to_sync(body)()
    with tenant_scope(alpha.tenant):
        assert Message.objects.get(pk=answer.pk).customer_copy == Message.CustomerCopy.CHANGED
    texts = [m["body"] for m in history(alpha, widget, ana).json()["messages"]]
    assert texts == ["Olá"]
