"""The bot runs on every channel through the real inbound pipeline (documented webhook bodies,
signed as each provider signs them), and its files reach each channel with their caption: as a
caption where the channel has one, as a text right after the file where it does not."""

import json

import httpx
import pytest
import respx
from django.core.files.base import ContentFile

from accounts.tests.factories import AdminFactory
from automation.models import FlowRun
from automation.services.flows import flow_media_upload
from automation.tests.support import after_commit, make_flow, node
from channels_integrations.models import OutboundDelivery
from channels_integrations.providers.meta.tests.support import GRAPH, load_fixture
from channels_integrations.providers.telegram.tests.support import (
    api_url,
    fixture_bytes,
    ok,
    post_update,
    telegram_connection,
)
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.support import meta_connection, post_meta, process_all
from channels_integrations.tests.webchat_support import make_widget, post, token_for
from tenants.tenancy import tenant_scope
from tickets.models import Message

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SECRET = "alpha-app-secret"
META = {
    "whatsapp_cloud": ("text", "106540352242922", {"phone_number_id": "106540352242922"}),
    "messenger": ("message_text", "682498302938465", {"page_id": "682498302938465"}),
    "instagram": ("message_text", "17841405822304914", {"account_id": "17841405822304914"}),
}


@pytest.fixture(autouse=True)
def graph_api(settings):
    settings.META_GRAPH_API_URL = GRAPH


@pytest.fixture
def flow(alpha, media_root):
    with tenant_scope(alpha.tenant):
        image = ContentFile(PNG, name="roteador.png")
        image.content_type = "image/png"
        media = flow_media_upload(by=AdminFactory(), file=image)
        start = node("start", "Boas-vindas", "Escolha: 1 Sim 2 Não")
        start["interactions"].insert(
            0,
            {
                "id": "img",
                "type": "media",
                "media": str(media.public_id),
                "caption": "Veja, {{name}}",
                "delay_ms": 0,
            },
        )
        graph = {
            "start": "start",
            "settings": {"handoff_message": "", "not_understood_message": "?"},
            "nodes": [start],
        }
        return make_flow(AdminFactory(), graph)


def _connection_and_write(alpha, provider):
    if provider == "telegram":
        connection = telegram_connection(alpha.tenant)
        assert post_update(connection, fixture_bytes("message_text.json")).status_code == 200
        return connection
    if provider == "webchat":
        with tenant_scope(alpha.tenant):
            AdminFactory()
        connection = make_widget(alpha.tenant)
        token = token_for(alpha, connection)
        assert (
            post(alpha, connection, token, client_id="cid-00000001", text="oi").status_code == 202
        )
        return connection
    fixture, route_key, credentials = META[provider]
    token_field = "access_token" if provider == "whatsapp_cloud" else "page_access_token"
    connection = meta_connection(
        alpha.tenant,
        provider,
        route_key=route_key,
        secret=SECRET,
        **credentials,
        **{token_field: "token"},
    )
    assert post_meta(load_fixture(provider, fixture), secret=SECRET).status_code == 200
    return connection


@pytest.mark.parametrize(
    "provider", ["whatsapp_cloud", "messenger", "instagram", "telegram", "webchat"]
)
def test_the_bot_answers_a_first_message_on_every_channel(
    alpha, flow, provider, django_capture_on_commit_callbacks
):
    connection = _connection_and_write(alpha, provider)
    after_commit(
        alpha.tenant, django_capture_on_commit_callbacks, lambda: process_all(alpha.tenant)
    )

    with tenant_scope(alpha.tenant):
        run = FlowRun.objects.select_related("ticket").get()
        bot = list(Message.objects.filter(ticket=run.ticket, sender="bot").order_by("pk"))
        assert run.ticket.connection == connection
        assert [m.kind for m in bot][0] == "image"
        assert bot[-1].body == "Escolha: 1 Sim 2 Não"
        assert OutboundDelivery.objects.filter(message__in=bot).count() == len(bot)
        captions = [m.body for m in bot if m.kind == "text"][:-1] + [bot[0].body]
        assert any(c.startswith("Veja, ") for c in captions)


def _deliver(tenant):
    with tenant_scope(tenant):
        for pk in OutboundDelivery.objects.order_by("pk").values_list("pk", flat=True):
            outbound_message_deliver_task.apply(args=(pk,))


def test_telegram_gets_the_file_with_its_caption(alpha, flow, django_capture_on_commit_callbacks):
    _connection_and_write(alpha, "telegram")
    after_commit(
        alpha.tenant, django_capture_on_commit_callbacks, lambda: process_all(alpha.tenant)
    )

    with respx.mock(assert_all_called=False) as api:
        photo = api.post(api_url("sendPhoto")).mock(return_value=ok("sendPhoto.json"))
        text = api.post(api_url("sendMessage")).mock(return_value=ok("sendMessage.json"))
        _deliver(alpha.tenant)

    assert photo.call_count == 1
    assert b'name="caption"' in photo.calls[0].request.content
    assert b"Veja, " in photo.calls[0].request.content
    assert [json.loads(c.request.content)["text"] for c in text.calls] == ["Escolha: 1 Sim 2 Não"]


def test_messenger_gets_the_file_then_its_caption_as_a_text(
    alpha, flow, django_capture_on_commit_callbacks
):
    _connection_and_write(alpha, "messenger")
    after_commit(
        alpha.tenant, django_capture_on_commit_callbacks, lambda: process_all(alpha.tenant)
    )
    ids = iter(range(1, 10))

    with respx.mock(assert_all_called=False) as api:
        route = api.post(f"{GRAPH}/682498302938465/messages").mock(
            side_effect=lambda request: httpx.Response(
                200, json={"recipient_id": "x", "message_id": f"m_{next(ids)}"}
            )
        )
        _deliver(alpha.tenant)

    with tenant_scope(alpha.tenant):
        statuses = set(Message.objects.filter(sender="bot").values_list("status", flat=True))
    assert statuses == {"sent"}
    bodies = [call.request.content for call in route.calls]
    assert b"filedata" in bodies[0]
    assert json.loads(bodies[1])["message"]["text"].startswith("Veja, ")
    assert json.loads(bodies[2])["message"]["text"] == "Escolha: 1 Sim 2 Não"
