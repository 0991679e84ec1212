"""Inbound webhooks as the providers send them: payload builders (WhatsApp Cloud text, Telegram
text and document updates, the WhatsApp QR gateway's messages), Meta's signature, signed
deliveries, and a poster that sends them to the app at a steady rate."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

import httpx


def whatsapp_text_webhook(
    *, phone_number_id: str, sender: str, message_id: str, text: str, name: str = "Cliente"
) -> bytes:
    """A WhatsApp Cloud text message notification.
    https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples#text-messages
    """
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": sender}],
        "messages": [
            {
                "from": sender,
                "id": message_id,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    change = {"value": value, "field": "messages"}
    return json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    ).encode()


def telegram_text_update(*, update_id: int, chat_id: int, text: str, name: str = "Ana") -> bytes:
    """A Telegram Update with a private text message. https://core.telegram.org/bots/api#update"""
    user = {"id": chat_id, "is_bot": False, "first_name": name}
    message = {
        "message_id": update_id,
        "from": user,
        "chat": {**user, "type": "private"},
        "date": int(time.time()),
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def telegram_document_update(
    *, update_id: int, chat_id: int, file_id: str, file_name: str = "nota.pdf", caption: str = ""
) -> bytes:
    """A Telegram Update whose message carries a Document (downloaded with getFile).
    https://core.telegram.org/bots/api#document"""
    user = {"id": chat_id, "is_bot": False, "first_name": "Ana"}
    message = {
        "message_id": update_id,
        "from": user,
        "chat": {**user, "type": "private"},
        "date": int(time.time()),
        "caption": caption,
        "document": {
            "file_id": file_id,
            "file_unique_id": file_id[-8:],
            "file_name": file_name,
            "mime_type": "application/pdf",
            "file_size": 1024,
        },
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def meta_signature(body: bytes, app_secret: str) -> str:
    """X-Hub-Signature-256 as Meta computes it (HMAC-SHA256 of the raw body)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


# -------------------------------------------------------------------- the webhook poster


@dataclass(frozen=True)
class Delivery:
    """One webhook POST to the app: path, raw body and the provider's headers."""

    path: str
    body: bytes
    headers: dict[str, str]


def whatsapp_delivery(
    *, app_secret: str, phone_number_id: str, sender: str, message_id: str, text: str
) -> Delivery:
    """A WhatsApp Cloud text delivery to Meta's shared callback, signed with the app secret
    (https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications)."""
    body = whatsapp_text_webhook(
        phone_number_id=phone_number_id, sender=sender, message_id=message_id, text=text
    )
    return Delivery(
        "/webhooks/meta/",
        body,
        {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(body, app_secret),
        },
    )


def evolution_delivery(
    *,
    webhook_token: str,
    secret_header: str,
    secret: str,
    instance: str,
    sender: str,
    message_id: str,
    text: str,
    group: str = "",
) -> Delivery:
    """An Evolution API v2 ``messages.upsert`` (a customer's text; in ``group`` when given) to
    a WhatsApp QR connection's URL, with the secret header its instance was created with
    (https://doc.evolution-api.com/v2/en/configuration/webhooks)."""
    person = f"{sender}@s.whatsapp.net"
    key: dict[str, object] = {
        "remoteJid": f"{group}@g.us" if group else person,
        "fromMe": False,
        "id": message_id,
    }
    if group:
        key["participant"] = person
    body = json.dumps(
        {
            "event": "messages.upsert",
            "instance": instance,
            "data": {
                "key": key,
                "pushName": "Cliente",
                "message": {"conversation": text},
                "messageType": "conversation",
                "messageTimestamp": int(time.time()),
                "source": "android",
            },
            "date_time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "sender": "5511900000000@s.whatsapp.net",
            "server_url": "http://evolution:8080",
        }
    ).encode()
    return Delivery(
        f"/webhooks/whatsapp_qr/{webhook_token}/",
        body,
        {"Content-Type": "application/json", secret_header: secret},
    )


def telegram_delivery(*, webhook_token: str, secret: str, update: bytes) -> Delivery:
    """A Telegram update to the connection's webhook URL with the secret_token given to
    setWebhook (https://core.telegram.org/bots/api#setwebhook)."""
    return Delivery(
        f"/webhooks/telegram/{webhook_token}/",
        update,
        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )


@dataclass
class PostResult:
    """What the poster saw: acknowledgement times (ms) of the 200s, other statuses counted
    (0: no answer), and how long the whole run took."""

    acks_ms: list[float] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0


TIMEOUT_SECONDS = 60.0


async def _post_whole(target: SplitResult, delivery: Delivery, headers: dict[str, str]) -> int:
    """One POST on a connection of its own, written in one piece and marked ``Connection:
    close``, then read to the server's close, as nginx passes a request it has buffered to the
    app (``proxy_request_buffering``, one upstream connection a request); the status."""
    fields = {
        "Host": target.netloc,
        **delivery.headers,
        **headers,
        "Content-Length": str(len(delivery.body)),
        "Connection": "close",
    }
    head = f"POST {delivery.path} HTTP/1.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in fields.items()) + "\r\n"
    async with asyncio.timeout(TIMEOUT_SECONDS):
        reader, writer = await asyncio.open_connection(target.hostname, target.port or 80)
        try:
            writer.write(head.encode("latin-1") + delivery.body)
            answer = await reader.read()
        finally:
            writer.close()
    return int(answer.split(b" ", 2)[1])


async def post_at_rate(
    base_url: str,
    make: Callable[[int], Delivery],
    count: int,
    rate: float,
    *,
    headers: dict[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    max_connections: int = 64,
) -> PostResult:
    """POST ``make(0)`` .. ``make(count - 1)`` to ``base_url`` at ``rate`` per second (open
    loop: a slow answer does not delay the next POST). Each delivery is built at its sending
    moment, so a timestamp in its text is the time it was posted. ``headers`` are added to
    every request (Host, or the X-Forwarded-Proto a proxy would add).

    To an ``http://`` URL each POST goes as nginx sends it to the app: whole, on a connection of
    its own that the server closes. With a ``transport`` (an app in process) or to ``https://``
    it goes through httpx.

    At most ``max_connections`` POSTs are in flight; the others wait their turn here, in order,
    and their acknowledgement time includes that wait. They never wait inside httpx's pool:
    httpcore walks every connection for every queued request each time a request starts or
    ends, so a queue of hundreds there costs the poster more CPU than the server spends
    answering, and a poster that falls behind closes its connections late, which a server
    that waits for the client's FIN after each response feels as its own slowness."""
    result = PostResult()
    in_flight = asyncio.Semaphore(max_connections)
    target = urlsplit(base_url)
    extra = headers or {}

    async with AsyncExitStack() as stack:
        if transport is None and target.scheme == "http":

            async def send(delivery: Delivery) -> int:
                return await _post_whole(target, delivery, extra)

        else:
            limits = httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            )
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=base_url, timeout=TIMEOUT_SECONDS, limits=limits, transport=transport
                )
            )

            async def send(delivery: Delivery) -> int:
                response = await client.post(
                    delivery.path, content=delivery.body, headers={**delivery.headers, **extra}
                )
                return response.status_code

        async def one(delivery: Delivery) -> None:
            started = time.perf_counter()
            try:
                async with in_flight:
                    status = await send(delivery)
            except (httpx.HTTPError, OSError, ValueError, IndexError):
                result.refused[0] += 1  # no answer (or none that parses)
                return
            if status == 200:
                result.acks_ms.append((time.perf_counter() - started) * 1000)
            else:
                result.refused[status] += 1

        start = time.perf_counter()
        tasks = []
        for n in range(count):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(make(n))))
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - start
    return result
