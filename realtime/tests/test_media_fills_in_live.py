"""A file the provider does not hand over at once: the message is shown at the first attempt
with "loading", the file fills in live (a ``message.updated`` event on the agents' socket) when a
retry gets it, and a file never had says "unavailable" with the reason (issue 20, item 13).
Through the Telegram webhook URL, the real processing service and the agents' /ws/ socket."""

from __future__ import annotations

import html

import httpx
import pytest
import respx
from asgiref.sync import async_to_sync, sync_to_async

from accounts.tests.factories import AdminFactory
from channels_integrations.models import InboundEvent
from channels_integrations.providers.telegram.tests.support import (
    api_url,
    file_url,
    fixture_bytes,
    ok,
    post_update,
    telegram_connection,
)
from channels_integrations.services.inbound import (
    MAX_PROCESS_ATTEMPTS,
    InboundRetryLater,
    inbound_event_process,
)
from conftest import signed_in_client
from realtime.tests.conftest import open_socket, receive, socket_for
from tenants.tenancy import tenant_scope
from tickets.models import Message

HTMX = {"HX-Request": "true"}
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
UNAVAILABLE = httpx.Response(
    502, json={"ok": False, "error_code": 502, "description": "Bad Gateway"}
)


@pytest.fixture
def bot(alpha, beta, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return telegram_connection(alpha.tenant)


def _attempt(tenant) -> bool:
    """One processing attempt of the waiting event; True when it asked to be retried."""
    with tenant_scope(tenant):
        event = InboundEvent.objects.get()
        try:
            inbound_event_process(event_id=event.pk)
        except InboundRetryLater:
            return True
        return False


def _fragment(fixture, admin, message: Message) -> str:
    response = signed_in_client(fixture, admin).get(
        f"/tickets/{message.ticket.public_id}/messages/{message.public_id}/", headers=HTMX
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _message(tenant) -> Message:
    with tenant_scope(tenant):
        return Message.objects.select_related("ticket").get()


@respx.mock
def test_the_message_shows_at_once_and_its_file_fills_in_live(
    alpha, beta, bot, django_capture_on_commit_callbacks
):
    get_file = respx.post(api_url("getFile")).mock(side_effect=[UNAVAILABLE, ok("getFile.json")])
    respx.get(file_url("photos/file_12.jpg")).mock(
        return_value=httpx.Response(200, content=JPEG, headers={"content-type": "image/jpeg"})
    )
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_update(bot, fixture_bytes("message_photo.json")).status_code == 200
        assert _attempt(alpha.tenant) is True  # the provider failed: retried later

    loading = _message(alpha.tenant)
    assert (loading.kind, loading.body, loading.media_error) == (
        "image",
        "Chegou assim",
        "media_loading",
    )
    shown = _fragment(alpha, admin, loading)
    assert 'data-state="loading"' in shown
    assert "Carregando mídia…" in shown
    assert "Chegou assim" in shown
    with tenant_scope(beta.tenant):
        assert not Message.objects.exists()

    socket = socket_for(alpha, admin)

    def retry() -> bool:
        with django_capture_on_commit_callbacks(execute=True):
            return _attempt(alpha.tenant)

    async def body():
        await open_socket(socket)
        retried = await sync_to_async(retry)()
        [event] = await receive(socket, 1, keep=lambda e: e["type"] == "message.updated")
        await socket.disconnect()
        return retried, event

    retried, event = async_to_sync(body)()

    assert retried is False
    assert get_file.call_count == 2
    filled = _message(alpha.tenant)
    assert event["data"]["message"]["id"] == str(filled.public_id)
    assert filled.media
    assert (filled.media_error, filled.media_mime) == ("", "image/jpeg")
    assert "media_error" not in filled.payload
    shown = _fragment(alpha, admin, filled)
    assert "<img " in shown
    assert "Carregando mídia" not in shown
    with tenant_scope(alpha.tenant):
        assert Message.objects.count() == 1  # the same message, filled in
        assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED


@respx.mock
def test_a_file_never_had_says_unavailable_with_the_reason(
    alpha, bot, django_capture_on_commit_callbacks
):
    respx.post(api_url("getFile")).mock(return_value=UNAVAILABLE)
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_update(bot, fixture_bytes("message_photo.json")).status_code == 200
        attempts = [_attempt(alpha.tenant) for _ in range(MAX_PROCESS_ATTEMPTS)]

    assert attempts == [True] * (MAX_PROCESS_ATTEMPTS - 1) + [False]
    message = _message(alpha.tenant)
    assert message.media_error == "media_download_failed"
    reason = message.payload["media_error"]["reason"]
    assert "Bad Gateway" in reason
    shown = _fragment(alpha, admin, message)
    assert 'data-state="unavailable"' in shown
    assert f"Mídia indisponível: {reason}" in shown
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED
