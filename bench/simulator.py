"""Provider simulator: the subset of the Telegram Bot API and Meta Graph API that our adapters
call, on a local HTTP server, plus a poster of correctly signed inbound webhooks.

Point the app at it with ``TELEGRAM_API_BASE_URL=http://127.0.0.1:<port>`` and
``META_GRAPH_API_URL=http://127.0.0.1:<port>/v26.0``. Every request is recorded (tests and
benchmarks count sends, duplicates and the busiest second per account); latency, 5xx and 429
answers are injected on demand. Answers follow the providers' documentation:

- Telegram: https://core.telegram.org/bots/api#making-requests (``{"ok": true, "result": ...}``,
  errors ``{"ok": false, "error_code", "description", "parameters": {"retry_after"}}``),
  getMe, setWebhook, deleteWebhook, send* (a Message), getFile (a File) and
  ``/file/bot<token>/<file_path>``.
- Graph: WhatsApp ``POST /<phone-number-id>/messages`` answers
  ``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id"}]}``
  (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages); media upload
  ``{"id"}``, media URL ``{"url", "mime_type", "sha256", "file_size", "id"}``
  (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media); Messenger and
  Instagram Send API ``{"recipient_id", "message_id"}``
  (https://developers.facebook.com/docs/messenger-platform/reference/send-api/); errors
  ``{"error": {"message", "type", "code", "fbtrace_id"}}``.

Run alone (for the demo or by hand): ``.venv/bin/python manage.py provider_simulator --port 8977``
(or ``bench/simulator.py`` with the same options); ``--post http://localhost:8000 --provider
telegram --webhook-token T --secret S --rate 5 --count 20`` posts signed webhooks instead.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

GRAPH_VERSION = "v26.0"
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
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    in_flight: int = 0  # requests being answered now (a kill "mid-call" waits for one)
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
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
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
        """Accepted sends (2xx), in arrival order."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.status == 200 and (r.method in _SEND_METHODS or r.method == "messages")
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
        body = self._body() if verb == "POST" else {}
        if path.startswith("/file/bot"):
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

    # ---------------------------------------------------------------- Telegram

    def _telegram(self, path: str, body: dict[str, Any]) -> None:
        token, _, method = path[len("/bot") :].partition("/")
        failure = self.sim.fault(token)
        status = failure or 200
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
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        if method == "getMe":
            result: Any = {
                "id": bot_id,
                "is_bot": True,
                "first_name": "Simulated Bot",
                "username": f"sim_{bot_id}_bot",
            }
        elif method in {"setWebhook", "deleteWebhook"}:
            result = True
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
        else:
            self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
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
        status = failure or 200
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
        if verb == "POST" and method == "messages":
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
                self._json(200, {"recipient_id": recipient, "message_id": f"m_SIM{n:012d}"})
        elif verb == "POST" and method == "media":
            self._json(200, {"id": f"{self.sim.next_id():016d}"})
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


# -------------------------------------------------------------------- inbound webhooks


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
    every request (Host, or the X-Forwarded-Proto a proxy would add)."""
    result = PostResult()

    async def one(client: httpx.AsyncClient, delivery: Delivery) -> None:
        started = time.perf_counter()
        try:
            response = await client.post(
                delivery.path,
                content=delivery.body,
                headers={**delivery.headers, **(headers or {})},
            )
        except httpx.HTTPError:
            result.refused[0] += 1
            return
        if response.status_code == 200:
            result.acks_ms.append((time.perf_counter() - started) * 1000)
        else:
            result.refused[response.status_code] += 1

    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    async with httpx.AsyncClient(
        base_url=base_url, timeout=60, limits=limits, transport=transport
    ) as client:
        start = time.perf_counter()
        tasks = []
        for n in range(count):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, make(n))))
        await asyncio.gather(*tasks)
        result.seconds = time.perf_counter() - start
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``bench/simulator.py`` and ``manage.py provider_simulator``."""
    parser.add_argument("--port", type=int, default=8977, help="port of the simulated APIs")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per API call")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share answered 500")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="share answered 429")
    poster = parser.add_argument_group("posting webhooks instead of serving")
    poster.add_argument("--post", metavar="APP_URL", help="e.g. http://localhost:8000")
    poster.add_argument("--provider", choices=["telegram", "whatsapp"], default="telegram")
    poster.add_argument("--rate", type=float, default=5.0, help="webhooks per second")
    poster.add_argument("--count", type=int, default=20)
    poster.add_argument("--webhook-token", help="Telegram: the connection's webhook token")
    poster.add_argument("--secret", help="Telegram webhook secret or Meta app secret")
    poster.add_argument("--phone-number-id", help="WhatsApp: the connection's phone number id")


def delivery_maker(options: dict[str, Any]) -> Callable[[int], Delivery]:
    """Text messages from distinct senders, each with a unique id and its send time in the text
    (so a receiver can measure the delay)."""
    stamp = int(time.time())

    def make(n: int) -> Delivery:
        text = f"sim {n} {time.time():.6f}"
        if options["provider"] == "whatsapp":
            return whatsapp_delivery(
                app_secret=options["secret"],
                phone_number_id=options["phone_number_id"],
                sender=f"55119{n % 1000:08d}",
                message_id=f"wamid.SIMPOST.{stamp}.{n}",
                text=text,
            )
        update = telegram_text_update(
            update_id=stamp * 1000 + n, chat_id=900_000 + n % 1000, text=text
        )
        return telegram_delivery(
            webhook_token=options["webhook_token"], secret=options["secret"], update=update
        )

    return make


def run_from_options(options: dict[str, Any], write: Any = print) -> None:
    """Serve the simulated APIs until Ctrl-C, or post webhooks when ``--post`` is given."""
    if options.get("post"):
        needed = [
            "secret",
            "phone_number_id" if options["provider"] == "whatsapp" else "webhook_token",
        ]
        missing = [name for name in needed if not options.get(name)]
        if missing:
            raise SystemExit(f"--post {options['provider']} needs --{missing[0].replace('_', '-')}")
        result = asyncio.run(
            post_at_rate(
                options["post"],
                delivery_maker(options),
                options["count"],
                options["rate"],
                headers={"X-Forwarded-Proto": "https"},
            )
        )
        acks = sorted(result.acks_ms)
        p50 = acks[len(acks) // 2] if acks else 0.0
        write(
            f"{len(acks)}/{options['count']} acknowledged in {result.seconds:.1f} s "
            f"(p50 {p50:.0f} ms); refused {dict(result.refused)}"
        )
        return
    faults = Faults(
        latency=options["latency"],
        error_rate=options["error_rate"],
        throttle_rate=options["throttle_rate"],
    )
    sim = Simulator(port=options["port"], faults=faults).start()
    write(f"Provider simulator on {sim.url}")
    write(f"  TELEGRAM_API_BASE_URL={sim.telegram_base_url}")
    write(f"  META_GRAPH_API_URL={sim.graph_url}")
    sys.stdout.flush()  # the server runs until Ctrl-C: show the addresses now
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    run_from_options(vars(parser.parse_args()))


if __name__ == "__main__":
    main()
