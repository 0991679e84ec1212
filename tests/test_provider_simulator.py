"""The provider simulator speaks the subset of the Telegram Bot API and Graph API our adapters
call: the real adapters run against it over HTTP, and its records count what they sent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import redis
from django.core.asgi import get_asgi_application

from channels_integrations.models import InboundEvent
from channels_integrations.providers.base import InboundMedia, OutboundMessage, ProviderError
from channels_integrations.providers.registry import provider_for
from conftest import host_client
from connections.models import ChannelConnection
from simulator import (
    Faults,
    Simulator,
    delivery_maker,
    meta_signature,
    post_at_rate,
    telegram_document_update,
    telegram_text_update,
    whatsapp_delivery,
    whatsapp_text_webhook,
)
from tenants.channel_routes import channel_routes_clear, channel_routes_set
from tenants.tenancy import tenant_scope
from tests.support.concurrency import in_thread
from tickets.tests.factories import ConnectionFactory


@pytest.fixture
def sim(settings):
    simulator = Simulator().start()
    settings.TELEGRAM_API_BASE_URL = simulator.telegram_base_url
    settings.META_GRAPH_API_URL = simulator.graph_url
    yield simulator
    simulator.stop()


def _unsaved(provider: str, **credentials) -> ChannelConnection:
    connection = ChannelConnection(provider=provider, name="sim")
    connection.credentials = credentials
    return connection


def _text(n: int, to: str = "5511999990000") -> OutboundMessage:
    return OutboundMessage(idempotency_key=f"msg-{n}", recipient=to, kind="text", body=f"oi {n}")


def test_telegram_adapter_checks_registers_and_sends_through_the_simulator(sim):
    telegram = provider_for("telegram")
    facts = telegram.check_credentials({"bot_token": "4242:AAsim"})
    assert facts["bot_id"] == 4242
    connection = _unsaved("telegram", bot_token="4242:AAsim", webhook_secret="s")
    telegram.webhook_register(connection, url="https://example.test/webhooks/telegram/x/")
    first = telegram.send(connection, _text(1, to="777"))
    second = telegram.send(connection, _text(2, to="777"))
    assert first != second
    assert sim.sent_texts() == {"oi 1": 1, "oi 2": 1}
    methods = [r.method for r in sim.requests]
    assert methods == ["getMe", "setWebhook", "sendMessage", "sendMessage"]
    sim.files["FILE1"] = (b"%PDF-sim", "application/pdf")
    content, _mime = telegram.download_media(
        connection, InboundMedia(provider_media_id="FILE1"), max_bytes=1000
    )
    assert content == b"%PDF-sim"


def test_a_telegram_file_id_names_a_file_of_the_same_bot_and_kind_only(sim):
    base = f"{sim.telegram_base_url}/bot4242:AAsim"
    uploaded = httpx.post(
        f"{base}/sendPhoto",
        data={"chat_id": "777"},
        files={"photo": ("a.jpg", b"jpg", "image/jpeg")},
    ).json()["result"]
    file_id = uploaded["photo"][-1]["file_id"]

    again = httpx.post(f"{base}/sendPhoto", json={"chat_id": "778", "photo": file_id})
    as_document = httpx.post(f"{base}/sendDocument", json={"chat_id": "778", "document": file_id})
    other_bot = httpx.post(
        f"{sim.telegram_base_url}/bot4343:BBsim/sendPhoto",
        json={"chat_id": "778", "photo": file_id},
    )
    unknown = httpx.post(f"{base}/sendPhoto", json={"chat_id": "778", "photo": "AgACnope"})

    assert again.status_code == 200
    assert again.json()["result"]["photo"][-1]["file_id"] == file_id
    for refused in (as_document, other_bot, unknown):
        assert refused.status_code == 400
        assert "wrong file identifier" in refused.json()["description"]
    assert [r.status for r in sim.requests] == [200, 200, 400, 400, 400]


def test_graph_adapters_check_and_send_through_the_simulator(sim):
    whatsapp = provider_for("whatsapp_cloud")
    assert whatsapp.check_credentials({"phone_number_id": "1065", "access_token": "t"})
    wa = _unsaved("whatsapp_cloud", phone_number_id="1065", access_token="t", app_secret="a")
    assert whatsapp.send(wa, _text(3)).startswith("wamid.SIM")
    messenger = provider_for("messenger")
    fb = _unsaved("messenger", page_id="6824", page_access_token="p", app_secret="a")
    assert messenger.send(fb, _text(4, to="PSID-1")).startswith("m_SIM")
    assert sim.sent_texts() == {"oi 3": 1, "oi 4": 1}
    assert {r.account for r in sim.sends()} == {"1065", "6824"}


def test_injected_failures_reach_the_adapters_as_temporary_errors(sim):
    connection = _unsaved("telegram", bot_token="1:x", webhook_secret="s")
    sim.faults = Faults(error_rate=1.0)
    with pytest.raises(ProviderError) as failed:
        provider_for("telegram").send(connection, _text(5))
    assert failed.value.permanent is False
    sim.faults = Faults(throttle_rate=1.0, retry_after=3)
    with pytest.raises(ProviderError) as throttled:
        provider_for("telegram").send(connection, _text(6))
    assert throttled.value.retry_after == 3
    assert sim.sends() == []  # refused requests are recorded but are not sends
    assert [r.status for r in sim.requests] == [500, 429]


def test_busiest_second_counts_sends_in_any_sliding_window(sim):
    connection = _unsaved("telegram", bot_token="9:x", webhook_secret="s")
    for n in range(5):
        provider_for("telegram").send(connection, _text(n))
    assert sim.busiest_second("9:x") == 5
    assert sim.busiest_second("other") == 0


def test_the_webhook_builders_make_deliveries_the_app_accepts(alpha):
    with tenant_scope(alpha.tenant):
        wa = ConnectionFactory(
            provider="whatsapp_cloud",
            credentials={"app_secret": "sim-secret", "phone_number_id": "5550001"},
        )
        channel_routes_set(
            provider="whatsapp_cloud", connection_public_id=wa.public_id, keys=["5550001"]
        )
        tg = ConnectionFactory(
            provider="telegram",
            credentials={"bot_token": "1:x", "webhook_secret": "tg-secret"},
            webhook_token="tok-sim-1234567890",
        )
        channel_routes_set(
            provider="telegram", connection_public_id=tg.public_id, keys=[tg.webhook_token]
        )
    client = host_client("localhost")
    body = whatsapp_text_webhook(
        phone_number_id="5550001", sender="5511988887777", message_id="wamid.S1", text="oi"
    )
    meta = client.post(
        "/webhooks/meta/",
        body,
        "application/json",
        HTTP_X_HUB_SIGNATURE_256=meta_signature(body, "sim-secret"),
    )
    update = telegram_text_update(update_id=10, chat_id=555, text="olá")
    telegram = client.post(
        f"/webhooks/telegram/{tg.webhook_token}/",
        update,
        "application/json",
        HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN="tg-secret",
    )
    assert (meta.status_code, telegram.status_code) == (200, 200)
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.count() == 2
    assert json.loads(update)["message"]["text"] == "olá"


def test_faults_can_target_one_account_and_leave_the_others_alone(sim):
    sim.account_faults["13:bad"] = Faults(throttle_rate=1.0, retry_after=7)
    healthy = _unsaved("telegram", bot_token="12:ok", webhook_secret="s")
    throttled = _unsaved("telegram", bot_token="13:bad", webhook_secret="s")
    provider_for("telegram").send(healthy, _text(1))
    with pytest.raises(ProviderError) as refused:
        provider_for("telegram").send(throttled, _text(2))
    assert refused.value.retry_after == 7
    assert [(r.account, r.status) for r in sim.requests] == [("12:ok", 200), ("13:bad", 429)]


def test_a_telegram_document_is_fetched_from_the_simulator_with_getfile(sim):
    sim.files["DOC42"] = (b"%PDF-1.7 sim", "application/pdf")
    update = telegram_document_update(update_id=1, chat_id=5, file_id="DOC42", caption="nota")
    [item] = provider_for("telegram").parse_inbound(update)
    connection = _unsaved("telegram", bot_token="14:x", webhook_secret="s")
    assert item.media is not None
    content, _mime = provider_for("telegram").download_media(connection, item.media, max_bytes=99)
    assert content == b"%PDF-1.7 sim"
    assert [r.method for r in sim.requests] == ["getFile"]


def _committed_connections(tenant) -> dict[str, Any]:
    with tenant_scope(tenant):
        wa = ConnectionFactory(
            provider="whatsapp_cloud",
            credentials={"app_secret": "poster-secret", "phone_number_id": "5550077"},
        )
        channel_routes_set(
            provider="whatsapp_cloud", connection_public_id=wa.public_id, keys=["5550077"]
        )
        tg = ConnectionFactory(
            provider="telegram",
            credentials={"bot_token": "15:x", "webhook_secret": "poster-tg"},
            webhook_token="tok-poster-1234567890",
        )
        channel_routes_set(
            provider="telegram", connection_public_id=tg.public_id, keys=[tg.webhook_token]
        )
        return {"wa": wa, "tg": tg}


def _events_and_cleanup(tenant, seeded: dict[str, Any]) -> dict[str, int]:
    with tenant_scope(tenant):
        counts = {}
        for name, connection in seeded.items():
            events = InboundEvent.objects.filter(connection=connection)
            counts[name] = events.values("provider_event_id").distinct().count()
            events.delete()
            channel_routes_clear(connection_public_id=connection.public_id)
            connection.delete()
    return counts


def test_the_poster_posts_signed_deliveries_the_running_app_stores(alpha, settings):
    """The poster against the app's ASGI handler (what daphne or gunicorn run): rows are
    committed, as a running server would see them, and removed at the end."""
    tenant = alpha.tenant
    seeded = in_thread(lambda: _committed_connections(tenant))
    make_wa = delivery_maker(
        {"provider": "whatsapp", "secret": "poster-secret", "phone_number_id": "5550077"}
    )
    make_tg = delivery_maker(
        {"provider": "telegram", "secret": "poster-tg", "webhook_token": "tok-poster-1234567890"}
    )
    forged = whatsapp_delivery(
        app_secret="not-the-secret",
        phone_number_id="5550077",
        sender="5511900000000",
        message_id="wamid.FORGED",
        text="x",
    )
    transport = httpx.ASGITransport(app=get_asgi_application())
    results = []
    try:
        for make, count in ((make_wa, 12), (make_tg, 8), (lambda n: forged, 1)):
            results.append(
                asyncio.run(
                    post_at_rate("http://localhost", make, count, 40.0, transport=transport)
                )
            )
    finally:
        counts = in_thread(lambda: _events_and_cleanup(tenant, seeded))
        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("inbound")
    wa, tg, bad = results
    assert (len(wa.acks_ms), len(tg.acks_ms), dict(bad.refused)) == (12, 8, {403: 1})
    assert wa.seconds >= 11 / 40.0  # the rate was held: 12 posts at 40/s take 0.275 s or more
    assert counts == {"wa": 12, "tg": 8}  # unique ids: one event per delivery


def test_the_poster_holds_no_more_posts_in_flight_than_its_connections():
    """Posts beyond ``max_connections`` wait in the poster, in order, whatever the transport's
    own pool allows (so none ever queues inside httpx's pool, whose bookkeeping grows with its
    queue), and each waited post is still answered and timed from its sending moment."""
    stats = {"open": 0, "most": 0, "served": 0}

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        stats["open"] += 1
        stats["most"] = max(stats["most"], stats["open"])
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        await asyncio.sleep(0.05)  # a slow acknowledgement
        stats["open"] -= 1
        stats["served"] += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    def make(n: int) -> Any:
        return whatsapp_delivery(
            app_secret="s", phone_number_id="1", sender="5511", message_id=f"m{n}", text="x"
        )

    async def run() -> Any:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=64))
        async with server:
            return await post_at_rate(
                f"http://127.0.0.1:{port}", make, 24, 200.0, transport=transport, max_connections=4
            )

    result = asyncio.run(run())
    assert (len(result.acks_ms), stats["served"], stats["most"]) == (24, 24, 4)
    # 24 posts, 4 at a time, 50 ms each: the last ones waited their turn, and that counts.
    assert max(result.acks_ms) >= 5 * 50


def test_the_poster_sends_each_webhook_whole_on_a_connection_the_server_closes():
    """To an http:// URL a delivery goes as nginx passes a buffered request to the app: one
    write holding the headers and the whole body, ``Connection: close``, the extra headers
    added; the answers' statuses are counted as before."""
    first_reads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.read(65536)
        first_reads.append(first)
        status = b"403 Forbidden" if b"wamid.FORGED" in first else b"200 OK"
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    good = [
        whatsapp_delivery(
            app_secret="s", phone_number_id="1", sender="5511", message_id=f"wamid.{n}", text="x"
        )
        for n in range(3)
    ]
    forged = whatsapp_delivery(
        app_secret="t", phone_number_id="1", sender="5511", message_id="wamid.FORGED", text="x"
    )
    deliveries = [*good, forged]

    async def run() -> Any:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await post_at_rate(
                f"http://127.0.0.1:{port}",
                lambda n: deliveries[n],
                4,
                100.0,
                headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
            )

    result = asyncio.run(run())
    assert (len(result.acks_ms), dict(result.refused)) == (3, {403: 1})
    for delivery, raw in zip(deliveries, first_reads, strict=True):
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert lines[0] == "POST /webhooks/meta/ HTTP/1.1"
        pairs = (line.split(": ", 1) for line in lines[1:])
        fields = {name.lower(): value for name, value in pairs}
        assert fields["connection"] == "close"
        assert fields["host"] == "localhost"
        assert fields["x-forwarded-proto"] == "https"
        assert fields["x-hub-signature-256"] == delivery.headers["X-Hub-Signature-256"]
        assert body == delivery.body  # all of it, in the first read
