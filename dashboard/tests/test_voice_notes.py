"""Voice notes recorded in the composer: a WebM recording is stored as Ogg/Opus (the same
sound, rewrapped) and marked as a voice note; what cannot be a voice note is refused with
nothing stored; the composer tells, per channel, how a recording will be delivered."""

from __future__ import annotations

import struct
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import UserFactory
from conftest import signed_in_client
from connections.tests.factories import ChannelConnectionFactory
from tenants.tenancy import tenant_scope
from tickets.errors import VoiceNoteNotAudio, VoiceNoteUnreadable, VoiceNoteWithText
from tickets.models import Message, Ticket
from tickets.tests.factories import QueueFactory, TicketFactory
from tickets.voice_notes import ogg_crc, opus_packet_samples

HTMX = {"HTTP_HX_REQUEST": "true"}
# 1.2 s recorded by chromium's MediaRecorder (audio/webm;codecs=opus) from its fake microphone.
RECORDING = (Path(__file__).parents[2] / "tickets/tests/fixtures/voice-note.webm").read_bytes()


@pytest.fixture
def desk(alpha):
    with tenant_scope(alpha.tenant):
        support = QueueFactory()
        ana = UserFactory(queues=[support])
        ticket = TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=ana)
    return {"ana": ana, "ticket": ticket, "support": support}


def _post(client, ticket, **data):
    return client.post(f"/tickets/{ticket.public_id}/messages/", data, **HTMX)


def _recording(content: bytes = RECORDING, name="voice-note.webm", mime="audio/webm"):
    return SimpleUploadedFile(name, content, content_type=mime)


def _ogg_pages(data: bytes) -> list[tuple[int, int, list[bytes]]]:
    """(flags, granule position, packets) of each page; every page's checksum is verified."""
    pages, pos = [], 0
    while pos < len(data):
        assert data[pos : pos + 4] == b"OggS"
        flags = data[pos + 5]
        granule, _serial, _sequence, crc = struct.unpack("<qIII", data[pos + 6 : pos + 26])
        count = data[pos + 26]
        lacing = data[pos + 27 : pos + 27 + count]
        body = pos + 27 + count
        end = body + sum(lacing)
        page = data[pos:end]
        assert ogg_crc(page[:22] + b"\0\0\0\0" + page[26:]) == crc
        packets, start, size = [], body, 0
        for value in lacing:
            size += value
            if value < 255:
                packets.append(data[start : start + size])
                start, size = start + size, 0
        pages.append((flags, granule, packets))
        pos = end
    return pages


def test_a_recorded_webm_voice_note_is_stored_as_ogg_opus(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    response = _post(client, desk["ticket"], file=_recording(), voice_note="1")
    assert response.status_code == 200, response.headers.get("X-Error-Message")
    with tenant_scope(alpha.tenant):
        message = Message.objects.get(ticket=desk["ticket"], sender=Message.Sender.AGENT)
        stored = message.media.read()
    assert (message.kind, message.media_mime, message.media_name) == (
        "audio",
        "audio/ogg",
        "voice-note.ogg",
    )
    assert message.payload == {"voice": True}
    assert message.body == ""
    pages = _ogg_pages(stored)
    assert pages[0][0] == 0x02  # beginning of stream
    assert pages[0][2][0].startswith(b"OpusHead")
    assert pages[1][2][0].startswith(b"OpusTags")
    assert pages[-1][0] == 0x04  # end of stream
    audio = [packet for _flags, _granule, packets in pages[2:] for packet in packets]
    assert pages[-1][1] == sum(opus_packet_samples(p) for p in audio)
    assert 1.0 < pages[-1][1] / 48000 < 1.3  # the 1.2 s recorded, in 48 kHz samples
    assert all(packet in RECORDING for packet in audio)  # copied, not re-encoded


def test_an_attached_audio_file_is_no_voice_note(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    response = _post(client, desk["ticket"], file=_recording())
    assert response.status_code == 200
    with tenant_scope(alpha.tenant):
        message = Message.objects.get(ticket=desk["ticket"], sender=Message.Sender.AGENT)
    assert (message.media_mime, message.payload) == ("audio/webm", {})


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"file": "broken", "voice_note": "1"}, VoiceNoteUnreadable),
        ({"file": "pdf", "voice_note": "1"}, VoiceNoteNotAudio),
        ({"voice_note": "1", "body": "oi"}, VoiceNoteNotAudio),
        ({"file": "webm", "voice_note": "1", "body": "ouça"}, VoiceNoteWithText),
    ],
)
def test_what_cannot_be_a_voice_note_is_refused_and_nothing_is_stored(alpha, desk, data, code):
    files = {
        "broken": _recording(RECORDING[:40] + b"\xff" * 64),
        "pdf": _recording(b"%PDF-1.4\n%%EOF\n", "nota.pdf", "application/pdf"),
        "webm": _recording(),
    }
    if "file" in data:
        data = {**data, "file": files[data["file"]]}
    client = signed_in_client(alpha, desk["ana"])
    response = _post(client, desk["ticket"], **data)
    assert response.status_code == 400
    assert unquote(response["X-Error-Message"]) == str(code.default_message)
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(sender=Message.Sender.AGENT).exists()


@pytest.mark.parametrize(
    ("provider", "voice", "audio"),
    [
        ("whatsapp_cloud", "audio/ogg", "audio/aac audio/amr audio/mp4 audio/mpeg audio/ogg"),
        ("telegram", "audio/mp4 audio/mpeg audio/ogg", None),
        ("instagram", "", "audio/aac audio/mp4 audio/wav"),
        ("webchat", "", None),
    ],
)
def test_the_composer_says_how_the_channel_delivers_a_recording(
    alpha, desk, provider, voice, audio
):
    with tenant_scope(alpha.tenant):
        connection = ChannelConnectionFactory(provider=provider)
        ticket = TicketFactory(
            queue=desk["support"],
            status=Ticket.Status.OPEN,
            assignee=desk["ana"],
            connection=connection,
            # The customer just wrote: WhatsApp's window is open, the usual composer shows.
            last_inbound_at=timezone.now(),
        )
    client = signed_in_client(alpha, desk["ana"])
    html = client.get(f"/tickets/{ticket.public_id}/panel/", **HTMX).content.decode()
    assert f'data-voice-types="{voice}"' in html
    if audio is not None:
        assert f'data-audio-types="{audio}"' in html
    else:  # any file: every audio type we store
        assert 'data-audio-types="audio/aac audio/amr audio/mp4 audio/mpeg audio/ogg' in html
        assert "audio/webm" in html.split('data-audio-types="')[1].split('"')[0]


def test_a_recording_the_channel_refuses_is_not_stored(alpha, desk):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(
            queue=desk["support"],
            status=Ticket.Status.OPEN,
            assignee=desk["ana"],
            connection=ChannelConnectionFactory(provider="instagram"),
        )
    client = signed_in_client(alpha, desk["ana"])
    refused = _post(client, ticket, file=_recording(), voice_note="1")  # becomes Ogg: refused
    assert refused.status_code == 400
    assert "audio/ogg" in unquote(refused["X-Error-Message"])
    m4a = _recording(b"\x00\x00\x00\x18ftypM4A audio", "voice-note.m4a", "audio/mp4")
    assert _post(client, ticket, file=m4a, voice_note="1").status_code == 200  # Safari's
    with tenant_scope(alpha.tenant):
        sent = Message.objects.get(sender=Message.Sender.AGENT)
    assert (sent.media_mime, sent.payload) == ("audio/mp4", {"voice": True})


def test_a_note_with_a_file_is_refused_instead_of_losing_the_file(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    for data in (
        {"note": "1", "body": "ouvir", "file": _recording()},
        {"note": "1", "file": _recording(), "voice_note": "1"},
    ):
        response = _post(client, desk["ticket"], **data)
        assert response.status_code == 400
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(ticket=desk["ticket"], is_note=True).exists()
