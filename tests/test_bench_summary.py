"""``make bench`` ends with the goals of issue 22 (P1-P7) and B5: every goal's figure is produced
by the module the summary names, a goal without its figure says "not measured" (never a number),
and the modules' caps fit the run's budget so that every module starts.

No process is started: the producers are read as source text, the summary is built from
hand-made results."""

import re
from pathlib import Path

import pytest

from bench.harness import Figure
from bench.run_all import (
    DEFAULT_BUDGET_S,
    GOALS_TITLE,
    ISSUE_GOALS,
    MODULES,
    goal_rows,
    goals_console,
    markdown,
    module_file,
)

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {
    "P1.sustained_per_s",
    "P1.e2e_p99_ms_at_50",
    "P2.ack_p99_ms_at_100",
    "P3.inbox_p50_ms",
    "P3.inbox_p99_ms",
    "P3.inbox_queries",
    "P4.p99_ms_50_agents",
    "P4.saturation_rps",
    "P5.search_common_p99_ms",
    "P5.unfiltered_list_p99_ms",
    "P6.create_p95_s",
    "P7.p99_ms",
    "P7.gaps",
    "B5.pace_error",
    "B5.duplicates_lost",
    "B5.reply_p99_ratio",
}


def test_the_summary_covers_p1_to_p7_and_b5():
    ids = [goal.figure_id for goal in ISSUE_GOALS]
    assert len(ids) == len(set(ids))
    assert set(ids) == EXPECTED


@pytest.mark.parametrize("goal", ISSUE_GOALS, ids=lambda goal: goal.figure_id)
def test_each_goal_figure_is_produced_by_the_module_named(goal):
    source = (ROOT / module_file(goal.module)).read_text(encoding="utf-8")
    assert re.search(rf"[\"']{re.escape(goal.figure_id)}[\"']", source), (
        f"{goal.figure_id} is not produced in {module_file(goal.module)}"
    )


def test_every_module_starts_within_the_default_budget():
    assert sum(spec.budget_s for spec in MODULES) <= DEFAULT_BUDGET_S
    names = {spec.name for spec in MODULES}
    assert {goal.module for goal in ISSUE_GOALS} <= names


def _result(figures, modules):
    return {
        "run": {
            "date": "2026-12-07",
            "commit": "abc1234",
            "dirty": False,
            "machine": {
                "nproc": 2,
                "platform": "Linux",
                "python": "3.11",
                "loadavg_at_start": [0.1, 0.1, 0.1],
            },
            "loadavg_at_end": [0.2, 0.2, 0.2],
            "wall_s": 100.0,
            "budget_s": float(DEFAULT_BUDGET_S),
            "scale": 1.0,
        },
        "raw_limits": [],
        "figures": [f.to_json() for f in figures],
        "modules": modules,
    }


def _module(name, status, error=""):
    entry = {"name": name, "title": name, "status": status, "wall_s": 1.0}
    if error:
        entry["error"] = error
    return entry


def test_missing_figures_say_not_measured_and_why():
    p1 = Figure(
        id="P1.sustained_per_s",
        name="P1",
        value=100.0,
        unit="messages/s",
        goal=(">=", 150),
        limit="L.pg_insert_tps_c1",
        limit_ratio=0.25,
    )
    p2 = Figure(id="P2.ack_p99_ms_at_100", name="P2", value=None, unit="ms", note="no 100/s step")
    p4 = Figure(id="P4.p99_ms_50_agents", name="P4", value=150.0, unit="ms", goal=("<=", 200))
    result = _result(
        [p1, p2, p4],
        [
            _module("raw", "ok"),
            _module("B1", "ok"),
            _module("inbox", "timed out", "stopped after its budget of 75 s"),
            _module("B2", "ok"),
            _module("B6", "failed", "RuntimeError: boom"),
        ],
    )
    rows = {row[0]: row for row in goal_rows(result)}
    assert list(rows) == [goal.figure_id for goal in ISSUE_GOALS]

    assert rows["P1.sustained_per_s"][2:6] == [
        "100 messages/s",
        ">= 150",
        "MISSED",
        "0.25 x L.pg_insert_tps_c1",
    ]
    assert rows["P1.sustained_per_s"][6] == "B1 (bench/ingest.py)"
    assert rows["P4.p99_ms_50_agents"][4] == "met"
    assert rows["P4.p99_ms_50_agents"][5] == "no raw limit"

    absent = {
        "P2.ack_p99_ms_at_100": "module B1 (bench/ingest.py) ran but gave no value for it: "
        "no 100/s step",
        "P1.e2e_p99_ms_at_50": "module B1 (bench/ingest.py) ran but gave no value for it",
        "P3.inbox_p50_ms": "module inbox (bench/inbox.py) overran: stopped after its budget",
        "P4.saturation_rps": "module B2 (bench/api_load.py) ran but gave no value",
        "P6.create_p95_s": "module B6 (bench/tenant_provisioning.py) failed: RuntimeError: boom",
        "P7.p99_ms": "module B4 (bench/realtime.py) did not run",
        "B5.pace_error": "module B5 (bench/campaigns.py) did not run",
    }
    for figure_id, why in absent.items():
        row = rows[figure_id]
        assert row[2] == "-", row
        assert row[4:6] == ["", ""], row
        assert row[6].startswith("not measured in this run ("), row
        assert why in row[6], row

    console = goals_console(result)
    assert console.startswith(GOALS_TITLE)
    assert console.count("not measured in this run") == len(ISSUE_GOALS) - 2
    text = markdown(result)
    assert text.index(f"## {GOALS_TITLE}") < text.index("## Raw limits of this machine")
    assert "| P7.gaps | P7 fan-out gaps | - | == 0 |" in text


def test_a_figure_is_judged_by_the_issue_goal():
    """The row's goal is the issue's: a module that reports the figure with a looser goal (or
    none) still shows MISSED when the issue's goal is missed."""
    loose = Figure(id="P6.create_p95_s", name="P6", value=0.7, unit="s", goal=("<=", 1.0))
    rows = {row[0]: row for row in goal_rows(_result([loose], [_module("B6", "ok")]))}
    assert rows["P6.create_p95_s"][3:5] == ["<= 0.5", "MISSED"]
