"""Serve the simulated provider APIs until Ctrl-C, or post signed webhooks with ``--post``."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any

from simulator.server import Faults, Simulator
from simulator.webhooks import (
    Delivery,
    post_at_rate,
    telegram_delivery,
    telegram_text_update,
    whatsapp_delivery,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m simulator`` and ``manage.py provider_simulator``."""
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
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    add_arguments(parser)
    run_from_options(vars(parser.parse_args()))
