"""B8: chatbot step latency — a customer's WhatsApp message in, the bot's answer out.

One tenant with a WhatsApp Cloud connection whose API is the provider simulator (the
``simulator`` package), a default flow (a menu whose option 2 leads to a second step) and the
docker-compose process topology on loopback (gunicorn, daphne, one Celery worker;
bench/processes.py). New conversations start at 20 per second: each customer's first message
gets the menu (attach + first step), then each answers "2" and gets the second step (a matched
answer). The latency of a step is from the webhook POST (the message is stored and processed by
the inbound worker, which runs the bot) to the bot's text reaching the simulator (through the
outbound pipeline); p50/p99 per step. Then it reconciles: every customer got exactly one menu and
one answer.

    .venv/bin/python bench/bot.py               # 20 conversations/s for 8 s
    .venv/bin/python bench/bot.py --rate 30 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.harness import BenchContext, Figure, bench_database  # noqa: E402
from bench.topology import (  # noqa: E402
    app_keys,
    app_processes,
    dash,
    latencies,
    module_logger,
    simulator_running,
    standalone_main,
    wait_until,
)
from simulator import Delivery, Faults, Simulator, post_at_rate, whatsapp_delivery  # noqa: E402

SLUG = "benchbot"
PHONE = "5550000008"
APP_SECRET = "bench-bot-secret"
MENU = "Bench menu: 1 Sales 2 Support"
SECOND = "Bench support: did it work?"

log = module_logger("bot")


def seed() -> dict[str, Any]:
    """Tenant, a queue, a WhatsApp connection routed to it and a default flow."""
    from accounts.models import User
    from automation.services.flows import flow_create
    from bench.seeding import tenant_with_agents
    from connections.models import ChannelConnection
    from tenants.channel_routes import channel_routes_set
    from tenants.services import tenant_public_ensure
    from tenants.tenancy import tenant_scope

    tenant_public_ensure()
    tenant, queue, _ = tenant_with_agents(
        name="Bench bot", slug=SLUG, email_domain="bot.example", agents=2
    )
    with tenant_scope(tenant):
        whatsapp = ChannelConnection(provider="whatsapp_cloud", name="WhatsApp", status="connected")
        whatsapp.credentials = {
            "phone_number_id": PHONE,
            "access_token": "bench",
            "app_secret": APP_SECRET,
        }
        whatsapp.save()
        channel_routes_set(
            provider="whatsapp_cloud", connection_public_id=whatsapp.public_id, keys=[PHONE]
        )

        def option(label: str, n: int, action: dict[str, Any]) -> dict[str, Any]:
            return {
                "id": f"o{n}",
                "label": label,
                "answers": [label.lower()],
                "any": False,
                "action": action,
            }

        def text(node_id: str, body: str) -> list[dict[str, Any]]:
            return [{"id": f"{node_id}-t", "type": "text", "text": body, "delay_ms": 0}]

        graph = {
            "start": "menu",
            "settings": {"handoff_message": "", "not_understood_message": "?"},
            "nodes": [
                {
                    "id": "menu",
                    "name": "Menu",
                    "position": {"x": 0, "y": 0},
                    "interactions": text("menu", MENU),
                    "options": [
                        option("Sales", 1, {"type": "queue", "queue": queue.pk}),
                        option("Support", 2, {"type": "node", "node": "support"}),
                    ],
                },
                {
                    "id": "support",
                    "name": "Support",
                    "position": {"x": 0, "y": 200},
                    "interactions": text("support", SECOND),
                    "options": [option("Yes", 3, {"type": "close"})],
                },
            ],
        }
        admin = User.objects.get(email="admin@bot.example")
        flow_create(by=admin, name="Bench", graph=graph, is_default=True)
    return {"tenant": tenant}


def _sender(n: int) -> str:
    return f"55118{n:08d}"


async def _post(base: str, rate: float, count: int, offset: int, text: str) -> dict[str, float]:
    """``count`` customers (``offset`` onwards) write ``text`` at ``rate`` per second; returns
    when each POST started, by sender."""
    started: dict[str, float] = {}

    def make(n: int) -> Delivery:
        sender = _sender(offset + n)
        started[sender] = time.time()
        return whatsapp_delivery(
            app_secret=APP_SECRET,
            phone_number_id=PHONE,
            sender=sender,
            message_id=f"wamid.BOT.{text}.{offset + n}",
            text=text,
        )

    result = await post_at_rate(
        base, make, count, rate, headers={"Host": "localhost", "X-Forwarded-Proto": "https"}
    )
    if result.refused:
        log(f"webhooks not answered 200 (status: count): {dict(result.refused)}")
    return started


def _replies(sim: Simulator, body: str) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {}
    for record in sim.sends():
        text = record.body.get("text")
        if isinstance(text, dict) and text.get("body") == body:
            seen.setdefault(str(record.body.get("to")), []).append(record.at)
    return seen


def _wait(sim: Simulator, body: str, count: int, timeout: float = 90) -> dict[str, list[float]]:
    return wait_until(lambda: _replies(sim, body), lambda seen: len(seen) >= count, timeout=timeout)


def _step(started: dict[str, float], seen: dict[str, list[float]]) -> dict[str, Any]:
    return {
        "customers": len(started),
        "answered": sum(1 for s in started if seen.get(s)),
        "doubled": sum(len(seen[s]) - 1 for s in started if len(seen.get(s, [])) > 1),
        **latencies([(seen[s][0] - at) * 1000 for s, at in started.items() if seen.get(s)]),
    }


def conversations(app: Any, sim: Simulator, rate: float, seconds: float) -> dict[str, Any]:
    count = int(rate * seconds)
    asyncio.run(_post(app.http_url, 5, 5, 90_000_000, "warm"))  # warm the processes
    _wait(sim, MENU, 5, timeout=30)
    log(f"{count} new conversations at {rate:g}/s")
    first = asyncio.run(_post(app.http_url, rate, count, 0, "hello"))
    menu = _step(first, _wait(sim, MENU, count + 5))
    log(f'{count} answers "2" at {rate:g}/s')
    second = asyncio.run(_post(app.http_url, rate, count, 0, "2"))
    answer = _step(second, _wait(sim, SECOND, count))
    return {"rate": rate, "menu": menu, "answer": answer}


def measure(
    database: str, redis_url: str, rate: float, seconds: float, work: Path
) -> dict[str, Any]:
    keys = app_keys()
    with bench_database(database, redis_url=redis_url, log=log) as database:
        seed()
        with simulator_running(Simulator()) as sim:
            sim.faults = Faults(latency=0.02)
            env = {**keys, "META_GRAPH_API_URL": sim.graph_url}
            with app_processes(
                database=database, redis_url=redis_url, work=work, env=env, log=log
            ) as app:
                return conversations(app, sim, rate, seconds)


def print_report(result: dict[str, Any]) -> None:
    print(f"\nChatbot: {result['rate']:g} new conversations/s, WhatsApp in -> bot -> simulator")
    for name, step in (("menu (attach)", result["menu"]), ("answer matched", result["answer"])):
        print(
            f"  {name}: {step['answered']}/{step['customers']} answered, "
            f"p50 {dash(step['p50_ms'])} ms, p99 {dash(step['p99_ms'])} ms, "
            f"{step['doubled']} doubled"
        )


def run(ctx: BenchContext) -> list[Figure]:
    """B8 inside ``make bench``."""
    result = measure(ctx.database("bot"), ctx.redis_url, 20.0, 8.0, Path(ctx.work_dir) / "bot")
    print_report(result)
    ctx.details["bot"] = result
    figures = []
    for key, name in (("menu", "first message -> menu"), ("answer", "answer -> next step")):
        step = result[key]
        figures.append(
            ctx.figure(
                id=f"B8.{key}.p99_ms",
                name=f"Bot {name} p99 at 20 conversations/s (webhook -> provider)",
                value=step["p99_ms"],
                unit="ms",
                goal=("<=", 1000),
                note=f"p50 {dash(step['p50_ms'])} ms; {step['answered']}/{step['customers']}",
            )
        )
    missing = sum(
        s["customers"] - s["answered"] + s["doubled"] for s in (result["menu"], result["answer"])
    )
    figures.append(
        ctx.figure(
            id="B8.missing_or_doubled",
            name="Bot steps missing or sent twice",
            value=float(missing),
            unit="steps",
            goal=("==", 0),
        )
    )
    return figures


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=8.0)


def main() -> int:
    return standalone_main(
        name="bot",
        doc=__doc__ or "",
        database="tt_bench_bot",
        redis_url="redis://127.0.0.1:6379/10",
        options=options,
        measure=lambda args, work: measure(
            args.database, args.redis_url, args.rate, args.seconds, work
        ),
        report=print_report,
    )


if __name__ == "__main__":
    raise SystemExit(main())
