"""B5: a campaign of many recipients against the provider simulator, with agents replying.

One tenant with a Telegram connection whose Bot API is the simulator (20 ms a call), the
docker-compose process topology on loopback (bench/processes.py) plus the ``bulk`` worker
that campaigns run on. First agents' replies go out idle (5/s for 60 s, after a 12 s warm-up
round: 300 replies, so the p99 is the third slowest and not the single slowest); then a
campaign of ``--recipients`` contacts starts at 600 messages a minute on the same connection,
and the same replies run while it sends. Prints:

- campaign sends per second between its first and last send, against the pace (goal ±5 %);
- duplicates (a chat that got the campaign twice) and lost recipients (never sent), both 0;
- reply -> provider p99 idle and during the campaign (goal: during within 20 % of idle).

    .venv/bin/python bench/campaigns.py                      # 10,000 recipients (~17 min)
    .venv/bin/python bench/campaigns.py --recipients 2000    # a shorter run
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.harness import BenchContext, Figure, bench_database  # noqa: E402
from bench.topology import (  # noqa: E402
    app_keys,
    app_processes,
    latencies,
    module_logger,
    simulator_running,
    standalone_main,
    wait_until,
)
from simulator import Faults, Simulator  # noqa: E402

SLUG = "benchcampaign"
BOT_TOKEN = "7000002:BENCHCAMPAIGN"
PACE = 600  # messages per minute (the campaign maximum)
REPLY_RATE = 5.0
REPLY_SECONDS = 60.0  # measured rounds: 300 replies each
WARMUP_SECONDS = 12.0

log = module_logger("campaigns")


def seed(recipients: int) -> dict[str, Any]:
    """Tenant, a Telegram connection, ``recipients`` contacts with a chat on it, a draft
    campaign for all of them, and an open ticket agents reply on."""
    from accounts.models import User
    from bench.seeding import tenant_with_agents
    from campaigns.services import CampaignInput, campaign_audience_add, campaign_create
    from connections.models import ChannelConnection
    from contacts.models import Contact, ContactIdentity
    from tenants.services import tenant_public_ensure
    from tenants.tenancy import tenant_scope
    from tickets.models import ConnectionRouting, Ticket
    from tickets.protocols import protocol_next

    tenant_public_ensure()
    tenant, queue, _agents = tenant_with_agents(
        name="Bench campaign", slug=SLUG, email_domain="campaign.example", agents=2
    )
    with tenant_scope(tenant):
        telegram = ChannelConnection(
            provider="telegram",
            name="Telegram",
            status="connected",
            webhook_token=secrets.token_urlsafe(24),
        )
        telegram.credentials = {"bot_token": BOT_TOKEN, "webhook_secret": "bench-secret"}
        telegram.save()
        ConnectionRouting.objects.create(connection=telegram, default_queue=queue)
        contacts = Contact.objects.bulk_create(
            [Contact(name=f"Cliente {n}") for n in range(recipients)], batch_size=2000
        )
        ContactIdentity.objects.bulk_create(
            [
                ContactIdentity(contact=c, provider="telegram", external_id=f"8{n:07d}")
                for n, c in enumerate(contacts)
            ],
            batch_size=2000,
        )
        author = User.objects.get(email="admin@campaign.example")
        customer = Contact.objects.create(name="Cliente respondido")
        ContactIdentity.objects.create(contact=customer, provider="telegram", external_id="900002")
        reply_ticket = Ticket.objects.create(
            protocol=protocol_next(),
            contact=customer,
            connection=telegram,
            queue=queue,
            status=Ticket.Status.OPEN,
            assignee=author,
        )
        campaign = campaign_create(
            by=author,
            data=CampaignInput(
                name="B5",
                connection=telegram,
                variants=["b5 {{contact.name}}"],
                per_minute=PACE,
            ),
        )
        campaign_audience_add(
            campaign=campaign, contacts=Contact.objects.filter(pk__in=[c.pk for c in contacts])
        )
    return {
        "tenant": tenant,
        "author": author,
        "reply_ticket": reply_ticket,
        "campaign": campaign,
    }


def replies(
    seeded: dict[str, Any], sim: Simulator, tag: str, seconds: float = REPLY_SECONDS
) -> dict[str, Any]:
    """Agents' replies at REPLY_RATE for ``seconds``; reply -> provider latencies."""
    from tenants.tenancy import tenant_scope
    from tickets.services.messages import message_send

    count = int(REPLY_RATE * seconds)
    start = time.perf_counter()
    with tenant_scope(seeded["tenant"]):
        for n in range(count):
            delay = start + n / REPLY_RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            message_send(
                ticket=seeded["reply_ticket"],
                by=seeded["author"],
                body=f"b5r {tag} {n} {time.time():.6f}",
            )
    prefix = f"b5r {tag} "
    sent = wait_until(
        lambda: [r for r in sim.sends() if str(r.body.get("text", "")).startswith(prefix)],
        lambda sent: len({r.body["text"] for r in sent}) >= count,
        timeout=60,
    )
    return {
        "count": count,
        "sent": len({r.body["text"] for r in sent}),
        **latencies([(r.at - float(str(r.body["text"]).split()[-1])) * 1000 for r in sent]),
    }


def campaign_figures(seeded: dict[str, Any], sim: Simulator, recipients: int) -> dict[str, Any]:
    from campaigns.models import CampaignRecipient
    from tenants.tenancy import tenant_scope

    sends = [r for r in sim.sends() if str(r.body.get("text", "")).startswith("b5 ")]
    chats = Counter(str(r.body.get("chat_id")) for r in sends)
    times = sorted(r.at for r in sends)
    with tenant_scope(seeded["tenant"]):
        states = Counter(
            CampaignRecipient.objects.filter(campaign=seeded["campaign"]).values_list(
                "state", flat=True
            )
        )
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "recipients": recipients,
        "sent": len(sends),
        "sends_per_s": (len(times) - 1) / span if span else None,
        "pace_per_s": PACE / 60,
        "duplicates": sum(n - 1 for n in chats.values() if n > 1),
        "lost": recipients - len(chats),
        "states": dict(states),
        "seconds": round(span, 1),
    }


def measure(
    database: str, redis_url: str, recipients: int, work: Path, *, until: float | None = None
) -> dict[str, Any]:
    """The B5 run; with ``until`` (an epoch), the wait for the campaign to finish ends by then
    at the latest and what was sent by then is counted."""
    from bench.processes import ManagedProcess, celery_worker_command

    keys = app_keys()
    with bench_database(database, redis_url=redis_url, log=log) as database:
        log(f"seeding {recipients} recipients")
        seeded = seed(recipients)
        with simulator_running(Simulator(faults=Faults(latency=0.02))) as sim:
            env = {**keys, "TELEGRAM_API_BASE_URL": sim.telegram_base_url}
            with app_processes(
                database=database,
                redis_url=redis_url,
                work=work,
                env=env,
                log=log,
                websockets=False,
            ) as app:
                # docker-compose's worker-bulk: campaigns only.
                bulk = ManagedProcess(
                    "celery-bulk",
                    celery_worker_command("celery-bulk", "bulk", "1"),
                    app.env,
                    work / "celery-bulk.log",
                )
                try:
                    # The first replies of fresh worker processes pay for imports and
                    # connections: a warm-up round is not measured.
                    replies(seeded, sim, "warmup", WARMUP_SECONDS)
                    log("replies while idle")
                    idle = replies(seeded, sim, "idle")
                    from campaigns.models import Campaign
                    from campaigns.services import campaign_start
                    from tenants.tenancy import tenant_scope

                    with tenant_scope(seeded["tenant"]):
                        campaign_start(campaign=seeded["campaign"])
                    time.sleep(3)
                    log("replies during the campaign")
                    during = replies(seeded, sim, "during")

                    def status() -> str:
                        with tenant_scope(seeded["tenant"]):
                            return str(Campaign.objects.get(pk=seeded["campaign"].pk).status)

                    limit = recipients / (PACE / 60) * 1.5 + 120
                    if until is not None:
                        limit = min(limit, until - time.time())
                    final = wait_until(
                        status,
                        lambda got: got == Campaign.Status.FINISHED,
                        timeout=limit,
                        every=2,
                    )
                    result = campaign_figures(seeded, sim, recipients)
                    result["finished"] = final == Campaign.Status.FINISHED
                finally:
                    bulk.stop()
    return {"idle": idle, "during": during, "campaign": result}


def print_report(result: dict[str, Any]) -> None:
    c, idle, during = result["campaign"], result["idle"], result["during"]
    rate = c["sends_per_s"]
    print(
        f"B5 campaign: {c['sent']} sends to {c['recipients']} recipients in {c['seconds']} s, "
        f"{rate and round(rate, 2)} sends/s at a pace of {c['pace_per_s']:.2f}/s; "
        f"duplicates {c['duplicates']}, lost {c['lost']}; states {c['states']}"
    )
    ratio = during["p99_ms"] / idle["p99_ms"] if idle["p99_ms"] and during["p99_ms"] else None
    print(
        f"B5 replies p99: idle {idle['p99_ms'] and round(idle['p99_ms'])} ms, during "
        f"{during['p99_ms'] and round(during['p99_ms'])} ms (ratio {ratio and round(ratio, 2)}); "
        f"{idle['sent']}/{idle['count']} and {during['sent']}/{during['count']} sent"
    )


def run(ctx: BenchContext) -> list[Figure]:
    """B5 inside ``make bench``: 2,000 recipients times BENCH_SCALE, 200 s at the pace, about
    280 s with the seeding, the processes and the replies (the module's cap is 400 s)."""
    recipients = int(2000 * ctx.scale)
    result = measure(
        ctx.database("campaigns"),
        ctx.redis_url,
        recipients,
        Path(ctx.work_dir) / "campaigns",
        until=ctx.deadline - 45,  # time to count, stop the processes and drop the database
    )
    print_report(result)
    ctx.details["campaigns"] = result
    c, idle, during = result["campaign"], result["idle"], result["during"]
    pace = c["pace_per_s"]
    ratio = during["p99_ms"] / idle["p99_ms"] if idle["p99_ms"] and during["p99_ms"] else None
    return [
        ctx.figure(
            id="B5.pace_error",
            name=f"Campaign sends/s off the pace ({pace:.0f}/s), {recipients} recipients",
            value=abs(c["sends_per_s"] - pace) / pace if c["sends_per_s"] else None,
            unit="ratio",
            goal=("<=", 0.05),
            note=f"{c['sends_per_s'] and round(c['sends_per_s'], 2)} sends/s over {c['seconds']} s",
        ),
        ctx.figure(
            id="B5.duplicates_lost",
            name="Campaign recipients sent twice or never",
            value=float(c["duplicates"] + c["lost"]),
            unit="recipients",
            goal=("==", 0),
            note=f"duplicates {c['duplicates']}, lost {c['lost']}"
            + ("" if c["finished"] else "; the campaign had not finished when time ran out"),
        ),
        ctx.figure(
            id="B5.reply_p99_ratio",
            name="Agents' reply p99 during the campaign / idle",
            value=ratio,
            unit="ratio",
            goal=("<=", 1.2),
            note=f"idle {idle['p99_ms'] and round(idle['p99_ms'])} ms, "
            f"during {during['p99_ms'] and round(during['p99_ms'])} ms",
        ),
    ]


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recipients", type=int, default=10_000)


def main() -> int:
    return standalone_main(
        name="campaigns",
        doc=__doc__ or "",
        database="tt_bench_campaigns",
        redis_url="redis://127.0.0.1:6379/11",
        options=options,
        measure=lambda args, work: measure(args.database, args.redis_url, args.recipients, work),
        report=print_report,
    )


if __name__ == "__main__":
    raise SystemExit(main())
