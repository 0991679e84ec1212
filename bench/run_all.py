"""``make bench``: the raw limits of this machine, then every benchmark module, in a time budget.

Each module in ``MODULES`` runs in a child process of its own (``run_all.py --child NAME``) with
the run's context as JSON; it returns its figures and this process collects them. Figures carry
their goal, whether it is met, and their ratio to a raw limit measured a few
seconds earlier on the same machine (``bench/raw_limits.py``).

Results: ``bench/results/<YYYY-MM-DD>-<commit>.json`` and ``.md`` (the same tables as printed).
Both end, and the ``.md`` starts, with the goals of issue 22 (P1-P7) and of B5 (``ISSUE_GOALS``):
value, goal, met or MISSED, ratio to its raw limit and the module that measured it, or "not
measured in this run" and why (the module did not run, overran or failed).

Bounds: the whole run stops starting modules when ``--budget`` seconds (default 2,100: 35 min)
are spent; each module has its own cap (``ModuleSpec.budget_s``, never more than what is left)
and is stopped with its process group when it overruns. Load goes to 127.0.0.1 only.

Exit status: 0 when every module ran and every goal is met; 1 otherwise (the bench fails, not CI).

Usage::

    .venv/bin/python bench/run_all.py                      # everything (make bench)
    .venv/bin/python bench/run_all.py --only raw,B3        # some modules (dependencies run too)
    BENCH_SCALE=2 .venv/bin/python bench/run_all.py        # heavier, where modules honour it

Adding a benchmark: write ``bench/<name>.py`` with ``run(ctx: BenchContext) -> list[Figure]``
and add one ``ModuleSpec`` line below.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    RESULTS_DIR,
    check_database_name,
    drop_database,
    git_info,
    machine_info,
    utc_now,
)
from bench.harness import BenchContext, Figure  # noqa: E402

DEFAULT_BUDGET_S = 35 * 60


@dataclass(frozen=True)
class ModuleSpec:
    """One benchmark module: ``entry`` in ``module`` is called with the context."""

    name: str
    module: str
    title: str
    budget_s: int
    entry: str = "run"
    requires: tuple[str, ...] = ()
    # Databases this module leaves for later modules; dropped at the end of the run.
    shared_databases: tuple[str, ...] = field(default=())


# The order: the goals of issue 22 first (P1/P2, P7, then the seeded inbox for P3/P5, P4 and
# P6), then B5 and the other channel pipelines. Each cap is the module's wall time in the full
# runs on a quiet 2-core machine (bench/results/) with a margin; B6 sizes its work to its cap.
# The caps add up to the default budget, so every module starts in a full run even when each
# one overruns (``tests/test_bench_summary.py`` holds that).
MODULES: list[ModuleSpec] = [
    ModuleSpec("raw", "bench.raw_limits", "Raw limits of this machine", 75),
    ModuleSpec(
        "B1",
        "bench.ingest",
        "B1 webhooks -> stored -> websockets, B7 replies -> provider simulator",
        300,  # four inbound steps (20-150/s) with their drains, then B7
    ),
    ModuleSpec("B4", "bench.realtime", "B4 websocket fan-out (daphne + channels-redis)", 210),
    ModuleSpec(
        "seed",
        "bench.inbox",
        "Seeding: one tenant, 100k tickets / 1M messages (COPY)",
        120,
        entry="run_seed",
        shared_databases=("inbox",),
    ),
    ModuleSpec("B3", "bench.sql_plans", "B3 inbox SQL plans at scale", 30, requires=("seed",)),
    ModuleSpec(
        "inbox",
        "bench.inbox",
        "Inbox API server time, in-process, one client",
        75,
        requires=("seed",),
    ),
    ModuleSpec(
        "B2",
        "bench.api_load",
        "B2 agent API under concurrency (gunicorn + locust)",
        120,
        requires=("seed",),
    ),
    ModuleSpec(
        "reports",
        "bench.reports",
        "Reports dashboard at 30 days and a year (100k tickets)",
        150,
        requires=("seed",),
    ),
    # Its tenant count follows what is left of its cap (about 35 tenants in 260 s).
    ModuleSpec("B6", "bench.tenant_provisioning", "B6 tenant provisioning and migrations", 260),
    # 2,000 recipients at 10/s: 200 s of sending (make bench-campaign: 10,000, ~18 min).
    ModuleSpec("B5", "bench.campaigns", "B5 campaign pace, duplicates and replies during it", 400),
    ModuleSpec("B8", "bench.bot", "B8 chatbot step latency (webhook -> bot -> simulator)", 90),
    ModuleSpec("B10", "bench.qr_gateway", "B10 WhatsApp QR gateway events -> pipeline", 90),
    ModuleSpec("B11", "bench.email_ingest", "B11 e-mail in (IMAP IDLE -> pipeline)", 90),
    ModuleSpec("B9", "bench.webhooks", "B9 webhook fan-out and added event-path latency", 90),
]


# ---------------------------------------------------------------- goals of issue 22 and B5


@dataclass(frozen=True)
class IssueGoal:
    """One row of the goals summary: the figure ``figure_id`` that module ``module`` (a
    ``ModuleSpec`` name) reports, judged against ``goal``."""

    figure_id: str
    what: str
    goal: tuple[str, float]
    module: str


ISSUE_GOALS: list[IssueGoal] = [
    IssueGoal("P1.sustained_per_s", "P1 inbound sustained (socket p99 <= 1 s)", (">=", 150), "B1"),
    IssueGoal("P1.e2e_p99_ms_at_50", "P1 webhook -> socket p99 at 50/s", ("<=", 300), "B1"),
    IssueGoal("P2.ack_p99_ms_at_100", "P2 acknowledgement p99 at 100/s", ("<=", 100), "B1"),
    IssueGoal("P3.inbox_p50_ms", "P3 inbox list p50, in process", ("<=", 5), "inbox"),
    IssueGoal("P3.inbox_p99_ms", "P3 inbox list p99, in process", ("<=", 10), "inbox"),
    IssueGoal("P3.inbox_queries", "P3 inbox list queries", ("<=", 6), "inbox"),
    IssueGoal("P4.p99_ms_50_agents", "P4 API p99 under 50 agents", ("<=", 200), "B2"),
    IssueGoal("P4.saturation_rps", "P4 API saturation", (">=", 300), "B2"),
    IssueGoal("P5.search_common_p99_ms", "P5 search of a common word p99", ("<=", 50), "inbox"),
    IssueGoal("P5.unfiltered_list_p99_ms", "P5 unfiltered list p99", ("<=", 50), "inbox"),
    IssueGoal("P6.create_p95_s", "P6 tenant creation p95", ("<=", 0.5), "B6"),
    IssueGoal("P7.p99_ms", "P7 fan-out 500 sockets x 10/s p99", ("<=", 250), "B4"),
    IssueGoal("P7.gaps", "P7 fan-out gaps", ("==", 0), "B4"),
    IssueGoal("B5.pace_error", "B5 campaign off its pace", ("<=", 0.05), "B5"),
    IssueGoal("B5.duplicates_lost", "B5 recipients sent twice or never", ("==", 0), "B5"),
    IssueGoal("B5.reply_p99_ratio", "B5 reply p99 during / idle", ("<=", 1.2), "B5"),
]


def module_file(name: str) -> str:
    """``bench/<file>.py`` of the module spec called ``name``."""
    spec = next(s for s in MODULES if s.name == name)
    return spec.module.replace(".", "/") + ".py"


def _absence(goal: IssueGoal, modules: dict[str, dict[str, Any]], note: str = "") -> str:
    """Why ``goal``'s figure has no value in this run, said of its module (``note``: the
    figure's own note, when the module reported it without a value)."""
    who = f"module {goal.module} ({module_file(goal.module)})"
    mod = modules.get(goal.module)
    if mod is None:
        return f"not measured in this run ({who} did not run)"
    status = mod["status"]
    if status == "timed out":
        return f"not measured in this run ({who} overran: {mod.get('error', '')})"
    if status == "ok":
        said = f": {note}" if note else ""
        return f"not measured in this run ({who} ran but gave no value for it{said})"
    return f"not measured in this run ({who} {status}: {mod.get('error', '')[:120]})"


def goal_rows(result: dict[str, Any]) -> list[list[str]]:
    """The goals summary, one row per ``ISSUE_GOALS`` entry: id, what, value, goal, met, ratio
    to its raw limit, and the module that measured it (or why it did not)."""
    figures = {f.id: f for f in map(Figure.from_json, result["figures"])}
    modules = {m["name"]: m for m in result["modules"]}
    rows = []
    for goal in ISSUE_GOALS:
        got = figures.get(goal.figure_id)
        judged = Figure(
            id=goal.figure_id,
            name=goal.what,
            value=got.value if got else None,
            unit=got.unit if got else "",
            goal=goal.goal,
        )
        if got is None or got.value is None:
            why = _absence(goal, modules, got.note if got else "")
            rows.append([goal.figure_id, goal.what, "-", judged.goal_text(), "", "", why])
            continue
        judged.limit, judged.limit_ratio = got.limit, got.limit_ratio
        rows.append(
            [
                goal.figure_id,
                goal.what,
                f"{fmt(judged.value)} {judged.unit}",
                judged.goal_text(),
                met_text(judged),
                ratio_text(judged) or "no raw limit",
                f"{goal.module} ({module_file(goal.module)})",
            ]
        )
    return rows


GOAL_HEADER = ["figure", "what", "value", "goal", "met", "ratio to raw limit", "measured by"]
GOALS_TITLE = "Goals of issue 22 and B5"


def goals_markdown(result: dict[str, Any]) -> list[str]:
    lines = [
        f"## {GOALS_TITLE}",
        "",
        "| " + " | ".join(GOAL_HEADER) + " |",
        "|---|---|---:|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in goal_rows(result)]
    return [*lines, ""]


def goals_console(result: dict[str, Any]) -> str:
    rows = goal_rows(result)
    widths = [max(len(r[i]) for r in [GOAL_HEADER, *rows]) for i in range(len(GOAL_HEADER) - 1)]

    def line(cells: list[str]) -> str:
        padded = [
            c.rjust(w) if i == 2 else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells[:-1], widths, strict=True))
        ]
        return "  ".join([*padded, cells[-1]]).rstrip()

    rule = "  ".join("-" * w for w in widths) + "  " + "-" * len(GOAL_HEADER[-1])
    return "\n".join([GOALS_TITLE, "", line(GOAL_HEADER), rule, *map(line, rows)])


# ---------------------------------------------------------------- formatting


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1 or value == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def met_text(fig: Figure) -> str:
    if fig.met is None:
        return ""
    return "met" if fig.met else "MISSED"


def ratio_text(fig: Figure) -> str:
    if fig.limit_ratio is None or fig.limit is None:
        return ""
    return f"{fig.limit_ratio:.3g} x {fig.limit}"


def markdown(result: dict[str, Any]) -> str:
    run = result["run"]
    lines = [
        f"# Bench run {run['date']} at {run['commit']}{' (dirty tree)' if run['dirty'] else ''}",
        "",
        f"Machine: {run['machine']['nproc']} CPUs, {run['machine']['platform']}, Python "
        f"{run['machine']['python']}; load average at start {run['machine']['loadavg_at_start']}"
        f", at end {run['loadavg_at_end']}. Wall time {run['wall_s']:.0f} s of a "
        f"{run['budget_s']:.0f} s budget; scale {run['scale']}.",
        "",
        *goals_markdown(result),
        "## Raw limits of this machine",
        "",
        "| id | what | value | unit | note |",
        "|---|---|---:|---|---|",
    ]
    for fig in map(Figure.from_json, result["raw_limits"]):
        lines.append(f"| {fig.id} | {fig.name} | {fmt(fig.value)} | {fig.unit} | {fig.note} |")
    lines += [
        "",
        "## Figures",
        "",
        "| id | what | value | unit | goal | met | ratio to limit | note |",
        "|---|---|---:|---|---|---|---|---|",
    ]
    for fig in map(Figure.from_json, result["figures"]):
        lines.append(
            f"| {fig.id} | {fig.name} | {fmt(fig.value)} | {fig.unit} | {fig.goal_text()} | "
            f"{met_text(fig)} | {ratio_text(fig)} | {fig.note} |"
        )
    lines += ["", "## Modules", "", "| module | status | wall s | note |", "|---|---|---:|---|"]
    for mod in result["modules"]:
        lines.append(
            f"| {mod['name']} ({mod['title']}) | {mod['status']} | {mod['wall_s']:.0f} | "
            f"{mod.get('error', '')[:200]} |"
        )
    return "\n".join(lines) + "\n"


def console_table(result: dict[str, Any]) -> str:
    rows = [
        [fig.id, fmt(fig.value), fig.unit, fig.goal_text(), met_text(fig), ratio_text(fig)]
        for fig in map(Figure.from_json, result["raw_limits"] + result["figures"])
    ]
    header = ["figure", "value", "unit", "goal", "met", "ratio to limit"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in (0, 2, 3, 4, 5) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


# ---------------------------------------------------------------- child side


def child_main(name: str, context_path: Path, out_path: Path) -> int:
    spec = next(s for s in MODULES if s.name == name)
    ctx = BenchContext.load(context_path)
    ctx.details = {}
    payload: dict[str, Any]
    try:
        module = importlib.import_module(spec.module)
        figures: list[Figure] = getattr(module, spec.entry)(ctx)
        payload = {"figures": [f.to_json() for f in figures], "details": ctx.details}
        status = 0
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the module's outcome
        traceback.print_exc()
        payload = {"error": f"{type(exc).__name__}: {exc}", "details": ctx.details}
        status = 1
    out_path.write_text(json.dumps(payload, default=str), encoding="utf-8")
    return status


# ---------------------------------------------------------------- parent side


def run_module(spec: ModuleSpec, ctx: BenchContext, work: Path) -> dict[str, Any]:
    context_path = work / f"context-{spec.name}.json"
    out_path = work / f"figures-{spec.name}.json"
    ctx.save(context_path)
    budget = ctx.deadline - time.time()
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            spec.name,
            "--context",
            str(context_path),
            "--out",
            str(out_path),
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    grace = 30.0
    try:
        proc.wait(timeout=max(ctx.deadline - time.time(), 0) + grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return {
            "status": "timed out",
            "error": f"stopped after its budget of {budget:.0f} s",
            "figures": [],
            "details": {},
        }
    finally:
        # Anything the module forked and left behind goes with its group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    try:
        payload = json.loads(out_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        payload = {"error": f"exited with {proc.returncode} and no figures"}
    payload["status"] = "ok" if "error" not in payload else "failed"
    return payload


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the benchmark suite (see module doc).")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--context", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--only", default="", help="comma-separated module names")
    parser.add_argument(
        "--budget",
        type=float,
        default=float(os.environ.get("BENCH_BUDGET_S", DEFAULT_BUDGET_S)),
        help="seconds for the whole run",
    )
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "1")))
    parser.add_argument(
        "--database-prefix", default=os.environ.get("BENCH_DB_PREFIX", "tiktickets_bench")
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    )
    parser.add_argument("--keep-work", action="store_true", help="keep logs and CSVs")
    parser.add_argument(
        "--keep-databases",
        action="store_true",
        help="keep the seeded databases and reuse them next time (no re-seeding)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, write no results")
    return parser.parse_args(argv)


def selected(only: str) -> list[ModuleSpec]:
    if not only:
        return MODULES
    wanted = {name.strip() for name in only.split(",") if name.strip()}
    unknown = wanted - {s.name for s in MODULES}
    if unknown:
        raise SystemExit(f"unknown module(s): {', '.join(sorted(unknown))}")
    for spec in MODULES:  # dependencies come along
        if spec.name in wanted:
            wanted.update(spec.requires)
    if wanted - {"raw"}:
        wanted.add("raw")  # every ratio needs the raw limits
    return [s for s in MODULES if s.name in wanted]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args.child, args.context, args.out)

    check_database_name(f"{args.database_prefix}_x")
    started_utc = utc_now()
    wall_start = time.monotonic()
    deadline_all = time.time() + args.budget
    git = git_info()
    machine = machine_info()
    work = Path(tempfile.mkdtemp(prefix="tt-bench-"))
    ctx = BenchContext(
        run_id=f"{started_utc:%Y%m%dT%H%M%S}-{git['commit']}",
        commit=git["commit"],
        database_prefix=args.database_prefix,
        redis_url=args.redis_url,
        work_dir=str(work),
        deadline=deadline_all,
        scale=args.scale,
        reuse_databases=args.keep_databases,
    )
    print(f"[bench] run {ctx.run_id}, budget {args.budget:.0f} s, work dir {work}", flush=True)
    raw: list[Figure] = []
    figures: list[Figure] = []
    modules: list[dict[str, Any]] = []
    done_ok: set[str] = set()
    shared: set[str] = set()
    try:
        for spec in selected(args.only):
            remaining = deadline_all - time.time()
            missing = [r for r in spec.requires if r not in done_ok]
            entry: dict[str, Any] = {"name": spec.name, "title": spec.title, "wall_s": 0.0}
            if missing:
                entry.update(status="skipped", error=f"needs {', '.join(missing)}")
            elif remaining < 30:
                entry.update(status="skipped", error="the run's time budget is spent")
            else:
                ctx.deadline = time.time() + min(spec.budget_s * max(args.scale, 1), remaining)
                print(
                    f"\n[bench] === {spec.name}: {spec.title} "
                    f"(up to {ctx.deadline - time.time():.0f} s)",
                    flush=True,
                )
                shared.update(ctx.database(s) for s in spec.shared_databases)
                t0 = time.monotonic()
                outcome = run_module(spec, ctx, work)
                entry["wall_s"] = time.monotonic() - t0
                entry["status"] = outcome["status"]
                if "error" in outcome:
                    entry["error"] = outcome["error"]
                entry["details"] = outcome.get("details", {})
                got = [Figure.from_json(f) for f in outcome.get("figures", [])]
                if spec.name == "raw":
                    raw = got
                    ctx.raw_limits = {f.id: f.value for f in got if f.value is not None}
                else:
                    figures += got
                if outcome["status"] == "ok":
                    done_ok.add(spec.name)
            print(f"[bench] {spec.name}: {entry['status']} {entry.get('error', '')}", flush=True)
            modules.append(entry)
    finally:
        for name in sorted(shared):
            if not args.keep_databases:
                drop_database(name)
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)

    result: dict[str, Any] = {
        "run": {
            "id": ctx.run_id,
            "date": f"{started_utc:%Y-%m-%d}",
            "started_utc": started_utc.isoformat(timespec="seconds"),
            "commit": git["commit"],
            "dirty": git["dirty"],
            "machine": machine,
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
            "budget_s": args.budget,
            "scale": args.scale,
            "wall_s": time.monotonic() - wall_start,
        },
        "raw_limits": [f.to_json() for f in raw],
        "figures": [f.to_json() for f in figures],
        "modules": modules,
    }
    print()
    print(console_table(result))
    missed = [f.id for f in figures if f.met is False]
    failed = [m["name"] for m in modules if m["status"] != "ok"]
    print(
        f"\nwall time {result['run']['wall_s']:.0f} s; goals missed: {len(missed)}"
        f"{' (' + ', '.join(missed) + ')' if missed else ''}; modules not ok: "
        f"{', '.join(failed) or 'none'}"
    )
    if not args.no_write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stem = RESULTS_DIR / f"{started_utc:%Y-%m-%d}-{git['commit']}"
        json_path = stem.with_suffix(".json")
        json_path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
        stem.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
        print(f"results: {json_path.relative_to(ROOT)} and .md")
    print()
    print(goals_console(result))  # last, where a reader of the console looks first
    return 0 if not missed and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
