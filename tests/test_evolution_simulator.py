"""The simulated Evolution API gateway: its HTTP API answers as documented and its sessions post
the webhooks a real gateway posts (QR refresh cycle, scan, drops, messages, ticks)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from simulator import Simulator

KEY = "global-key"


class _Receiver:
    def __init__(self) -> None:
        self.bodies: list[tuple[dict[str, str], dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append((dict(self.headers), json.loads(raw)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def events(self) -> list[str]:
        return [body["event"] for _, body in self.bodies]


@pytest.fixture
def gateway() -> Iterator[tuple[Simulator, _Receiver]]:
    sim = Simulator().start()
    sim.evolution.api_key = KEY
    sim.evolution.qr_interval = 0.2
    receiver = _Receiver()
    yield sim, receiver
    sim.stop()
    receiver.server.shutdown()


def _create(sim: Simulator, receiver: _Receiver) -> httpx.Response:
    return httpx.post(
        f"{sim.evolution_url}/instance/create",
        headers={"apikey": KEY},
        json={
            "instanceName": "tt-1",
            "token": "inst-token",
            "qrcode": True,
            "integration": "WHATSAPP-BAILEYS",
            "webhook": {"url": receiver.url, "headers": {"X-Secret": "s3"}, "events": []},
        },
    )


def _wait(predicate: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_create_refuses_a_wrong_global_key(gateway: tuple[Simulator, _Receiver]) -> None:
    sim, _ = gateway
    response = httpx.post(
        f"{sim.evolution_url}/instance/create",
        headers={"apikey": "nope"},
        json={"instanceName": "x"},
    )
    assert response.status_code == 401
    assert sim.evolution.instances == {}


def test_qr_cycle_then_scan_opens_the_session(gateway: tuple[Simulator, _Receiver]) -> None:
    sim, receiver = gateway
    created = _create(sim, receiver)
    assert created.status_code == 201
    body = created.json()
    assert body["hash"] == "INST-TOKEN"
    assert body["qrcode"]["count"] == 1
    assert body["qrcode"]["base64"].startswith("data:image/png;base64,")
    png = base64.b64decode(body["qrcode"]["base64"].split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    _wait(lambda: receiver.events().count("qrcode.updated") >= 3)
    codes = [
        b["data"]["qrcode"]["code"] for _, b in receiver.bodies if b["event"] == "qrcode.updated"
    ]
    assert len(set(codes)) == len(codes)  # a new code each time
    assert all(h.get("X-Secret") == "s3" for h, _ in receiver.bodies)
    sim.evolution.scan("tt-1", number="5511999990000", profile_name="Loja X")
    _wait(lambda: "connection.update" in receiver.events())
    update = [b for _, b in receiver.bodies if b["event"] == "connection.update"][-1]
    assert update["data"]["state"] == "open"
    assert update["data"]["wuid"] == "5511999990000@s.whatsapp.net"
    count = receiver.events().count("qrcode.updated")
    time.sleep(0.5)
    assert receiver.events().count("qrcode.updated") == count  # the cycle stopped
    state = httpx.get(
        f"{sim.evolution_url}/instance/connectionState/tt-1", headers={"apikey": "INST-TOKEN"}
    )
    assert state.json() == {"instance": {"instanceName": "tt-1", "state": "open"}}


def test_sends_are_recorded_and_refused_while_closed(gateway: tuple[Simulator, _Receiver]) -> None:
    sim, receiver = gateway
    _create(sim, receiver)
    url = f"{sim.evolution_url}/message/sendText/tt-1"
    closed = httpx.post(url, headers={"apikey": "INST-TOKEN"}, json={"number": "55", "text": "a"})
    assert closed.status_code == 400
    sim.evolution.scan("tt-1")
    sent = httpx.post(url, headers={"apikey": "INST-TOKEN"}, json={"number": "5511", "text": "oi"})
    assert sent.status_code == 201
    assert sent.json()["key"]["fromMe"] is True
    assert sim.sent_texts()["oi"] == 1
    wrong = httpx.post(url, headers={"apikey": "other"}, json={"number": "5511", "text": "x"})
    assert wrong.status_code == 401


def test_messages_ticks_and_media(gateway: tuple[Simulator, _Receiver]) -> None:
    sim, receiver = gateway
    _create(sim, receiver)
    sim.evolution.scan("tt-1")
    sim.evolution.customer_text("tt-1", sender="5511000", text="olá")
    audio_id = sim.evolution.customer_file(
        "tt-1", sender="5511000", kind="audio", content=b"OggS", mimetype="audio/ogg", ptt=True
    )
    sim.evolution.ack("tt-1", message_id="ABC", to="5511000", status="READ")
    sim.evolution.phone_sends("tt-1", to="5511000", text="from the phone")
    events = receiver.events()
    assert events.count("messages.upsert") == 3
    assert "messages.update" in events
    upserts = [b["data"] for _, b in receiver.bodies if b["event"] == "messages.upsert"]
    assert upserts[0]["message"] == {"conversation": "olá"}
    assert upserts[1]["message"]["audioMessage"]["ptt"] is True
    assert upserts[2]["key"]["fromMe"] is True
    media = httpx.post(
        f"{sim.evolution_url}/chat/getBase64FromMediaMessage/tt-1",
        headers={"apikey": "INST-TOKEN"},
        json={"message": {"key": {"id": audio_id}}},
    )
    assert base64.b64decode(media.json()["base64"]) == b"OggS"


def test_demo_actions_scan_and_write_over_http(gateway: tuple[Simulator, _Receiver]) -> None:
    sim, receiver = gateway
    _create(sim, receiver)
    base = f"{sim.evolution_url}/_sim/evolution/tt-1"

    assert httpx.post(f"{base}/scan").json() == {"state": "open"}
    written = httpx.post(f"{base}/message", json={"from": "5511777", "text": "Oi", "name": "Bia"})
    refused = httpx.post(f"{base}/message", json={"text": "sem remetente"})

    assert written.status_code == 200
    assert refused.status_code == 400
    upsert = [b["data"] for _, b in receiver.bodies if b["event"] == "messages.upsert"]
    assert [(u["key"]["remoteJid"], u["pushName"]) for u in upsert] == [
        ("5511777@s.whatsapp.net", "Bia")
    ]
    assert httpx.post(f"{sim.evolution_url}/_sim/evolution/nobody/scan").status_code == 404
