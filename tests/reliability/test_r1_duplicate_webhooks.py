"""R1 (performance.md §5, goal 13): duplicate webhook deliveries, in the three providers' shapes.

N distinct inbound messages per shape (WhatsApp Cloud on /webhooks/meta/, Messenger on the same
URL, Telegram on its per-connection URL), each delivered 5 times one after another; then M more
per shape whose 5 copies arrive at the same moment from 5 threads (committed rows, real
connections). Every copy must be answered 2xx, and processing must leave exactly one message
per distinct event and one ticket per customer.
"""

from __future__ import annotations

import json
import secrets
import uuid
from functools import partial
from typing import Any

import redis
from django.conf import settings

from channels_integrations.models import ChannelConnection, InboundEvent
from channels_integrations.providers.meta.signatures import sign
from channels_integrations.tasks import inbound_event_process_task
from conftest import host_client
from contacts.models import Contact
from tenants.channel_routes import channel_routes_clear, channel_routes_set
from tenants.tenancy import tenant_scope
from tests.reliability.conftest import scaled
from tests.support.concurrency import in_thread, run_in_threads
from tickets.models import Message, Ticket, TicketEvent
from tickets.tests.factories import ConnectionFactory

COPIES = 5
APP_SECRET = "r1-app-secret"
TG_SECRET = "r1-telegram-secret"


def _whatsapp(phone: str, n: int, tag: str) -> bytes:
    # https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text
    sender = f"5511{9000_0000 + n % 7}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone},
        "contacts": [{"profile": {"name": f"Cliente {n % 7}"}, "wa_id": sender}],
        "messages": [
            {
                "from": sender,
                "id": f"wamid.{tag}.{n}",
                "timestamp": "1749416383",
                "type": "text",
                "text": {"body": f"wa {tag} {n}"},
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def _messenger(page: str, n: int, tag: str) -> bytes:
    # https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
    event = {
        "sender": {"id": f"psid-{n % 7}"},
        "recipient": {"id": page},
        "timestamp": 1458692752478 + n,
        "message": {"mid": f"m_{tag}.{n}", "text": f"fb {tag} {n}"},
    }
    body = {"object": "page", "entry": [{"id": page, "time": 1458692752478, "messaging": [event]}]}
    return json.dumps(body).encode()


def _telegram(n: int, tag: str, base: int) -> bytes:
    # https://core.telegram.org/bots/api#update
    user = {"id": 7000 + n % 7, "is_bot": False, "first_name": f"Ana {n % 7}"}
    message = {
        "message_id": base + n,
        "from": user,
        "chat": {**user, "type": "private"},
        "date": 1700000000,
        "text": f"tg {tag} {n}",
    }
    return json.dumps({"update_id": base + n, "message": message}).encode()


def _setup(tenant) -> dict[str, Any]:
    """Three committed connections with their routes (deleted by ``_cleanup``)."""
    phone, page = f"9{uuid.uuid4().int % 10**14}", f"8{uuid.uuid4().int % 10**14}"
    with tenant_scope(tenant):
        wa = ConnectionFactory(
            provider="whatsapp_cloud",
            credentials={"app_secret": APP_SECRET, "phone_number_id": phone, "access_token": "x"},
        )
        fb = ConnectionFactory(
            provider="messenger",
            credentials={"app_secret": APP_SECRET, "page_id": page, "page_access_token": "x"},
        )
        tg = ConnectionFactory(
            provider="telegram",
            credentials={"bot_token": "1:x", "webhook_secret": TG_SECRET},
            webhook_token=secrets.token_urlsafe(24),
        )
        channel_routes_set(
            provider="whatsapp_cloud", connection_public_id=wa.public_id, keys=[phone]
        )
        channel_routes_set(provider="messenger", connection_public_id=fb.public_id, keys=[page])
        channel_routes_set(
            provider="telegram", connection_public_id=tg.public_id, keys=[tg.webhook_token]
        )
    return {
        "phone": phone,
        "page": page,
        "tg_token": tg.webhook_token,
        "ids": [wa.pk, fb.pk, tg.pk],
    }


def _deliveries(world: dict[str, Any], n: int, tag: str) -> list[tuple[str, bytes, dict[str, str]]]:
    wa = _whatsapp(world["phone"], n, tag)
    fb = _messenger(world["page"], n, tag)
    tg = _telegram(n, tag, base=100_000 if tag == "seq" else 200_000)
    return [
        ("/webhooks/meta/", wa, {"HTTP_X_HUB_SIGNATURE_256": sign(wa, APP_SECRET)}),
        ("/webhooks/meta/", fb, {"HTTP_X_HUB_SIGNATURE_256": sign(fb, APP_SECRET)}),
        (
            f"/webhooks/telegram/{world['tg_token']}/",
            tg,
            {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": TG_SECRET},
        ),
    ]


def _post(path: str, body: bytes, headers: dict[str, str]) -> int:
    client = host_client("localhost")
    return client.post(path, data=body, content_type="application/json", **headers).status_code  # type: ignore[arg-type]


def _copy(path: str, body: bytes, headers: dict[str, str], _index: int) -> int:
    return _post(path, body, headers)


def _process_and_count(tenant, connection_ids: list[int]) -> tuple[int, int, int, int]:
    with tenant_scope(tenant):
        pending = InboundEvent.objects.filter(
            connection_id__in=connection_ids, status=InboundEvent.Status.RECEIVED
        ).values_list("pk", flat=True)
        for event_id in list(pending):
            inbound_event_process_task.apply(args=(event_id,))
        events = InboundEvent.objects.filter(connection_id__in=connection_ids)
        messages = Message.objects.filter(connection_id__in=connection_ids)
        tickets = Ticket.objects.filter(connection_id__in=connection_ids)
        customers = tickets.values("contact_id").distinct().count()
        return events.count(), messages.count(), tickets.count(), customers


def _cleanup(tenant, connection_ids: list[int]) -> None:
    with tenant_scope(tenant):
        tickets = Ticket.objects.filter(connection_id__in=connection_ids)
        contacts = list(tickets.values_list("contact_id", flat=True))
        Message.objects.filter(ticket__in=tickets).delete()
        TicketEvent.objects.filter(ticket__in=tickets).delete()
        tickets.delete()
        Contact.objects.filter(pk__in=contacts).delete()
        InboundEvent.objects.filter(connection_id__in=connection_ids).delete()
        for connection in ChannelConnection.objects.filter(pk__in=connection_ids):
            channel_routes_clear(connection_public_id=connection.public_id)
            connection.delete()
    # Processing was run here; drop the task messages the receipts queued for a worker.
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("inbound")


def test_r1_every_duplicate_is_acknowledged_and_stored_once(alpha, report_figure) -> None:
    tenant = alpha.tenant
    sequential, parallel = scaled(40), scaled(8)
    world = in_thread(lambda: _setup(tenant))
    statuses: list[int] = []
    try:

        def one_after_another() -> list[int]:  # in a thread: committed, like real requests
            answers = []
            for n in range(sequential):
                for path, body, headers in _deliveries(world, n, "seq"):
                    answers += [_post(path, body, headers) for _ in range(COPIES)]
            return answers

        statuses += in_thread(one_after_another)
        for n in range(parallel):
            for path, body, headers in _deliveries(world, n, "par"):
                answers, errors = run_in_threads(COPIES, partial(_copy, path, body, headers))
                assert errors == []
                statuses += answers
        events, messages, tickets, customers = in_thread(
            lambda: _process_and_count(tenant, world["ids"])
        )
    finally:
        in_thread(lambda: _cleanup(tenant, world["ids"]))

    distinct = 3 * (sequential + parallel)
    refused = sum(1 for status in statuses if not 200 <= status < 300)
    report_figure(
        f"R1: {len(statuses)} deliveries ({COPIES} copies of {distinct} distinct events, "
        f"WhatsApp/Messenger/Telegram, sequential and parallel) -> {events} events, "
        f"{messages} messages, {tickets - customers} duplicate tickets, {refused} non-2xx"
    )
    assert refused == 0
    assert events == distinct
    assert messages == distinct
    assert tickets == customers  # one ticket per customer: no duplicate tickets
