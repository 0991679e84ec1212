"""A simulated Evolution API v2 gateway (WhatsApp by QR code): its HTTP API, its instances'
sessions, and the webhooks it posts.

HTTP API (``apikey`` header: the global key for ``/instance/create``, the global key or the
instance's own token for everything else), as documented at https://doc.evolution-api.com/v2/:

- ``POST /instance/create`` ``{instanceName, token, qrcode, integration, webhook: {url,
  byEvents, base64, headers, events}, rejectCall, msgCall, groupsIgnore}`` → 201
  ``{instance: {instanceName, instanceId, integration, status}, hash, settings, qrcode}``
- ``GET /instance/connect/<name>[?number=]`` → ``{pairingCode, code, base64, count}``
- ``GET /instance/connectionState/<name>`` → ``{instance: {instanceName, state}}``
- ``POST /instance/restart/<name>``, ``DELETE /instance/logout/<name>``,
  ``DELETE /instance/delete/<name>``
- ``POST /message/send{Text,Media,WhatsAppAudio,Sticker,Location,Contact,Reaction}/<name>``
  → the sent message ``{key: {remoteJid, fromMe, id}, message, messageTimestamp, status}``
- ``GET /instance/fetchInstances`` (global key), ``POST /webhook/set/<name>``
- ``POST /chat/markMessageAsRead/<name>`` ``{readMessages: [{remoteJid, fromMe, id}]}``,
  ``POST /chat/getBase64FromMediaMessage/<name>`` (``{mediaType, fileName, size, mimetype,
  base64}``), ``POST /settings/set/<name>`` (``rejectCall``, ``msgCall``, ``groupsIgnore``)
- ``POST /chat/updateMessage/<name>`` ``{number, text, key: {remoteJid, fromMe, id}}`` and
  ``DELETE /chat/deleteMessageForEveryone/<name>`` ``{id, remoteJid, fromMe, participant}``:
  a sent message edited or deleted for everyone (WhatsApp's 15-minute edit window applies)
- ``GET /group/findGroupInfos/<name>?groupJid=`` → ``{id, subject, pictureUrl, size, ...}``

Webhooks ``{event, instance, data, destination, date_time, sender, server_url, apikey}`` with
the headers given at creation: ``qrcode.updated`` (``data.qrcode = {instance, pairingCode,
code, base64}``), ``connection.update`` (``{instance, wuid, profileName, state,
statusReason}``), ``messages.upsert`` and ``send.message`` (a Baileys ``WebMessageInfo``),
``messages.update`` (``{keyId, remoteJid, fromMe, participant, status}``), ``messages.delete``
(the deleted message's key).

What a test or the demo does to an instance (``Simulator.evolution``): ``scan`` (the phone reads
the QR: the session opens), ``close`` / ``replace`` (the session drops, or another WhatsApp Web
session takes it), and ``customer_*`` / ``ack`` / ``phone_sends`` post the webhooks of inbound
messages (in a group too: ``group=``, unless the instance ignores groups), delivery ticks and a
message typed on the phone itself; ``incoming_call`` rings the number (rejected, with the call
message sent once, when the instance says so); ``customer_edits`` / ``customer_reacts`` post
an edit or a reaction. ``POST
/_sim/evolution/<name>/scan`` does the scan over HTTP (demo).
"""

from __future__ import annotations

import base64
import itertools
import json
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

SEND_METHODS = frozenset(
    {
        "sendText",
        "sendMedia",
        "sendWhatsAppAudio",
        "sendLocation",
        "sendContact",
        "sendReaction",
        "sendSticker",
    }
)
# Events an instance posts (webhook.events at creation; all of them when none are given).
EVENTS = (
    "QRCODE_UPDATED",
    "CONNECTION_UPDATE",
    "MESSAGES_UPSERT",
    "MESSAGES_UPDATE",
    "MESSAGES_DELETE",
    "SEND_MESSAGE",
)
# The gateway gives up offering QR codes after this many (Evolution's QRCODE_LIMIT).
QRCODE_LIMIT = 30


def _now() -> int:
    return int(time.time())


def qr_png(seed: str, size: int = 29) -> bytes:
    """A black-and-white PNG that looks like a QR code (a pattern derived from ``seed``): what
    the gateway's ``base64`` carries, drawn with the standard library only."""
    bits = zlib.crc32(seed.encode())
    scale = 6
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            finder = any(
                ox <= x < ox + 7 and oy <= y < oy + 7
                for ox, oy in ((0, 0), (size - 7, 0), (0, size - 7))
            )
            if finder:
                dark = x % 7 in (0, 6) or y % 7 in (0, 6) or (2 <= x % 7 <= 4 and 2 <= y % 7 <= 4)
            else:
                dark = bool((bits >> ((x * 7 + y * 13) % 31)) & 1) ^ ((x * y) % 3 == 0)
            row.extend(b"\x00" if dark else b"\xff")
        line = b"\x00" + bytes(itertools.chain.from_iterable([bytes([v]) * scale for v in row]))
        rows.extend([line] * scale)
    width = size * scale

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, width, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


@dataclass
class Instance:
    """One number on the gateway and its session."""

    name: str
    token: str
    webhook_url: str = ""
    webhook_headers: dict[str, str] = field(default_factory=dict)
    events: tuple[str, ...] = EVENTS
    instance_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "close"  # close, connecting, open
    qr_count: int = 0
    qr_code: str = ""
    pairing_code: str = ""
    number: str = ""  # the phone's number once the session is open
    profile_name: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    deliveries: list[tuple[str, int]] = field(default_factory=list)  # (event, HTTP status)
    # What the number sent through the API and what it still says: message id → {jid, text,
    # at, deleted}; edits and deletions for everyone change it.
    sent: dict[str, dict[str, Any]] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)  # ids of customers' messages marked read
    calls: list[dict[str, Any]] = field(default_factory=list)  # {from, video, rejected}
    _cycle: threading.Event | None = None


@dataclass
class EvolutionGateway:
    """The gateway's instances, what it was sent, and its webhook poster."""

    api_key: str = "evolution-global-key"
    server_url: str = ""
    qr_interval: float = 20.0  # seconds between two QR codes of a connecting session
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # message id → file
    # Groups the numbers belong to: group id (without ``@g.us``) → {subject, pictureUrl}.
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    instances: dict[str, Instance] = field(default_factory=dict)
    down: bool = False  # answers 503 to every call (the gateway went away)
    # How a webhook is posted: ``(url, body, headers) -> HTTP status``; None posts with httpx.
    # Tests whose database lives in one transaction hand it to Django's test client.
    deliver: Callable[[str, bytes, dict[str, str]], int] | None = None
    # Webhooks kept (not posted) until ``release()``: a test posts them from its own thread.
    hold: bool = False
    held: list[tuple[Instance, str, bytes]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # ---------------------------------------------------------------- webhooks

    def _post(self, instance: Instance, event: str, data: Any) -> int:
        """Post one event to the instance's webhook (if it asked for that event)."""
        if not instance.webhook_url or event.upper().replace(".", "_") not in instance.events:
            return 0
        body = {
            "event": event,
            "instance": instance.name,
            "data": data,
            "destination": instance.webhook_url,
            "date_time": datetime.now(UTC).isoformat(),
            "sender": f"{instance.number}@s.whatsapp.net" if instance.number else "",
            "server_url": self.server_url,
            "apikey": instance.token,
        }
        encoded = json.dumps(body).encode()
        if self.hold:
            with self._lock:
                self.held.append((instance, event, encoded))
            return 0
        return self._send_webhook(instance, event, encoded)

    def _send_webhook(self, instance: Instance, event: str, encoded: bytes) -> int:
        headers = {"Content-Type": "application/json", **instance.webhook_headers}
        if self.deliver is not None:
            status = self.deliver(instance.webhook_url, encoded, headers)
        else:
            try:
                status = httpx.post(
                    instance.webhook_url, content=encoded, headers=headers, timeout=30
                ).status_code
            except httpx.HTTPError:
                status = 0
        with self._lock:
            instance.deliveries.append((event, status))
        return status

    def release(self) -> list[int]:
        """Post the held webhooks, in order; their HTTP statuses."""
        with self._lock:
            held, self.held[:] = list(self.held), []
        return [self._send_webhook(instance, event, body) for instance, event, body in held]

    def post_raw(self, name: str, event: str, data: Any) -> int:
        """Post any event body of ``name`` (tests of unusual payloads)."""
        return self._post(self.instances[name], event, data)

    # ---------------------------------------------------------------- sessions

    def _qr(self, instance: Instance) -> dict[str, Any]:
        instance.qr_count += 1
        ref = uuid.uuid4().hex
        instance.qr_code = f"2@{ref},{instance.instance_id},{instance.qr_count}"
        png = base64.b64encode(qr_png(instance.qr_code)).decode()
        return {
            "pairingCode": instance.pairing_code or None,
            "code": instance.qr_code,
            "base64": f"data:image/png;base64,{png}",
            "count": instance.qr_count,
        }

    def _qr_cycle(self, instance: Instance, stop: threading.Event) -> None:
        """While the session is connecting: a new QR code every ``qr_interval`` seconds, up to
        QRCODE_LIMIT, then the gateway gives up (state close)."""
        while not stop.wait(self.qr_interval):
            if instance.state != "connecting":
                return
            if instance.qr_count >= QRCODE_LIMIT:
                self._state(instance, "close", 401)
                return
            qr = self._qr(instance)
            self._post(
                instance,
                "qrcode.updated",
                {"qrcode": {"instance": instance.name, **{k: qr[k] for k in qr if k != "count"}}},
            )

    def _connecting(self, instance: Instance, number: str = "") -> dict[str, Any]:
        if instance._cycle is not None:
            instance._cycle.set()
        instance.state = "connecting"
        instance.qr_count = 0
        instance.pairing_code = (
            f"{zlib.crc32(number.encode()) % 10**8:08d}"[:4] + "-" + number[-4:].rjust(4, "0")
            if number
            else ""
        )
        qr = self._qr(instance)
        self._post(instance, "qrcode.updated", {"qrcode": {"instance": instance.name, **qr}})
        stop = threading.Event()
        instance._cycle = stop
        threading.Thread(target=self._qr_cycle, args=(instance, stop), daemon=True).start()
        return qr

    def _state(self, instance: Instance, state: str, reason: int = 200) -> None:
        instance.state = state
        if state != "connecting" and instance._cycle is not None:
            instance._cycle.set()
            instance._cycle = None
        self._post(
            instance,
            "connection.update",
            {
                "instance": instance.name,
                "wuid": f"{instance.number}@s.whatsapp.net" if instance.number else None,
                "profileName": instance.profile_name or None,
                "profilePictureUrl": None,
                "state": state,
                "statusReason": reason,
            },
        )

    def scan(self, name: str, *, number: str = "5511987650000", profile_name: str = "Loja") -> None:
        """The phone read the QR code (or typed the pairing code): the session opens."""
        instance = self.instances[name]
        instance.number = number
        instance.profile_name = profile_name
        self._state(instance, "open", 200)

    def close(self, name: str, *, reason: int = 428) -> None:
        """The session dropped (428: connection closed; 401: logged out on the phone)."""
        self._state(self.instances[name], "close", reason)

    def replace(self, name: str) -> None:
        """Another WhatsApp Web session took the number (Baileys' 440, connectionReplaced)."""
        self._state(self.instances[name], "close", 440)

    def stop(self) -> None:
        for instance in self.instances.values():
            if instance._cycle is not None:
                instance._cycle.set()

    # ---------------------------------------------------------------- messages

    def message_id(self) -> str:
        with self._lock:
            return f"3EB0SIM{next(self._ids):012d}"

    def _upsert(
        self,
        name: str,
        *,
        jid: str,
        message: dict[str, Any],
        message_type: str,
        from_me: bool = False,
        push_name: str = "",
        participant: str = "",
        message_id: str = "",
        event: str = "messages.upsert",
    ) -> str:
        instance = self.instances[name]
        key: dict[str, Any] = {
            "remoteJid": jid,
            "fromMe": from_me,
            "id": message_id or self.message_id(),
        }
        if participant:
            key["participant"] = participant
        data = {
            "key": key,
            "pushName": push_name,
            "message": message,
            "messageType": message_type,
            "messageTimestamp": _now(),
            "instanceId": instance.instance_id,
            "source": "android",
        }
        self._post(instance, event, data)
        return str(key["id"])

    def customer_message(
        self,
        name: str,
        *,
        sender: str,
        message: dict[str, Any],
        message_type: str,
        push_name: str = "Cliente",
        group: str = "",
        message_id: str = "",
    ) -> str:
        """A message from a customer (``sender`` is a number); in ``group`` (a group id) when
        given, not posted at all when the instance ignores groups. Returns its id."""
        person = f"{sender}@s.whatsapp.net"
        if group and self.instances[name].settings.get("groupsIgnore"):
            return ""
        return self._upsert(
            name,
            jid=f"{group}@g.us" if group else person,
            participant=person if group else "",
            message=message,
            message_type=message_type,
            push_name=push_name,
            message_id=message_id,
        )

    def customer_text(self, name: str, *, sender: str, text: str, **kwargs: Any) -> str:
        return self.customer_message(
            name,
            sender=sender,
            message={"conversation": text},
            message_type="conversation",
            **kwargs,
        )

    def customer_file(
        self,
        name: str,
        *,
        sender: str,
        kind: str,
        content: bytes,
        mimetype: str,
        caption: str = "",
        file_name: str = "",
        ptt: bool = False,
        **kwargs: Any,
    ) -> str:
        """An image, video, audio (``ptt``: a voice note), document or sticker; the file is
        then handed over by getBase64FromMediaMessage."""
        message_type = f"{kind}Message"
        media: dict[str, Any] = {
            "url": "https://mmg.whatsapp.net/simulated",
            "mimetype": mimetype,
            "fileLength": str(len(content)),
        }
        if caption:
            media["caption"] = caption
        if file_name:
            media["fileName"] = file_name
        if kind == "audio":
            media["ptt"] = ptt
        message_id = kwargs.pop("message_id", "") or self.message_id()
        self.files[message_id] = (content, mimetype)
        return self.customer_message(
            name,
            sender=sender,
            message={message_type: media},
            message_type=message_type,
            message_id=message_id,
            **kwargs,
        )

    def ack(self, name: str, *, message_id: str, to: str, status: str) -> int:
        """A delivery tick for one of our messages: SERVER_ACK, DELIVERY_ACK, READ or PLAYED."""
        instance = self.instances[name]
        return self._post(
            instance,
            "messages.update",
            {
                "messageId": message_id,
                "keyId": message_id,
                "remoteJid": f"{to}@s.whatsapp.net",
                "fromMe": True,
                "participant": f"{to}@s.whatsapp.net",
                "status": status,
                "instanceId": instance.instance_id,
            },
        )

    def customer_edits(
        self, name: str, *, sender: str, message_id: str, text: str, group: str = ""
    ) -> str:
        """The customer edited one of their texts (a ``protocolMessage`` of type
        MESSAGE_EDIT carrying the new text)."""
        person = f"{sender}@s.whatsapp.net"
        return self._upsert(
            name,
            jid=f"{group}@g.us" if group else person,
            participant=person if group else "",
            message={
                "protocolMessage": {
                    "key": {"remoteJid": person, "fromMe": False, "id": message_id},
                    "type": "MESSAGE_EDIT",
                    "editedMessage": {"conversation": text},
                }
            },
            message_type="protocolMessage",
        )

    def customer_reacts(self, name: str, *, sender: str, message_id: str, emoji: str) -> str:
        """The customer reacted to a message (an empty emoji takes the reaction back)."""
        return self.customer_message(
            name,
            sender=sender,
            message={
                "reactionMessage": {
                    "key": {"remoteJid": f"{sender}@s.whatsapp.net", "id": message_id},
                    "text": emoji,
                }
            },
            message_type="reactionMessage",
        )

    def incoming_call(self, name: str, *, sender: str, video: bool = False) -> dict[str, Any]:
        """Someone calls the number. Baileys reports the call as it goes (offer, ringing,
        timeout); the gateway acts on the offer only: with ``rejectCall`` it rejects it and,
        with ``msgCall``, sends that text to the caller, once per call."""
        instance = self.instances[name]
        call: dict[str, Any] = {"from": sender, "video": video, "rejected": False}
        for status in ("offer", "ringing", "timeout"):
            if status != "offer" or not instance.settings.get("rejectCall"):
                continue
            call["rejected"] = True
            text = str(instance.settings.get("msgCall") or "").strip()
            if text:
                message_id = self.message_id()
                jid = f"{sender}@s.whatsapp.net"
                instance.sent[message_id] = {"jid": jid, "text": text, "at": time.time()}
                # The gateway's own send comes back as the number's message.
                self._upsert(
                    name,
                    jid=jid,
                    message={"conversation": text},
                    message_type="conversation",
                    from_me=True,
                    message_id=message_id,
                )
        instance.calls.append(call)
        return call

    def customer_deletes(self, name: str, *, sender: str, message_id: str) -> int:
        """The customer deleted one of their messages for everyone."""
        return self._post(
            self.instances[name],
            "messages.delete",
            {"remoteJid": f"{sender}@s.whatsapp.net", "fromMe": False, "id": message_id},
        )

    def phone_sends(self, name: str, *, to: str, text: str) -> str:
        """The business typed a message on the phone itself."""
        return self._upsert(
            name,
            jid=f"{to}@s.whatsapp.net",
            message={"conversation": text},
            message_type="conversation",
            from_me=True,
        )

    # ---------------------------------------------------------------- HTTP API

    def answer(
        self, verb: str, path: str, query: dict[str, list[str]], body: dict[str, Any], apikey: str
    ) -> tuple[int, Any, str]:
        """``(status, JSON body, method)`` of one API call."""
        parts = path.strip("/").split("/")
        if parts[0] == "_sim" and len(parts) == 4:
            return self._demo_action(parts[2], parts[3], body)
        if self.down:
            return 503, {"status": 503, "error": "Service Unavailable"}, parts[-1]
        if parts[:2] == ["instance", "create"] and verb == "POST":
            if apikey != self.api_key:
                return 401, _unauthorized(), "create"
            return self._create(body)
        if parts == ["instance", "fetchInstances"] and verb == "GET":
            if apikey != self.api_key:
                return 401, _unauthorized(), "fetchInstances"
            listed = [
                {"name": i.name, "connectionStatus": i.state} for i in self.instances.values()
            ]
            return 200, listed, "fetchInstances"
        if len(parts) != 3:
            return (
                404,
                {"status": 404, "error": "Not Found", "response": {"message": ["Not Found"]}},
                "",
            )
        group, method, name = parts
        instance = self.instances.get(name)
        if instance is None:
            return (
                404,
                {
                    "status": 404,
                    "error": "Not Found",
                    "response": {"message": [f'The "{name}" instance does not exist']},
                },
                method,
            )
        if apikey not in (self.api_key, instance.token):
            return 401, _unauthorized(), method
        if group == "instance":
            return self._instance(verb, method, instance, query)
        if group == "message" and method in SEND_METHODS:
            return self._send(method, instance, body)
        if group == "chat" and method == "markMessageAsRead":
            for read in body.get("readMessages") or []:
                instance.read.append(str((read or {}).get("id") or ""))
            return 201, {"message": "Read messages", "read": "success"}, method
        if group == "chat" and method in ("updateMessage", "deleteMessageForEveryone"):
            return self._change(verb, method, instance, body)
        if group == "group" and method == "findGroupInfos" and verb == "GET":
            group_id = (query.get("groupJid") or [""])[0].removesuffix("@g.us")
            if group_id not in self.groups:
                return _bad_request("not found", method)
            info = self.groups[group_id]
            return (
                200,
                {
                    "id": f"{group_id}@g.us",
                    "subject": info.get("subject", ""),
                    "pictureUrl": info.get("pictureUrl"),
                    "size": int(info.get("size") or 3),
                    "owner": f"{instance.number}@s.whatsapp.net",
                },
                method,
            )
        if group == "chat" and method == "getBase64FromMediaMessage":
            message_id = str(((body.get("message") or {}).get("key") or {}).get("id") or "")
            if message_id not in self.files:
                return _bad_request("Message not found", method)
            content, mime = self.files[message_id]
            return (
                201,
                {
                    "mediaType": mime.split("/")[0],
                    "fileName": message_id,
                    "size": {"fileLength": str(len(content))},
                    "mimetype": mime,
                    "base64": base64.b64encode(content).decode(),
                },
                method,
            )
        if group == "webhook" and method == "set":
            webhook = body.get("webhook") or {}
            instance.webhook_url = str(webhook.get("url") or "")
            instance.webhook_headers = {
                str(k): str(v) for k, v in (webhook.get("headers") or {}).items()
            }
            instance.events = tuple(webhook.get("events") or EVENTS)
            return 201, {"webhook": {"instanceName": name, "webhook": webhook}}, method
        if group == "settings" and method == "set":
            instance.settings.update(body)
            return 201, {"settings": {"instanceName": name, "settings": instance.settings}}, method
        return 404, {"status": 404, "error": "Not Found"}, method

    def _demo_action(self, name: str, action: str, body: dict[str, Any]) -> tuple[int, Any, str]:
        """``POST /_sim/evolution/<name>/scan`` (the phone scans the QR code) and
        ``.../message`` ``{"from", "text", "name"}`` (a customer writes): for demos."""
        if name not in self.instances:
            return 404, {"status": 404, "error": "Not Found"}, action
        if action == "scan":
            self.scan(name)
            return 200, {"state": "open"}, action
        if action == "message" and body.get("from") and body.get("text"):
            message_id = self.customer_text(
                name,
                sender=str(body["from"]),
                text=str(body["text"]),
                push_name=str(body.get("name") or "Cliente"),
            )
            return 200, {"id": message_id}, action
        return 400, {"status": 400, "error": "Bad Request"}, action

    def _create(self, body: dict[str, Any]) -> tuple[int, Any, str]:
        name = str(body.get("instanceName") or "")
        if not name:
            return _bad_request("instanceName is required", "create")
        if name in self.instances:
            return (
                403,
                {
                    "status": 403,
                    "error": "Forbidden",
                    "response": {"message": [f'This name "{name}" is already in use.']},
                },
                "create",
            )
        webhook = body.get("webhook") or {}
        instance = Instance(
            name=name,
            token=str(body.get("token") or uuid.uuid4()).upper(),
            webhook_url=str(webhook.get("url") or ""),
            webhook_headers={str(k): str(v) for k, v in (webhook.get("headers") or {}).items()},
            events=tuple(webhook.get("events") or EVENTS),
            settings={
                key: body.get(key, default)
                for key, default in (
                    ("rejectCall", False),
                    ("msgCall", ""),
                    ("groupsIgnore", False),
                )
            },
        )
        with self._lock:
            self.instances[name] = instance
        qrcode: dict[str, Any] = {"count": 0}
        if body.get("qrcode"):
            qrcode = self._connecting(instance, str(body.get("number") or ""))
        return (
            201,
            {
                "instance": {
                    "instanceName": name,
                    "instanceId": instance.instance_id,
                    "integration": body.get("integration") or "WHATSAPP-BAILEYS",
                    "status": instance.state,
                },
                "hash": instance.token,
                "webhook": webhook,
                "settings": instance.settings,
                "qrcode": qrcode,
            },
            "create",
        )

    def _instance(
        self, verb: str, method: str, instance: Instance, query: dict[str, list[str]]
    ) -> tuple[int, Any, str]:
        if method == "connect" and verb == "GET":
            if instance.state == "open":
                return 200, {"instance": {"instanceName": instance.name, "state": "open"}}, method
            number = (query.get("number") or [""])[0]
            return 200, self._connecting(instance, number), method
        if method == "connectionState" and verb == "GET":
            return (
                200,
                {"instance": {"instanceName": instance.name, "state": instance.state}},
                method,
            )
        if method == "restart" and verb == "POST":
            if instance.number:  # a paired phone reconnects without a new QR code
                self._state(instance, "open", 200)
            else:
                self._connecting(instance)
            return (
                200,
                {"instance": {"instanceName": instance.name, "state": instance.state}},
                method,
            )
        if method == "logout" and verb == "DELETE":
            instance.number = ""
            instance.profile_name = ""
            self._state(instance, "close", 401)
            return (
                200,
                {
                    "status": "SUCCESS",
                    "error": False,
                    "response": {"message": "Instance logged out"},
                },
                method,
            )
        if method == "delete" and verb == "DELETE":
            if instance._cycle is not None:
                instance._cycle.set()
            with self._lock:
                self.instances.pop(instance.name, None)
            return (
                200,
                {"status": "SUCCESS", "error": False, "response": {"message": "Instance deleted"}},
                method,
            )
        return 404, {"status": 404, "error": "Not Found"}, method

    def _change(
        self, verb: str, method: str, instance: Instance, body: dict[str, Any]
    ) -> tuple[int, Any, str]:
        """An edit or a deletion for everyone of one of the number's messages."""
        if instance.state != "open":
            return _bad_request("Connection Closed", method)
        if method == "updateMessage" and verb == "POST":
            key = body.get("key") or {}
            message_id, text = str(key.get("id") or ""), body.get("text")
        elif method == "deleteMessageForEveryone" and verb == "DELETE":
            message_id, text = str(body.get("id") or ""), None
        else:
            return 404, {"status": 404, "error": "Not Found"}, method
        sent = instance.sent.get(message_id)
        if sent is None or sent.get("deleted"):
            return _bad_request("Message not found", method)
        if text is None:
            sent["deleted"] = True
            return 201, {"deleted": True, "messageId": message_id}, method
        if not isinstance(text, str) or not text:
            return _bad_request("text is required", method)
        if time.time() - float(sent["at"]) > 15 * 60:
            return _bad_request("Message is too old to edit", method)
        sent["text"] = text
        return (
            201,
            {
                "key": {"remoteJid": sent["jid"], "fromMe": True, "id": message_id},
                "message": {"editedMessage": {"conversation": text}},
                "status": "PENDING",
            },
            method,
        )

    def _send(self, method: str, instance: Instance, body: dict[str, Any]) -> tuple[int, Any, str]:
        if instance.state != "open":
            return _bad_request("Connection Closed", method)
        number = str(body.get("number") or "")
        if method == "sendReaction":
            key = body.get("key") or {}
            jid = str(key.get("remoteJid") or "")
            message: dict[str, Any] = {
                "reactionMessage": {"key": key, "text": body.get("reaction", "")}
            }
        else:
            if not number:
                return _bad_request("number is required", method)
            jid = number if "@" in number else f"{number}@s.whatsapp.net"
            message = {
                "sendText": lambda: {"conversation": body.get("text", "")},
                "sendMedia": lambda: {
                    f"{body.get('mediatype', 'document')}Message": {
                        "caption": body.get("caption", "")
                    }
                },
                "sendWhatsAppAudio": lambda: {"audioMessage": {"ptt": True}},
                "sendLocation": lambda: {
                    "locationMessage": {
                        "degreesLatitude": body.get("latitude"),
                        "degreesLongitude": body.get("longitude"),
                    }
                },
                "sendSticker": lambda: {"stickerMessage": {}},
                "sendContact": lambda: {
                    "contactMessage": {
                        "displayName": ((body.get("contact") or [{}])[0]).get("fullName", "")
                    }
                },
            }[method]()
        message_id = self.message_id()
        instance.sent[message_id] = {
            "jid": jid,
            "text": str(body.get("text") or body.get("caption") or ""),
            "at": time.time(),
        }
        return (
            201,
            {
                "key": {"remoteJid": jid, "fromMe": True, "id": message_id},
                "message": message,
                "messageTimestamp": str(_now()),
                "status": "PENDING",
            },
            method,
        )


def _bad_request(message: str, method: str) -> tuple[int, Any, str]:
    """The gateway's 400 answer, its reason in ``response.message``."""
    return (
        400,
        {"status": 400, "error": "Bad Request", "response": {"message": [message]}},
        method,
    )


def _unauthorized() -> dict[str, Any]:
    return {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}}
