"""Provider events through the real webhook URLs, processing and the ticket panel: what used to be
an empty bubble says what it was, a removed reaction removes the reaction, a document keeps its
name, the customer's sending time is the one shown (issue 20, items 12 and 14)."""

from __future__ import annotations

import copy
import html
import json
import re
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
import respx

from accounts.tests.factories import AdminFactory
from channels_integrations.providers.meta.tests.support import GRAPH, fixture_json
from channels_integrations.providers.telegram.tests.support import (
    fixture_bytes,
    post_update,
    telegram_connection,
)
from channels_integrations.tests.support import meta_connection, post_meta, process_all
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Message

HTMX = {"HX-Request": "true"}
PHONE_ALPHA = "106540352242922"  # the WhatsApp fixtures' phone_number_id
PHONE_BETA = "106540352249999"
IG_ACCOUNT = "17841405822304914"  # the Instagram fixtures' account id
OSM = "https://www.openstreetmap.org/?mlat="


@pytest.fixture(autouse=True)
def graph(settings, tmp_path):
    settings.META_GRAPH_API_URL = GRAPH
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def whatsapp(alpha, beta):
    alpha_wa = meta_connection(
        alpha.tenant,
        "whatsapp_cloud",
        route_key=PHONE_ALPHA,
        secret="alpha-secret",
        phone_number_id=PHONE_ALPHA,
        access_token="alpha-token",
    )
    beta_wa = meta_connection(
        beta.tenant,
        "whatsapp_cloud",
        route_key=PHONE_BETA,
        secret="beta-secret",
        phone_number_id=PHONE_BETA,
        access_token="beta-token",
    )
    return alpha_wa, beta_wa


def _whatsapp(name: str, *, phone: str = PHONE_ALPHA, **message_fields) -> bytes:
    body = fixture_json("whatsapp_cloud", name)
    value = body["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone
    value["messages"][0].update(message_fields)
    return json.dumps(body).encode()


def _deliver(tenant, body: bytes, secret: str, capture) -> None:
    with capture(execute=True):
        assert post_meta(body, secret=secret).status_code == 200
        process_all(tenant)


def _panel(fixture, message: Message) -> str:
    with tenant_scope(fixture.tenant):
        admin = AdminFactory()
    response = signed_in_client(fixture, admin).get(
        f"/tickets/{message.ticket.public_id}/messages/{message.public_id}/", headers=HTMX
    )
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _messages(tenant) -> list[Message]:
    with tenant_scope(tenant):
        return list(Message.objects.select_related("ticket").order_by("id"))


def test_an_unsupported_whatsapp_message_says_what_it_was_in_its_tenant_only(
    alpha, beta, whatsapp, django_capture_on_commit_callbacks
):
    _deliver(
        alpha.tenant,
        _whatsapp("unsupported"),
        "alpha-secret",
        django_capture_on_commit_callbacks,
    )

    [message] = _messages(alpha.tenant)
    assert _messages(beta.tenant) == []
    shown = _panel(alpha, message)
    assert "Enviou um tipo de mensagem que ainda não conseguimos mostrar (poll_creation)" in shown
    assert "Message type unknown" in shown  # WhatsApp's own reason


def test_a_whatsapp_location_links_to_the_map(alpha, whatsapp, django_capture_on_commit_callbacks):
    _deliver(
        alpha.tenant, _whatsapp("location"), "alpha-secret", django_capture_on_commit_callbacks
    )

    [message] = _messages(alpha.tenant)
    payload = message.payload
    shown = _panel(alpha, message)
    lat, lon = f"{payload['latitude']:.6f}", f"{payload['longitude']:.6f}"
    assert f'href="{OSM}{lat}&mlon={lon}#map=16/{lat}/{lon}"' in shown
    assert 'rel="noopener noreferrer"' in shown
    assert "<iframe" not in shown
    assert "tile" not in shown


def test_a_removed_whatsapp_reaction_removes_it_and_adds_nothing(
    alpha, whatsapp, django_capture_on_commit_callbacks
):
    text = fixture_json("whatsapp_cloud", "text")["entry"][0]["changes"][0]["value"]["messages"][0]
    reacted = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NjlGQkZGNTI0RkY0RkYyMkYA"
    capture = django_capture_on_commit_callbacks
    _deliver(alpha.tenant, _whatsapp("text", id=reacted), "alpha-secret", capture)
    _deliver(alpha.tenant, _whatsapp("reaction"), "alpha-secret", capture)
    removal = _whatsapp(
        "reaction",
        id="wamid.REMOVAL0001",
        timestamp="1749416500",
        reaction={"message_id": reacted, "emoji": ""},
    )
    assert text["type"] == "text"

    _deliver(alpha.tenant, removal, "alpha-secret", capture)

    original, reaction = _messages(alpha.tenant)  # no third, empty message
    assert reaction.kind == "reaction"
    assert reaction.quoted_id == original.pk
    assert reaction.deleted_at == datetime.fromtimestamp(1749416500, tz=UTC)
    shown = _panel(alpha, reaction)
    assert "Reação removida" in shown
    assert "👍" not in shown.split("<footer")[0].split("</blockquote>")[-1]


@respx.mock
def test_a_whatsapp_document_keeps_its_name_for_display_and_download(
    alpha, whatsapp, django_capture_on_commit_callbacks
):
    name = "Relatório de março 2026 (final).pdf"
    pdf = b"%PDF-1.4\n% documento\n"
    media_id = "1073456789012345"
    cdn = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1073456789012345"
    respx.get(f"{GRAPH}/{media_id}").mock(
        return_value=httpx.Response(
            200,
            json={
                "url": cdn,
                "mime_type": "application/pdf",
                "file_size": len(pdf),
                "id": media_id,
            },
        )
    )
    respx.get(cdn).mock(
        return_value=httpx.Response(200, content=pdf, headers={"content-type": "application/pdf"})
    )
    body = fixture_json("whatsapp_cloud", "document")
    body["entry"][0]["changes"][0]["value"]["messages"][0]["document"]["filename"] = name

    _deliver(
        alpha.tenant, json.dumps(body).encode(), "alpha-secret", django_capture_on_commit_callbacks
    )

    [message] = _messages(alpha.tenant)
    assert message.media_name == name
    stored = message.media.name
    assert stored.startswith("tenants/alpha/messages/")
    assert " " not in stored
    assert "(" not in stored
    assert f'download="{name}"' in _panel(alpha, message)
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    response = signed_in_client(alpha, admin).get(f"/api/v1/messages/{message.public_id}/media/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(name)}" in disposition


def test_the_customers_sending_time_is_kept_and_shown(
    alpha, whatsapp, django_capture_on_commit_callbacks
):
    _deliver(
        alpha.tenant,
        _whatsapp("text", timestamp="1749416383"),  # WhatsApp: Unix seconds, as a string
        "alpha-secret",
        django_capture_on_commit_callbacks,
    )

    [message] = _messages(alpha.tenant)
    sent = datetime.fromtimestamp(1749416383, tz=UTC)
    assert message.sent_at == sent
    assert message.delivered_at > sent  # when it reached us, later
    shown = _panel(alpha, message)
    [shown_at] = re.findall(r'<time datetime="([^"]+)" data-testid="message-time"', shown)
    assert datetime.fromisoformat(shown_at) == sent  # the customer's time, not the receipt's
    assert "Enviada pelo cliente; recebida às" in shown


def test_an_instagram_story_mention_is_a_placeholder_with_the_story_link(
    alpha, django_capture_on_commit_callbacks
):
    meta_connection(
        alpha.tenant,
        "instagram",
        route_key=IG_ACCOUNT,
        secret="ig-secret",
        instagram_account_id=IG_ACCOUNT,
        page_id="682498302938465",
        page_access_token="page-token",
    )
    body = fixture_json("instagram", "story_mention")
    url = body["entry"][0]["messaging"][0]["message"]["attachments"][0]["payload"]["url"]

    with respx.mock(assert_all_called=False) as graph:  # the profile lookup is refused
        graph.get(url__startswith=f"{GRAPH}/").mock(
            return_value=httpx.Response(400, json={"error": {"message": "(#230)", "code": 230}})
        )
        _deliver(
            alpha.tenant,
            json.dumps(body).encode(),
            "ig-secret",
            django_capture_on_commit_callbacks,
        )

    [message] = _messages(alpha.tenant)
    assert message.kind == "unsupported"
    shown = _panel(alpha, message)
    assert "Mencionou você no story" in shown
    assert f'href="{url}"' in shown
    assert "Abrir o story" in shown


def test_a_telegram_location_is_shown_with_its_map_link(
    alpha, beta, media_root, django_capture_on_commit_callbacks
):
    bot = telegram_connection(alpha.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_update(bot, fixture_bytes("message_location.json")).status_code == 200
        process_all(alpha.tenant)

    [message] = _messages(alpha.tenant)
    assert _messages(beta.tenant) == []
    assert (message.kind, message.body) == ("location", "")
    shown = _panel(alpha, message)
    assert "📍 Localização" in shown
    assert f"{OSM}-23.561414&mlon=-46.655881" in shown
    assert message.sent_at == datetime.fromtimestamp(1700000420, tz=UTC)


def test_a_telegram_poll_names_what_it_was(alpha, media_root, django_capture_on_commit_callbacks):
    bot = telegram_connection(alpha.tenant)
    update = json.loads(fixture_bytes("message_poll.json"))
    with django_capture_on_commit_callbacks(execute=True):
        assert post_update(bot, json.dumps(copy.deepcopy(update)).encode()).status_code == 200
        process_all(alpha.tenant)

    [message] = _messages(alpha.tenant)
    assert "Enviou uma enquete" in _panel(alpha, message)
