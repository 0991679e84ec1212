"""What every benchmark module of ``make bench`` shares: the figure it reports and its context.

A module is a Python module under ``bench/`` with ``run(ctx: BenchContext) -> list[Figure]``.
``bench/run_all.py`` runs each one in a child process of its own (so Django can be set up against
that module's database, and a module over its time budget can be stopped), passes it the context
as JSON and reads its figures back. Adding a benchmark (B1, B4, B7 ...) is one module plus one
line in ``run_all.MODULES``.

Nothing here imports Django.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.common import check_database_name, drop_database, recreate_database

ROOT = Path(__file__).resolve().parent.parent

_GOAL_OPS = {"<=", ">=", "=="}


@dataclass
class Figure:
    """One measured number, its goal and its ratio to the raw limit it is compared with.

    ``goal`` is ``(op, value)`` with op ``<=``, ``>=`` or ``==``; ``met`` is computed from it
    (``None`` when there is no goal or no value). ``limit`` names a raw-limit figure (its ``id``)
    and ``limit_ratio`` = value / that limit's value, so 0.1 means "a tenth of what the bare
    machine does" for a rate and 10 means "ten times the bare latency" for a time.
    """

    id: str
    name: str
    value: float | None
    unit: str
    goal: tuple[str, float] | None = None
    met: bool | None = None
    limit: str | None = None
    limit_ratio: float | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if self.goal is not None:
            op, target = self.goal
            if op not in _GOAL_OPS:
                raise ValueError(f"unknown goal operator {op!r}")
            self.goal = (op, float(target))
        if self.value is not None and (math.isnan(self.value) or math.isinf(self.value)):
            self.value = None
        if self.met is None and self.goal is not None and self.value is not None:
            op, target = self.goal
            self.met = {
                "<=": self.value <= target,
                ">=": self.value >= target,
                "==": self.value == target,
            }[op]

    def goal_text(self) -> str:
        if self.goal is None:
            return ""
        op, target = self.goal
        shown = f"{target:g}" if target != int(target) or abs(target) < 1e6 else f"{target:.0f}"
        return f"{op} {shown}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["goal"] = list(self.goal) if self.goal else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        goal = data.get("goal")
        return cls(
            id=data["id"],
            name=data["name"],
            value=data.get("value"),
            unit=data.get("unit", ""),
            goal=(goal[0], goal[1]) if goal else None,
            met=data.get("met"),
            limit=data.get("limit"),
            limit_ratio=data.get("limit_ratio"),
            note=data.get("note", ""),
        )


@dataclass
class BenchContext:
    """What a module needs to know about the run; serialised to JSON for the child process.

    ``deadline`` is a wall-clock epoch (``time.time()``) by which the module must have returned:
    modules scale their work with ``remaining()``. ``raw_limits`` maps raw-limit ids to their
    values, so figures can carry ``limit_ratio``. ``scale`` is 1.0 for ``make bench``; a bigger
    value (``BENCH_SCALE``) makes modules that honour it heavier.
    """

    run_id: str
    commit: str
    database_prefix: str
    redis_url: str
    work_dir: str
    deadline: float
    scale: float = 1.0
    # Keep the seeded databases at the end and reuse them when they hold the same data
    # (``run_all.py --keep-databases``: for working on one module without re-seeding).
    reuse_databases: bool = False
    raw_limits: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------- helpers for modules

    def database(self, suffix: str) -> str:
        """The name of this run's database for one purpose (always contains ``bench``)."""
        return f"{self.database_prefix}_{suffix}"

    def remaining(self) -> float:
        return self.deadline - time.time()

    def ratio(self, value: float | None, limit_id: str) -> float | None:
        limit = self.raw_limits.get(limit_id)
        if value is None or not limit:
            return None
        return value / limit

    def figure(self, *, limit: str | None = None, **kwargs: Any) -> Figure:
        """A figure with its ``limit_ratio`` filled in from this run's raw limits."""
        fig = Figure(limit=limit, **kwargs)
        if limit is not None:
            fig.limit_ratio = self.ratio(fig.value, limit)
        return fig

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchContext:
        return cls(**data)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> BenchContext:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def django_setup(
    database: str, *, redis_url: str | None = None, settings: str = "tiktickets.settings.dev"
) -> None:
    """Point Django at ``database`` (and Redis at ``redis_url``) and set it up, once a process."""
    import sys

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["POSTGRES_DB"] = database
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "false")
    import django

    django.setup()


@contextmanager
def bench_database(
    database: str, *, redis_url: str, log: Callable[[str], None], empty_redis: bool = True
) -> Iterator[str]:
    """A measurement's own database, for the ``with`` block: ``database`` (refused unless a
    bench name) dropped and re-created, Django set up on it (and on ``redis_url``), its shared
    schema migrated and, with ``empty_redis``, that Redis database emptied. On the way out,
    Django's connections are closed, the database dropped and Redis emptied again. Yields the
    checked name."""
    database = check_database_name(database)
    log(f"recreating database {database}")
    recreate_database(database)
    django_setup(database, redis_url=redis_url)
    import redis
    from django.core.management import call_command
    from django.db import connections

    try:
        if empty_redis:
            redis.Redis.from_url(redis_url).flushdb()
        call_command("migrate_schemas", "--shared", verbosity=0)
        yield database
    finally:
        connections.close_all()
        drop_database(database)
        if empty_redis:
            redis.Redis.from_url(redis_url).flushdb()


def log(module: str, message: str) -> None:
    print(f"[bench {module}] {message}", flush=True)
