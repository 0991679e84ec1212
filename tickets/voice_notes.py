"""Voice notes recorded in the agent's browser, made sendable as voice notes.

Browsers record Opus audio in different containers: Firefox in Ogg, Chromium-based browsers in
WebM (Matroska). WhatsApp plays a voice note only from an Ogg file with Opus audio, and
Telegram's ``sendVoice`` wants Ogg/Opus (or MP3/M4A). The sound itself is the same Opus in
both containers, so a WebM recording is rewrapped here into Ogg (RFC 7845) without decoding or
re-encoding anything: the packets are copied, the Ogg pages and granule positions are computed.

Only what MediaRecorder writes is read: one Opus track, blocks without lacing. Anything else
raises ``VoiceNoteUnreadable`` (the agent is told; nothing is stored).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.files import File
from django.core.files.base import ContentFile

from tickets.errors import VoiceNoteNotAudio, VoiceNoteUnreadable
from tickets.media import media_validate
from tickets.models import Message

OGG_OPUS_MIME = "audio/ogg"
WEBM_MIME = "audio/webm"

# Matroska element ids (with their length marker, as they appear in the file).
_SEGMENT, _CLUSTER, _TRACKS, _TRACK_ENTRY = 0x18538067, 0x1F43B675, 0x1654AE6B, 0xAE
_BLOCK_GROUP, _AUDIO = 0xA0, 0xE1
_TRACK_NUMBER, _CODEC_ID, _CODEC_PRIVATE, _CHANNELS = 0xD7, 0x86, 0x63A2, 0x9F
_SIMPLE_BLOCK, _BLOCK = 0xA3, 0xA1
# Masters read as the sequence of their children (their own size is ignored: MediaRecorder
# writes the segment and its clusters with "unknown" sizes, as it streams).
_ENTERED = {_SEGMENT, _CLUSTER, _TRACKS, _TRACK_ENTRY, _BLOCK_GROUP, _AUDIO}

_MAX_SEGMENTS = 255  # lacing values per Ogg page
_PAGE_PACKETS = 50  # about a second of 20 ms packets per page
_SERIAL = 0x54544B54  # one logical stream: any fixed serial number will do


@dataclass(frozen=True)
class _Track:
    number: int
    codec: str
    head: bytes
    channels: int


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """An EBML variable-length integer at ``pos``: (value, next position, all ones)."""
    if pos >= len(data):
        raise VoiceNoteUnreadable()
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise VoiceNoteUnreadable()
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    unknown = (not keep_marker) and value == (1 << (7 * length)) - 1
    return value, pos + length, unknown


def _elements(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(id, payload) of every leaf element, masters of interest flattened into their children."""
    pos = 0
    while pos < len(data):
        element_id, pos, _ = _vint(data, pos, keep_marker=True)
        size, pos, unknown = _vint(data, pos, keep_marker=False)
        if element_id in _ENTERED:
            continue
        if unknown:
            raise VoiceNoteUnreadable()
        if pos + size > len(data):
            return  # a recording cut short: keep what was complete
        yield element_id, data[pos : pos + size]
        pos += size


def _uint(payload: bytes) -> int:
    return int.from_bytes(payload, "big") if payload else 0


def _opus_head(channels: int) -> bytes:
    """A minimal OpusHead (RFC 7845 §5.1) when the file carries none: 48 kHz, no pre-skip."""
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, 0, 48000, 0, 0)


def _read(data: bytes) -> tuple[_Track, list[bytes]]:
    tracks: list[_Track] = []
    number, codec, head, channels = 0, "", b"", 1
    packets: list[tuple[int, bytes]] = []
    for element_id, payload in _elements(data):
        if element_id == _TRACK_NUMBER:
            if codec or head:  # a new entry begins: keep the previous one
                tracks.append(_Track(number, codec, head, channels))
                codec, head, channels = "", b"", 1
            number = _uint(payload)
        elif element_id == _CODEC_ID:
            codec = payload.decode("ascii", "replace")
        elif element_id == _CODEC_PRIVATE:
            head = payload
        elif element_id == _CHANNELS:
            channels = _uint(payload) or 1
        elif element_id in (_SIMPLE_BLOCK, _BLOCK):
            block_track, start, _ = _vint(payload, 0, keep_marker=False)
            if len(payload) < start + 3:
                raise VoiceNoteUnreadable()
            if payload[start + 2] & 0x06:  # laced blocks: MediaRecorder never writes them
                raise VoiceNoteUnreadable()
            packets.append((block_track, payload[start + 3 :]))
    if number:
        tracks.append(_Track(number, codec, head, channels))
    opus = [t for t in tracks if t.codec == "A_OPUS"]
    if len(opus) != 1:
        raise VoiceNoteUnreadable()
    track = opus[0]
    audio = [packet for track_number, packet in packets if track_number == track.number]
    if not audio:
        raise VoiceNoteUnreadable()
    if not track.head.startswith(b"OpusHead"):
        track = _Track(track.number, track.codec, _opus_head(track.channels), track.channels)
    return track, audio


def opus_packet_samples(packet: bytes) -> int:
    """Samples at 48 kHz in one Opus packet, from its TOC byte (RFC 6716 §3.1)."""
    if not packet:
        return 0
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config % 4]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config % 2]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config % 4]
    count = toc & 0x03
    if count == 0:
        frames = 1
    elif count in (1, 2):
        frames = 2
    else:
        frames = packet[1] & 0x3F if len(packet) > 1 else 0
    return frame * frames


def _crc_table() -> list[int]:
    table = []
    for index in range(256):
        crc = index << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
        table.append(crc & 0xFFFFFFFF)
    return table


_CRC_TABLE = _crc_table()


def ogg_crc(page: bytes) -> int:
    """The Ogg page checksum (CRC-32, polynomial 0x04C11DB7, not reflected, initial 0)."""
    crc = 0
    for byte in page:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


def _lacing(packet: bytes) -> bytes:
    return bytes([255] * (len(packet) // 255) + [len(packet) % 255])


def _page(packets: list[bytes], *, granule: int, sequence: int, flags: int) -> bytes:
    lacing = b"".join(_lacing(packet) for packet in packets)
    header = struct.pack(
        "<4sBBqIIIB", b"OggS", 0, flags, granule, _SERIAL, sequence, 0, len(lacing)
    )
    page = header + lacing + b"".join(packets)
    return page[:22] + struct.pack("<I", ogg_crc(page)) + page[26:]


def webm_to_ogg_opus(data: bytes, *, vendor: str = "TikTickets") -> bytes:
    """The Opus audio of a WebM recording, rewrapped in Ogg; ``VoiceNoteUnreadable`` when the
    file is not a WebM with one Opus track."""
    if not data.startswith(b"\x1a\x45\xdf\xa3"):
        raise VoiceNoteUnreadable()
    track, audio = _read(data)
    vendor_bytes = vendor.encode()
    tags = b"OpusTags" + struct.pack("<I", len(vendor_bytes)) + vendor_bytes + struct.pack("<I", 0)
    pages = [
        _page([track.head], granule=0, sequence=0, flags=0x02),  # beginning of stream
        _page([tags], granule=0, sequence=1, flags=0),
    ]
    granule, segments = 0, 0
    batch: list[bytes] = []
    for index, packet in enumerate(audio):
        needed = len(packet) // 255 + 1
        if len(packet) >= 255 * _MAX_SEGMENTS:
            raise VoiceNoteUnreadable()  # an Opus packet is never this large
        if batch and (segments + needed > _MAX_SEGMENTS or len(batch) >= _PAGE_PACKETS):
            pages.append(_page(batch, granule=granule, sequence=len(pages), flags=0))
            batch, segments = [], 0
        batch.append(packet)
        segments += needed
        granule += opus_packet_samples(packet)
        if index == len(audio) - 1:
            pages.append(_page(batch, granule=granule, sequence=len(pages), flags=0x04))
    return b"".join(pages)


def voice_note_file(upload: File) -> File:
    """A recorded voice note ready to store: a WebM recording rewrapped as Ogg/Opus (named
    ``voice-note.ogg``), any other audio as it is; ``VoiceNoteNotAudio`` for a file that is not
    audio, ``MediaTooLarge`` past the size limit, ``VoiceNoteUnreadable`` for a broken WebM."""
    info = media_validate(file=upload)
    if info.kind != Message.Kind.AUDIO:
        raise VoiceNoteNotAudio()
    if info.mime != WEBM_MIME:
        return upload
    upload.seek(0)
    converted = ContentFile(webm_to_ogg_opus(upload.read()), name="voice-note.ogg")
    converted.content_type = OGG_OPUS_MIME  # type: ignore[attr-defined]
    return converted
