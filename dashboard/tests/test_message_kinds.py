"""Every kind of message a ticket can hold says what it is, in the ticket panel and in the web
chat widget: no empty bubble for a location without a name, a story mention, a reaction, a file
still downloading or one that could not be had, a kind the channel sent that we do not handle."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core.files.base import ContentFile

from accounts.tests.factories import AdminFactory
from channels_integrations.tests.webchat_support import (
    history,
    make_widget,
    post,
    process,
    token_for,
)
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.media import MEDIA_LOADING
from tickets.models import Message
from tickets.tests.factories import MessageFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


STORY_URL = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1790&signature=abc"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# Per kind: the stored fields (as the inbound pipeline stores them: body, payload, file) and
# what must be read in the bubble. A kind added to Message.Kind without a case here fails.
CASES: dict[str, dict[str, Any]] = {
    "text": {"fields": {"body": "Bom dia, tudo bem?"}, "shows": ["Bom dia, tudo bem?"]},
    "image": {
        "fields": {"body": "", "media_error": MEDIA_LOADING, "media_name": "foto.jpg"},
        "shows": ["Carregando mídia…"],
    },
    "audio": {
        "fields": {
            "body": "",
            "media_error": "media_download_failed",
            "media_name": "audio.ogg",
            "payload": {"media_error": {"code": "media_download_failed", "reason": "HTTP 404"}},
        },
        "shows": ["Mídia indisponível: HTTP 404"],
    },
    "video": {
        "fields": {
            "body": "",
            "media_error": "media_too_large",
            "media_name": "video.mp4",
            "payload": {"media_error": {"code": "media_too_large", "max_bytes": 16777216}},
        },
        "shows": ["Mídia indisponível: o arquivo tem mais de 16 MB"],
    },
    "document": {
        "fields": {"body": ""},
        "file": ("Relatório de março 2026.pdf", b"%PDF-1.4\n"),
        "shows": ["Relatório de março 2026.pdf"],
    },
    "location": {
        "fields": {"body": "", "payload": {"latitude": -23.55052, "longitude": -46.633308}},
        "shows": [
            "Localização",
            "https://www.openstreetmap.org/?mlat=-23.550520&mlon=-46.633308#map=16/-23.550520/-46.633308",
        ],
    },
    "contact_card": {
        "fields": {"body": "Maria Souza", "payload": {"phone_number": "+5511987650000"}},
        "shows": ["Maria Souza", "+5511987650000", "Cartão de contato"],
    },
    "sticker": {
        "fields": {"body": ""},
        "file": ("sticker.png", PNG),
        "shows": ["/media/"],
    },
    "reaction": {
        "fields": {"body": "👍", "payload": {"action": "react", "emoji": "👍"}},
        "shows": ["Reagiu 👍"],
    },
    "unsupported": {
        "fields": {
            "body": "",
            "payload": {"attachment_type": "story_mention", "url": STORY_URL, "raw": {}},
        },
        "shows": ["Mencionou você no story", "Abrir o story", STORY_URL],
    },
}


def test_every_kind_has_a_case():
    assert set(CASES) == set(Message.Kind.values)


def _store(ticket, kind: str, **extra) -> Message:
    case = CASES[kind]
    message = MessageFactory.build(ticket=ticket, kind=kind, **case["fields"], **extra)
    message.connection = ticket.connection
    message.sender_contact = ticket.contact
    if "file" in case:
        name, content = case["file"]
        message.media_name = name
        message.media_mime = "image/png" if kind == "sticker" else "application/pdf"
        message.media.save("safe-name.bin", ContentFile(content), save=False)
    message.save()
    return message


def _bubble_text(fragment: str) -> str:
    """The readable text of the bubble above its footer (time, ticks, reply button)."""
    bubble = fragment.split('<div class="bubble">', 1)[1].split("<footer", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", bubble))).strip()


@pytest.mark.parametrize("kind", Message.Kind.values)
def test_the_panel_shows_what_every_kind_is(alpha, beta, kind, media_root):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        ticket = TicketFactory()
        message = _store(ticket, kind)
    with tenant_scope(beta.tenant):
        beta_message = _store(TicketFactory(), kind)
    client = signed_in_client(alpha, admin)

    response = client.get(f"/tickets/{ticket.public_id}/messages/{message.public_id}/", **HTMX)

    fragment = response.content.decode()
    assert response.status_code == 200
    # Words, or the file itself (an image, a player, a download link).
    assert _bubble_text(fragment) or re.search(r"<(img|audio|video) ", fragment), kind
    for expected in CASES[kind]["shows"]:
        assert expected in html.unescape(fragment) or expected in _bubble_text(fragment), (
            kind,
            expected,
        )
    # Another tenant's message of the same kind is not reachable through this ticket.
    other = client.get(f"/tickets/{ticket.public_id}/messages/{beta_message.public_id}/", **HTMX)
    assert other.status_code == 404


@pytest.fixture
def widget(alpha, media_root):
    with tenant_scope(alpha.tenant):
        AdminFactory()
    return make_widget(alpha.tenant, allowed_origins=["https://loja.example"])


@pytest.mark.parametrize("kind", Message.Kind.values)
def test_the_widget_says_what_every_kind_is(alpha, widget, kind):
    token = token_for(alpha, widget)
    assert post(alpha, widget, token, client_id="c" * 20, text="Olá").status_code == 202
    process(alpha)
    with tenant_scope(alpha.tenant):
        first = Message.objects.get()
        prefix = first.provider_message_id.removesuffix("c" * 20)
        # As the agent's reply or the visitor's own message would be stored for this visitor.
        _store(
            first.ticket,
            kind,
            provider_message_id=f"{prefix}out.{kind}",
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.AGENT,
        )

    rows = history(alpha, widget, token).json()["messages"]

    [row] = [row for row in rows if row["kind"] == kind and row["body"] != "Olá"]
    assert row["summary"], f"nothing to show for {kind}"
    shown = " ".join(
        [
            row["body"] if kind != "reaction" else "",
            row["label"],
            row["media_note"],
            *row["details"],
            row["link_url"],
            row["link_text"],
            row["media_name"],
        ]
    )
    for expected in CASES[kind]["shows"]:
        if expected == "/media/":  # the panel's file URL; the widget names the file instead
            assert row["media_name"] == "sticker.png"
            continue
        assert html.unescape(expected) in shown, (kind, expected, row)


def test_the_panel_with_every_kind_costs_what_a_text_only_panel_costs(
    alpha, media_root, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        every_kind = TicketFactory()
        previous = None
        for kind in [*Message.Kind.values, *Message.Kind.values]:
            previous = _store(every_kind, kind, quoted=previous)
    client = signed_in_client(alpha, admin)
    client.get("/")

    # As test_dashboard_panel's pinned figure: showing what each kind is reads nothing more.
    with django_assert_num_queries(9):
        response = client.get(f"/tickets/{every_kind.public_id}/panel/", **HTMX)

    assert response.content.decode().count('data-testid="message"') == 2 * len(Message.Kind.values)
