"""The simulated provider APIs: the subset of the Telegram Bot API and Meta Graph API that our
adapters call, on a local HTTP server.

Every request is recorded (tests and benchmarks count sends, duplicates and the busiest second per
account); latency, 5xx and 429 answers are injected on demand. Answers follow the providers'
documentation:

- Telegram: https://core.telegram.org/bots/api#making-requests (``{"ok": true, "result": ...}``,
  errors ``{"ok": false, "error_code", "description", "parameters": {"retry_after"}}``),
  getMe, setWebhook, deleteWebhook, answerCallbackQuery, send* (a Message), getFile (a File),
  getUserProfilePhotos (a UserProfilePhotos of the user's photo in ``profile_photos``) and
  ``/file/bot<token>/<file_path>``; a revoked token gets ``401 Unauthorized`` on every method.
  A send's Message carries the file it sent (a photo as its sizes) with a file_id the same bot
  may name instead of uploading the file again; any other id is 400 "wrong file identifier"
  (https://core.telegram.org/bots/api#sending-files).
  The messages a bot sent are kept per chat, so that editMessageText/editMessageCaption (the
  edited Message; 400 "message is not modified" when nothing changes, "message to edit not
  found" for an unknown or deleted one, https://core.telegram.org/bots/api#updating-messages),
  deleteMessage (True; 400 "message to delete not found",
  https://core.telegram.org/bots/api#deletemessage) and setMessageReaction (True, one
  ReactionTypeEmoji of Telegram's list, else 400 REACTION_INVALID,
  https://core.telegram.org/bots/api#setmessagereaction) answer as Telegram does.
- Graph: WhatsApp ``POST /<phone-number-id>/messages`` answers
  ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id"}]}``
  (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages); media upload
  ``{"id"}``, media URL ``{"url", "mime_type", "sha256", "file_size", "id"}``
  (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media); Messenger and
  Instagram Send API ``{"recipient_id", "message_id"}``
  (https://developers.facebook.com/docs/messenger-platform/reference/send-api/), a sender action
  (``sender_action: react``) ``{"recipient_id"}`` only; the User
  Profile API ``GET /<PSID or IGSID>?fields=...`` answers the asked fields of a customer in
  ``profiles`` (first_name/last_name/profile_pic on Messenger, name/username/profile_pic on
  Instagram), or error 230 (no consent); read receipts on the same ``messages`` path: WhatsApp
  ``{"messaging_product", "status": "read", "message_id"}`` answers ``{"success": true}``
  (https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/mark-message-as-read),
  Messenger/Instagram ``{"recipient", "sender_action": "mark_seen"}`` answers
  ``{"recipient_id"}``; errors
  ``{"error": {"message", "type", "code", "fbtrace_id"}}``.
- Evolution API v2 (WhatsApp by QR code): ``simulator/evolution.py``, on the same port
  (``/instance/...``, ``/message/...``, ``/chat/...``, ``/settings/...``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from simulator.evolution import SEND_METHODS as EVOLUTION_SEND_METHODS
from simulator.evolution import EvolutionGateway
from simulator.templates import TemplateCatalog

GRAPH_VERSION = "v26.0"
_EVOLUTION_PREFIXES = {"instance", "message", "chat", "group", "settings", "webhook", "_sim"}
_SEND_METHODS = {
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendAudio",
    "sendVoice",
    "sendVideo",
    "sendSticker",
    "sendLocation",
    "sendContact",
}

# The field that carries the file of each Bot API send method.
_TELEGRAM_FILE_FIELDS = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendVideo": "video",
    "sendSticker": "sticker",
}

# setMessageReaction accepts these emoji only (ReactionTypeEmoji,
# https://core.telegram.org/bots/api#reactiontypeemoji); a subset is enough for our adapters.
TELEGRAM_REACTIONS = frozenset(
    {"👍", "👎", "❤", "🔥", "🥰", "👏", "😁", "🤔", "😱", "😢", "🎉", "🙏"}
)

_TELEGRAM_CHANGES = {"editMessageText", "editMessageCaption", "deleteMessage", "setMessageReaction"}


@dataclass
class Faults:
    """What the simulator does to requests: latency (seconds) and error rates (0..1)."""

    latency: float = 0.0
    error_rate: float = 0.0  # answered 500
    throttle_rate: float = 0.0  # answered 429 with a retry-after
    retry_after: int = 1


@dataclass
class Recorded:
    at: float
    provider: str  # "telegram" or "graph"
    account: str  # bot token or Graph object id
    method: str  # sendMessage, messages, media, getMe, ...
    body: dict[str, Any]
    status: int


@dataclass
class Simulator:
    """The server and what it saw. ``start()`` returns self; ``stop()`` shuts it down."""

    host: str = "127.0.0.1"
    port: int = 0
    faults: Faults = field(default_factory=Faults)
    # Per bot token / Graph object id: overrides ``faults`` for that account only.
    account_faults: dict[str, Faults] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    # Ids the Graph ``/media`` upload gave out (a template's media header may name one).
    media_ids: set[str] = field(default_factory=set)
    # Messenger/Instagram customers by PSID/IGSID for the User Profile API: their fields, or
    # None for one whose profile Meta refuses (no consent, e.g. they never wrote to the Page).
    profiles: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # Telegram users' profile photo: user id → a file id of ``files`` (getUserProfilePhotos).
    profile_photos: dict[str, str] = field(default_factory=dict)
    # Bot tokens Telegram no longer accepts (revoked in @BotFather): every call answers 401.
    revoked_tokens: set[str] = field(default_factory=set)
    # What each bot's sent messages now say, by (token, chat id, message id): {"text"} or
    # {"caption"}; a deleted message is removed. Reactions set by a bot, by the same key.
    telegram_messages: dict[tuple[str, str, int], dict[str, str]] = field(default_factory=dict)
    telegram_reactions: dict[tuple[str, str, int], list[dict[str, Any]]] = field(
        default_factory=dict
    )
    # The file_id of every file a bot uploaded in a send: (token, field), e.g. "photo". A bot
    # may send it again by that id, in the same field ("Sending files"); another bot may not.
    telegram_file_ids: dict[str, tuple[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    in_flight: int = 0  # requests being answered now (a kill "mid-call" waits for one)
    # The WhatsApp QR-code gateway (Evolution API v2): its instances and webhooks.
    evolution: EvolutionGateway = field(default_factory=EvolutionGateway)
    # WhatsApp message templates per business account (simulator/templates.py).
    templates: TemplateCatalog = field(default_factory=TemplateCatalog)
    _server: ThreadingHTTPServer | None = None
    _random: random.Random = field(default_factory=lambda: random.Random(20261123))  # noqa: S311

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Simulator:
        simulator = self

        class Handler(_Handler):
            sim = simulator

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.evolution.server_url = self.url
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.evolution.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def telegram_base_url(self) -> str:
        return self.url

    @property
    def evolution_url(self) -> str:
        return self.url

    @property
    def graph_url(self) -> str:
        return f"{self.url}/{GRAPH_VERSION}"

    # ---------------------------------------------------------------- figures

    def next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def record(self, entry: Recorded) -> None:
        with self._lock:
            self.requests.append(entry)

    def sends(self) -> list[Recorded]:
        """Accepted sends (2xx) of messages, in arrival order (read receipts are not sends)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (
                    r.status == 200
                    and (r.method in _SEND_METHODS or r.method == "messages")
                    and not _is_receipt(r.body)
                )
                or (
                    r.status == 201
                    and r.provider == "evolution"
                    and r.method in EVOLUTION_SEND_METHODS
                )
            ]

    def receipts(self) -> list[Recorded]:
        """Accepted read receipts (WhatsApp ``status: read``, Meta ``mark_seen``), in order."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.status == 200 and r.method == "messages" and _is_receipt(r.body)
            ]

    def sent_texts(self) -> Counter[str]:
        """How many times each text was accepted: a count above 1 is a duplicate send."""
        texts: Counter[str] = Counter()
        for r in self.sends():
            body = r.body
            text = body.get("text")
            if isinstance(text, dict):  # WhatsApp {"text": {"body": ...}}
                text = text.get("body")
            if text is None and isinstance(body.get("message"), dict):  # Messenger
                text = body["message"].get("text")
            texts[str(text)] += 1
        return texts

    def busiest_second(self, account: str | None = None) -> int:
        """The most sends accepted in any sliding 1-second window (for one account)."""
        times = sorted(r.at for r in self.sends() if account is None or r.account == account)
        best = start = 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()

    # ---------------------------------------------------------------- decisions

    def faults_for(self, account: str) -> Faults:
        return self.account_faults.get(account, self.faults)

    def fault(self, account: str) -> int | None:
        """The injected failure status for this request, if any (after the latency)."""
        faults = self.faults_for(account)
        if faults.latency:
            time.sleep(faults.latency)
        with self._lock:
            roll = self._random.random()
        if roll < faults.error_rate:
            return 500
        if roll < faults.error_rate + faults.throttle_rate:
            return 429
        return None


class _Handler(BaseHTTPRequestHandler):
    sim: Simulator
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: thousands of requests per run

    # ---------------------------------------------------------------- plumbing

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        kind = self.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
        if kind.startswith("application/x-www-form-urlencoded"):
            return {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        if kind.startswith("multipart/form-data"):
            return _multipart_fields(raw, kind)
        return {}

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _bytes(self, content: bytes, mime: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._route("DELETE")

    def _route(self, verb: str) -> None:
        with self.sim._lock:
            self.sim.in_flight += 1
        try:
            self._answer(verb)
        finally:
            with self.sim._lock:
                self.sim.in_flight -= 1

    def _answer(self, verb: str) -> None:
        path = urlsplit(self.path).path
        body = self._body() if verb in ("POST", "DELETE") else {}
        if path.split("/")[1] in _EVOLUTION_PREFIXES:
            self._evolution(verb, path, body)
        elif path.startswith("/file/bot"):
            self._telegram_file(path)
        elif path.startswith("/bot"):
            self._telegram(path, body)
        elif path.startswith(f"/{GRAPH_VERSION}/"):
            self._graph(verb, path, body)
        elif path.startswith("/graph-media/"):
            content, mime = self.sim.files.get(path.rsplit("/", 1)[1], (b"", ""))
            self._bytes(content, mime or "application/octet-stream")
        else:
            self._json(404, {"error": "unknown path"})

    # ---------------------------------------------------------------- Evolution API

    def _evolution(self, verb: str, path: str, body: dict[str, Any]) -> None:
        gateway = self.sim.evolution
        name = path.rstrip("/").rsplit("/", 1)[-1]
        failure = self.sim.fault(name)
        query = parse_qs(urlsplit(self.path).query)
        if failure:
            status, payload, method = failure, {"status": failure, "error": "Simulated"}, ""
        else:
            status, payload, method = gateway.answer(
                verb, path, query, body, self.headers.get("apikey", "")
            )
        self.sim.record(Recorded(time.time(), "evolution", name, method, body, status))
        self._json(status, payload)

    # ---------------------------------------------------------------- Telegram

    def _telegram(self, path: str, body: dict[str, Any]) -> None:
        token, _, method = path[len("/bot") :].partition("/")
        failure = self.sim.fault(token)
        revoked = token in self.sim.revoked_tokens
        file_field = _TELEGRAM_FILE_FIELDS.get(method)
        given = str(body.get(file_field) or "") if file_field else ""
        # A file is uploaded (a multipart part) or named by a file_id this bot got for it.
        wrong_file = bool(file_field) and (
            given != "<file>" and self.sim.telegram_file_ids.get(given) != (token, file_field)
        )
        status = failure or (401 if revoked else 400 if wrong_file else 200)
        self.sim.record(Recorded(time.time(), "telegram", token, method, body, status))
        if failure == 429:
            retry_after = self.sim.faults_for(token).retry_after
            self._json(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                },
            )
            return
        if failure:
            self._json(
                500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
            )
            return
        if revoked:
            self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        if wrong_file:
            description = "Bad Request: wrong file identifier/HTTP URL specified"
            self._json(400, {"ok": False, "error_code": 400, "description": description})
            return
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        if method == "getMe":
            result: Any = {
                "id": bot_id,
                "is_bot": True,
                "first_name": "Simulated Bot",
                "username": f"sim_{bot_id}_bot",
            }
        elif method in {"setWebhook", "deleteWebhook", "answerCallbackQuery"}:
            result = True
        elif method == "getUserProfilePhotos":
            photo = self.sim.profile_photos.get(str(body.get("user_id") or ""))
            result = {"total_count": 0, "photos": []}
            if photo:
                content, _mime = self.sim.files.get(photo, (b"", ""))
                size = {"file_id": photo, "file_unique_id": photo[-8:], "file_size": len(content)}
                result = {"total_count": 1, "photos": [[{**size, "width": 160, "height": 160}]]}
        elif method == "getFile":
            file_id = str(body.get("file_id") or "")
            content, _mime = self.sim.files.get(file_id, (b"simulated file", "text/plain"))
            result = {
                "file_id": file_id,
                "file_unique_id": file_id[-8:],
                "file_size": len(content),
                "file_path": f"documents/{file_id}",
            }
        elif method in _SEND_METHODS:
            result = {
                "message_id": self.sim.next_id(),
                "date": int(time.time()),
                "chat": {"id": body.get("chat_id"), "type": "private"},
                "text": body.get("text", ""),
            }
            if file_field:
                file_id = given
                if given == "<file>":
                    file_id = f"BQACAgSIM{self.sim.next_id():08d}"
                    self.sim.telegram_file_ids[file_id] = (token, file_field)
                sent_file = {"file_id": file_id, "file_unique_id": file_id[-8:]}
                # A photo is sent back as its sizes (PhotoSize[]), the others as one object.
                result[file_field] = (
                    [{**sent_file, "width": 320, "height": 320}]
                    if file_field == "photo"
                    else sent_file
                )
            field_name = "text" if method == "sendMessage" else "caption"
            key = (token, str(body.get("chat_id")), result["message_id"])
            self.sim.telegram_messages[key] = {field_name: str(body.get(field_name) or "")}
        elif method in _TELEGRAM_CHANGES:
            self._telegram_change(token, method, body)
            return
        else:
            self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self._json(200, {"ok": True, "result": result})

    def _telegram_change(self, token: str, method: str, body: dict[str, Any]) -> None:
        """editMessageText, editMessageCaption, deleteMessage, setMessageReaction."""
        message_id = body.get("message_id")
        key = (token, str(body.get("chat_id")), int(message_id) if message_id else 0)
        sent = self.sim.telegram_messages.get(key)
        result: Any = True
        error = ""
        if method == "setMessageReaction":
            reactions = body.get("reaction") or []
            if any(r.get("emoji") not in TELEGRAM_REACTIONS for r in reactions):
                error = "Bad Request: REACTION_INVALID"
            else:
                self.sim.telegram_reactions[key] = reactions
        elif method == "deleteMessage":
            if sent is None:
                error = "Bad Request: message to delete not found"
            else:
                del self.sim.telegram_messages[key]
        else:
            field_name = "text" if method == "editMessageText" else "caption"
            new = str(body.get(field_name) or "")
            if sent is None or field_name not in sent:
                error = "Bad Request: message to edit not found"
            elif sent[field_name] == new:
                error = (
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message"
                )
            else:
                sent[field_name] = new
                result = {
                    "message_id": key[2],
                    "date": int(time.time()),
                    "edit_date": int(time.time()),
                    "chat": {"id": body.get("chat_id"), "type": "private"},
                    field_name: new,
                }
        if error:
            self._json(400, {"ok": False, "error_code": 400, "description": error})
        else:
            self._json(200, {"ok": True, "result": result})

    def _telegram_file(self, path: str) -> None:
        file_id = path.rsplit("/", 1)[1]
        content, mime = self.sim.files.get(file_id, (b"simulated file", "text/plain"))
        self._bytes(content, mime)

    # ---------------------------------------------------------------- Graph

    def _graph(self, verb: str, path: str, body: dict[str, Any]) -> None:
        parts = path[len(f"/{GRAPH_VERSION}/") :].strip("/").split("/")
        account, method = parts[0], (parts[1] if len(parts) > 1 else verb.lower())
        failure = self.sim.fault(account)
        refused = None
        if (
            not failure
            and verb == "POST"
            and method == "messages"
            and body.get("type") == "template"
        ):
            refused = self.sim.templates.check_send(body.get("template"), self.sim.media_ids)
        status = failure or (refused[0] if refused else 200)
        self.sim.record(Recorded(time.time(), "graph", account, method, body, status))
        if failure:
            code = 4 if failure == 429 else 2  # "Application request limit", "Service unavailable"
            retry_after = self.sim.faults_for(account).retry_after
            headers = {"Retry-After": str(retry_after)} if failure == 429 else {}
            self._json(
                failure,
                {
                    "error": {
                        "message": "Simulated failure",
                        "type": "OAuthException",
                        "code": code,
                        "fbtrace_id": "SIMULATED",
                    }
                },
                headers,
            )
            return
        if verb == "POST" and method == "messages" and _is_receipt(body):
            if body.get("messaging_product") == "whatsapp":
                self._json(200, {"success": True})
            else:
                self._json(200, {"recipient_id": (body.get("recipient") or {}).get("id", "")})
        elif method == "message_templates":
            query = parse_qs(urlsplit(self.path).query)
            url = f"{self.sim.graph_url}/{account}/message_templates"
            self._json(*self.sim.templates.answer(verb, account, query, body, url))
        elif refused is not None:
            self._json(*refused)
        elif verb == "POST" and method == "messages":
            n = self.sim.next_id()
            if body.get("messaging_product") == "whatsapp":
                to = str(body.get("to") or "")
                self._json(
                    200,
                    {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": f"wamid.SIM{n:012d}"}],
                    },
                )
            else:
                recipient = (body.get("recipient") or {}).get("id", "")
                if body.get("sender_action"):  # react, typing_on, mark_seen: no message
                    self._json(200, {"recipient_id": recipient})
                else:
                    self._json(200, {"recipient_id": recipient, "message_id": f"m_SIM{n:012d}"})
        elif verb == "POST" and method == "media":
            media_id = f"{self.sim.next_id():016d}"
            with self.sim._lock:
                self.sim.media_ids.add(media_id)
            self._json(200, {"id": media_id})
        elif verb == "GET" and account in self.sim.files:
            content, mime = self.sim.files[account]
            self._json(
                200,
                {
                    "messaging_product": "whatsapp",
                    "url": f"{self.sim.url}/graph-media/{account}",
                    "mime_type": mime,
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "file_size": len(content),
                    "id": account,
                },
            )
        elif verb == "GET" and account in self.sim.profiles:
            self._profile(account)
        elif verb == "GET":  # an account asked for its fields (credential checks)
            self._json(
                200,
                {
                    "id": account,
                    "name": "Simulated account",
                    "username": "simulated",
                    "display_phone_number": "+55 11 4000-0000",
                    "verified_name": "Simulated",
                    "quality_rating": "GREEN",
                },
            )
        else:
            self._json(404, {"error": {"message": "Unknown path", "code": 100}})

    def _profile(self, user_id: str) -> None:
        """The User Profile API: the asked ``fields`` of a customer, or Meta's consent error."""
        profile = self.sim.profiles[user_id]
        if profile is None:
            self._json(
                400,
                {
                    "error": {
                        "message": "(#230) User consent is required to access user profile",
                        "type": "OAuthException",
                        "code": 230,
                        "fbtrace_id": "SIMULATED",
                    }
                },
            )
            return
        query = parse_qs(urlsplit(self.path).query)
        asked = ",".join(query.get("fields", [])).split(",")
        answer = {key: value for key, value in profile.items() if key in asked}
        self._json(200, {**answer, "id": user_id})


def _is_receipt(body: dict[str, Any]) -> bool:
    """A read receipt rather than a message: WhatsApp's ``status: read``, Meta's sender action."""
    return body.get("status") == "read" or body.get("sender_action") == "mark_seen"


def _multipart_fields(raw: bytes, content_type: str) -> dict[str, Any]:
    """Text fields of a multipart body (file parts are noted by name only)."""
    boundary = content_type.split("boundary=", 1)[-1].strip().strip('"').encode()
    fields: dict[str, Any] = {}
    for part in raw.split(b"--" + boundary):
        head, _, value = part.partition(b"\r\n\r\n")
        if b'name="' not in head:
            continue
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        fields[name] = "<file>" if b"filename=" in head else value.rstrip(b"\r\n").decode()
    return fields
