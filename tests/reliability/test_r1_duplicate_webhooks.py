"""R1: duplicate webhook deliveries, in the three providers' shapes.

N distinct inbound messages (N = 200, 1,000 under RELIABILITY_SCALE=5), taking turns between
WhatsApp Cloud and Messenger on /webhooks/meta/ and Telegram on its per-connection URL; every
event is delivered 5 times: the first half one copy after another, the second half as 5 copies
arriving at the same moment from 5 threads (committed rows, real connections, a barrier before
each event). All 5 x N copies must be answered 2xx, and processing must leave exactly N
messages and one ticket per customer.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from typing import Any

import redis
from django.conf import settings

from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.signatures import sign
from channels_integrations.tasks import inbound_event_process_task
from conftest import host_client
from connections.models import ChannelConnection
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


def _whatsapp(phone: str, n: int) -> bytes:
    # https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text
    sender = f"5511{9000_0000 + n % 7}"
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone},
        "contacts": [{"profile": {"name": f"Cliente {n % 7}"}, "wa_id": sender}],
        "messages": [
            {
                "from": sender,
                "id": f"wamid.r1.{n}",
                "timestamp": "1749416383",
                "type": "text",
                "text": {"body": f"wa {n}"},
            }
        ],
    }
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def _messenger(page: str, n: int) -> bytes:
    # https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/messages
    event = {
        "sender": {"id": f"psid-{n % 7}"},
        "recipient": {"id": page},
        "timestamp": 1458692752478 + n,
        "message": {"mid": f"m_r1.{n}", "text": f"fb {n}"},
    }
    body = {"object": "page", "entry": [{"id": page, "time": 1458692752478, "messaging": [event]}]}
    return json.dumps(body).encode()


def _telegram(n: int) -> bytes:
    # https://core.telegram.org/bots/api#update
    user = {"id": 7000 + n % 7, "is_bot": False, "first_name": f"Ana {n % 7}"}
    message = {
        "message_id": 100_000 + n,
        "from": user,
        "chat": {**user, "type": "private"},
        "date": 1700000000,
        "text": f"tg {n}",
    }
    return json.dumps({"update_id": 100_000 + n, "message": message}).encode()


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


def _delivery(world: dict[str, Any], n: int) -> tuple[str, bytes, dict[str, str]]:
    """Event ``n`` in the shape of provider ``n % 3``, signed as that provider signs it."""
    shape = n % 3
    if shape == 0:
        wa = _whatsapp(world["phone"], n)
        return "/webhooks/meta/", wa, {"HTTP_X_HUB_SIGNATURE_256": sign(wa, APP_SECRET)}
    if shape == 1:
        fb = _messenger(world["page"], n)
        return "/webhooks/meta/", fb, {"HTTP_X_HUB_SIGNATURE_256": sign(fb, APP_SECRET)}
    return (
        f"/webhooks/telegram/{world['tg_token']}/",
        _telegram(n),
        {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": TG_SECRET},
    )


def _post(path: str, body: bytes, headers: dict[str, str]) -> int:
    client = host_client("localhost")
    return client.post(path, data=body, content_type="application/json", **headers).status_code  # type: ignore[arg-type]


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
    distinct = scaled(200)
    sequential = range(distinct // 2)
    parallel = range(distinct // 2, distinct)
    world = in_thread(lambda: _setup(tenant))
    statuses: list[int] = []
    try:

        def one_after_another() -> list[int]:  # in a thread: committed, like real requests
            answers = []
            for n in sequential:
                path, body, headers = _delivery(world, n)
                answers += [_post(path, body, headers) for _ in range(COPIES)]
            return answers

        statuses += in_thread(one_after_another)
        deliveries = [_delivery(world, n) for n in parallel]
        together = threading.Barrier(COPIES)

        def one_copy_of_each(_copy: int) -> list[int]:
            answers = []
            for path, body, headers in deliveries:
                together.wait(timeout=30)  # the 5 copies of an event leave at the same moment
                answers.append(_post(path, body, headers))
            return answers

        answers, errors = run_in_threads(COPIES, one_copy_of_each)
        assert errors == []
        statuses += [status for copy_answers in answers for status in copy_answers]
        events, messages, tickets, customers = in_thread(
            lambda: _process_and_count(tenant, world["ids"])
        )
    finally:
        in_thread(lambda: _cleanup(tenant, world["ids"]))

    refused = sum(1 for status in statuses if not 200 <= status < 300)
    report_figure(
        f"R1: {len(statuses)} deliveries -> {messages} messages, {tickets - customers} duplicate "
        f"tickets, {refused} non-2xx ({COPIES} copies of {distinct} distinct WhatsApp/Messenger/"
        f"Telegram events, {len(sequential)} one copy after another, {len(parallel)} with their "
        f"copies in parallel; {events} events stored)"
    )
    assert len(statuses) == COPIES * distinct
    assert refused == 0
    assert events == distinct
    assert messages == distinct
    assert tickets == customers  # one ticket per customer: no duplicate tickets
