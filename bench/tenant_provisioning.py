"""B6: how long it takes to create a tenant and to migrate many tenants.

What is measured
----------------
1. **Django start-up**, so it can be subtracted from the CLI figures: wall time of
   ``python -c "import django; django.setup()"`` and of ``manage.py check`` (median of 3 each).
2. **Tenant creation**: ``tenants.services.tenant_provision`` (tenant row, the schema, primary
   domain and first admin, in one transaction), both ways: with no template schema (``CREATE
   SCHEMA`` and every tenant migration), then after ``manage.py tenant_template`` (the schema
   copied from the template, ``tenants/schema_template.py``: the product's path), called in this
   process, i.e. as a warm Celery worker would call it. One untimed-for-statistics *cold* creation
   comes first (it loads migration modules and password validators); then ``--create K`` timed
   creations give median / p95 / min / max. Each creation is split into *schema + migrations*
   (``Tenant.create_schema``), *first admin* (``create_superuser``, dominated by password hashing)
   and *rest* (validation, rows, commit).
3. **migrate_schemas over N tenants** (``--migrate N``): N tenant rows are inserted with
   ``bulk_create`` (so ``save()`` creates no schema) plus an empty ``CREATE SCHEMA`` each; then the
   real CLI ``manage.py migrate_schemas --tenant --executor=<E> -v 0`` runs as a child process and
   is timed from spawn to exit (Django start-up included), once on the empty schemas and once
   more with nothing left to do (the *no-op* re-run every deploy pays). Every schema is then
   checked to hold as many tables and ``django_migrations`` rows as a provisioned tenant. The
   schemas are dropped before the next executor, so each executor starts from the same state.

How to read it
--------------
* ``per tenant`` = wall / N; ``net/tenant`` = (wall - ``manage.py check`` start-up) / N. The net
  figure is the marginal cost of one more tenant; multiply by 1,000 for the B6 scale
  (a linear extrapolation: it ignores how each backend's catalog cache grows with tenants).
* ``mp/std`` < 1 means the multiprocessing executor helped. It uses
  ``TENANT_MULTIPROCESSING_MAX_PROCESSES`` workers (2 by default), so on a 2-core machine the
  best case is about 0.5, and only while the second core is idle (on a busy machine it can
  exceed 1).
* Creation and migration cost scale with the number of migrations, not with tables; the script
  prints both the tenant-app migrations (the ones that run DDL in a tenant schema) and all
  migrations in the graph (each is also recorded in every tenant's ``django_migrations``).
* The goal checked is tenant creation p95 <= 0.5 s (the copied schema). The exit status is
  1 when it is missed (the bench fails, not CI).

Isolation and bounds
--------------------
The script uses its own database (``--database``, default ``tiktickets_bench``; the name must
contain ``bench``), dropped and re-created at start and dropped at the end unless ``--keep``. It
connects as PostgreSQL's ``postgres`` user on 127.0.0.1:5432 unless ``POSTGRES_HOST``/``PORT``/
``USER``/``PASSWORD`` say otherwise, and touches no other database. The defaults (K=10, N=50)
take about a minute on a 2-core machine.

Results are printed and written to ``bench/results/tenant_provisioning-<UTC date>-<commit>.json``.

Usage::

    .venv/bin/python bench/tenant_provisioning.py                 # K=10, N=50
    .venv/bin/python bench/tenant_provisioning.py --create 3 --migrate 10
    .venv/bin/python bench/tenant_provisioning.py --executors standard,multiprocessing,subprocess
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))


from bench.common import (  # noqa: E402
    TimedRun,
    check_database_name,
    drop_database,
    git_info,
    machine_info,
    percentile,
    recreate_database,
    run_timed,
    secs,
    summarize,
    table,
    utc_now,
    write_result,
)
from bench.harness import BenchContext, Figure  # noqa: E402

PYTHON = sys.executable
MANAGE = str(ROOT / "manage.py")
GOAL_CREATE_P95_S = 0.5
EXECUTOR_CODES = {"standard": "std", "multiprocessing": "mp", "subprocess": "sub"}
ADMIN_PASSWORD_NOTE = "generated (admin_password=None), as `create_tenant` does without one"


def log(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# ---------------------------------------------------------------- database (outside Django)


# ---------------------------------------------------------------- child processes


def manage(*args: str) -> list[str]:
    return [PYTHON, MANAGE, *args]


def median_run(cmd: list[str], env: dict[str, str], times: int, what: str) -> float:
    return percentile([run_timed(cmd, env=env).check(what).wall_s for _ in range(times)], 50)


# ---------------------------------------------------------------- inside Django


def count_migrations() -> dict[str, Any]:
    """Migrations on disk: those of TENANT_APPS (DDL in each tenant schema) and all of them."""
    from django.apps import apps
    from django.conf import settings
    from django.db.migrations.loader import MigrationLoader

    tenant_labels = {
        config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS
    }
    loader = MigrationLoader(None, ignore_no_migrations=True)
    keys = list(loader.disk_migrations)
    per_app: dict[str, int] = {}
    for label, _name in keys:
        if label in tenant_labels:
            per_app[label] = per_app.get(label, 0) + 1
    return {
        "tenant_app_migrations": sum(per_app.values()),
        "tenant_app_migrations_per_app": dict(sorted(per_app.items())),
        "all_migrations": len(keys),
    }


def schema_facts(schemas: list[str]) -> dict[str, tuple[int, int]]:
    """Per schema: (tables, rows in its django_migrations); (tables, -1) without that table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname, count(c.oid) FILTER (WHERE c.relkind IN ('r', 'p')), "
            "bool_or(c.relname = 'django_migrations' AND c.relkind = 'r') "
            "FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE n.nspname = ANY(%s) GROUP BY n.nspname",
            [schemas],
        )
        tables = {name: (count, bool(has_mig)) for name, count, has_mig in cursor.fetchall()}
        facts: dict[str, tuple[int, int]] = {}
        with_mig = [s for s in schemas if tables.get(s, (0, False))[1]]
        for start in range(0, len(with_mig), 200):
            chunk = with_mig[start : start + 200]
            query = " UNION ALL ".join(
                f"SELECT '{s}', count(*) FROM {connection.ops.quote_name(s)}.django_migrations"
                for s in chunk
            )
            cursor.execute(query)
            for name, rows in cursor.fetchall():
                facts[name] = (tables[name][0], rows)
    for s in schemas:
        if s not in facts:
            facts[s] = (tables.get(s, (0, False))[0], -1)
    return facts


def drop_tenants(schemas: list[str]) -> None:
    """Drop the schemas (one transaction each, to stay under the lock table) and their rows."""
    from django.db import connection

    from tenants.models import Tenant
    from tenants.tenancy import public_scope

    with public_scope():
        with connection.cursor() as cursor:
            for schema in schemas:
                cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema)} CASCADE")
        Tenant.objects.filter(schema_name__in=schemas).delete()


def create_empty_tenants(schemas: list[str]) -> None:
    """Tenant rows whose schemas exist but hold nothing (bulk_create skips save(): no migrate)."""
    from django.db import connection, transaction

    from tenants.models import Tenant
    from tenants.tenancy import public_scope

    with public_scope(), transaction.atomic():
        Tenant.objects.bulk_create([Tenant(schema_name=s, name=f"Bench {s}") for s in schemas])
        with connection.cursor() as cursor:
            for schema in schemas:
                cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema)}")


class PhaseTimer:
    """Times ``Tenant.create_schema`` and the first-admin step inside ``tenant_provision``.

    Both are wrapped for the duration of the bench only (this process, nothing on disk).
    """

    def __init__(self) -> None:
        self.last: dict[str, float] = {}
        self._restore: list[tuple[Any, str, Any]] = []

    def _wrap(self, owner: Any, attr: str, key: str) -> None:
        original = getattr(owner, attr)
        self._restore.append((owner, attr, owner.__dict__.get(attr)))
        last = self.last

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                last[key] = last.get(key, 0.0) + time.perf_counter() - started

        setattr(owner, attr, timed)

    def __enter__(self) -> PhaseTimer:
        import tenants.services
        from tenants.models import Tenant

        self._wrap(Tenant, "create_schema", "schema_migrate")
        self._wrap(tenants.services, "_create_first_admin", "first_admin")
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, attr, previous in reversed(self._restore):
            if previous is None:
                delattr(owner, attr)
            else:
                setattr(owner, attr, previous)


def provision_one(slug: str, timer: PhaseTimer) -> dict[str, float]:
    from core.exceptions import FieldValidationError
    from tenants.services import tenant_provision

    timer.last.clear()
    started = time.perf_counter()
    try:
        tenant_provision(name=f"Bench {slug}", slug=slug, admin_email="admin@example.com")
    except FieldValidationError as exc:
        raise RuntimeError(f"tenant_provision({slug!r}) refused: {exc.extra}") from exc
    total = time.perf_counter() - started
    schema_migrate = timer.last.get("schema_migrate", 0.0)
    first_admin = timer.last.get("first_admin", 0.0)
    return {
        "total": total,
        "schema_migrate": schema_migrate,
        "first_admin": first_admin,
        "rest": total - schema_migrate - first_admin,
    }


def verify_provisioned(schemas: list[str]) -> list[str]:
    """Problems found: each tenant needs its primary domain and exactly one admin."""
    from accounts.models import User
    from tenants.models import Domain, Tenant
    from tenants.tenancy import public_scope, tenant_scope

    problems = []
    with public_scope():
        tenants = list(Tenant.objects.filter(schema_name__in=schemas))
    if len(tenants) != len(schemas):
        problems.append(f"{len(schemas) - len(tenants)} tenant rows missing")
    for tenant in tenants:
        with public_scope():
            if not Domain.objects.filter(tenant=tenant, is_primary=True).exists():
                problems.append(f"{tenant.schema_name}: no primary domain")
        with tenant_scope(tenant):
            admins = User.objects.filter(is_superuser=True).count()
        if admins != 1:
            problems.append(f"{tenant.schema_name}: {admins} admins")
    return problems


def password_hash_seconds() -> dict[str, Any]:
    """What one password hash costs with the configured hasher (the first admin pays one)."""
    from django.contrib.auth.hashers import get_hasher, make_password

    hasher = get_hasher()
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        make_password("bench-password-not-used")
        samples.append(time.perf_counter() - started)
    return {
        "hasher": hasher.algorithm,
        "iterations": getattr(hasher, "iterations", None),
        "median_s": percentile(samples, 50),
    }


# ---------------------------------------------------------------- phases


def _create_k(k: int, prefix: str) -> tuple[dict[str, float], list[dict[str, float]], list[str]]:
    cold_slug = f"{prefix}-cold"
    slugs = [f"{prefix}-c{i:03d}" for i in range(k)]
    with PhaseTimer() as timer:
        cold = provision_one(cold_slug, timer)
        runs = [provision_one(slug, timer) for slug in slugs]
    return cold, runs, [cold_slug, *slugs]


def _drop_template() -> None:
    from django.db import connection

    from tenants.schema_template import template_schema_name

    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(template_schema_name())} CASCADE"
        )


def bench_creation(k: int) -> dict[str, Any]:
    """K creations each way: migrating the new schema (no template schema), then copying the
    template schema (the default once ``manage.py tenant_template`` ran)."""
    from tenants.schema_template import template_refresh

    _drop_template()
    log(f"creating 1 cold + {k} tenants with tenant_provision, migrating each schema ...")
    _, migrated_runs, migrated_schemas = _create_k(k, "bench-m")
    migrated_problems = verify_provisioned(migrated_schemas)
    migrated_facts = schema_facts(migrated_schemas[:1])[migrated_schemas[0]]
    drop_tenants(migrated_schemas)

    log("refreshing the template schema (manage.py tenant_template) ...")
    started = time.perf_counter()
    template_refresh()
    refresh_s = time.perf_counter() - started
    log(f"creating 1 cold + {k} tenants with tenant_provision, copying the template ...")
    cold, runs, schemas = _create_k(k, "bench")
    problems = verify_provisioned(schemas)
    facts = schema_facts(schemas[:1])[schemas[0]]
    if facts != migrated_facts:
        problems.append(f"copied schema {facts} differs from a migrated one {migrated_facts}")
    result = {
        "k": k,
        "admin_password": ADMIN_PASSWORD_NOTE,
        "template_refresh_s": refresh_s,
        "cold_s": cold,
        "total_s": summarize([r["total"] for r in runs]),
        "schema_migrate_s": summarize([r["schema_migrate"] for r in runs]),
        "first_admin_s": summarize([r["first_admin"] for r in runs]),
        "rest_s": summarize([r["rest"] for r in runs]),
        "samples_s": [round(r["total"], 4) for r in runs],
        "migrated_total_s": summarize([r["total"] for r in migrated_runs]),
        "migrated_schema_migrate_s": summarize([r["schema_migrate"] for r in migrated_runs]),
        "tables_per_tenant_schema": facts[0],
        "django_migrations_rows_per_tenant": facts[1],
        "verification_problems": problems + migrated_problems,
    }
    drop_tenants(schemas)
    _drop_template()
    return result


def bench_migrate(
    n: int,
    executor: str,
    repeat: int,
    parallel: int,
    env: dict[str, str],
    expected: tuple[int, int],
) -> dict[str, Any]:
    code = EXECUTOR_CODES[executor]
    cmd = manage("migrate_schemas", "--tenant", f"--executor={executor}", "-v", "0")
    if executor == "subprocess":
        cmd += ["--parallel", str(parallel)]
    fulls: list[TimedRun] = []
    noops: list[TimedRun] = []
    problems: list[str] = []
    for r in range(repeat):
        schemas = [f"bench_{code}{r}_{i:04d}" for i in range(n)]
        create_empty_tenants(schemas)
        label = f"{executor} N={n}" + (f" (repeat {r + 1}/{repeat})" if repeat > 1 else "")
        log(f"migrate_schemas --tenant {label} on empty schemas ...")
        fulls.append(run_timed(cmd, env=env).check(f"migrate_schemas {executor}"))
        wrong = {s: f for s, f in schema_facts(schemas).items() if f != expected}
        if wrong:
            sample = ", ".join(f"{s}={f}" for s, f in list(wrong.items())[:5])
            problems.append(
                f"{len(wrong)} of {n} schemas differ from (tables, rows)={expected}: {sample}"
            )
        log(f"migrate_schemas --tenant {label} again (no-op) ...")
        noops.append(run_timed(cmd, env=env).check(f"migrate_schemas {executor} no-op"))
        drop_tenants(schemas)
    return {
        "executor": executor,
        "command": " ".join(["manage.py", *cmd[2:]]),
        "n": n,
        "repeat": repeat,
        "migrate_s": percentile([x.wall_s for x in fulls], 50),
        "noop_s": percentile([x.wall_s for x in noops], 50),
        "migrate_samples_s": [round(x.wall_s, 3) for x in fulls],
        "noop_samples_s": [round(x.wall_s, 3) for x in noops],
        "migrate_peak_rss_mib": max(x.max_rss_mib for x in fulls),
        "noop_peak_rss_mib": max(x.max_rss_mib for x in noops),
        "verification_problems": problems,
    }


# ---------------------------------------------------------------- one new column (AddField)

PROBE_APP = "bench_column"
PROBE_SETTINGS = "bench_column_settings"
PROBE_MODELS = """from django.db import models


class Probe(models.Model):
    name = models.CharField(max_length=40)
{extra}
    class Meta:
        app_label = "bench_column"
"""
PROBE_0001 = """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Probe",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=40)),
            ],
        ),
    ]
"""
PROBE_0002 = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bench_column", "0001_initial")]
    operations = [
        migrations.AddField("probe", "extra", models.CharField(max_length=40, null=True)),
        migrations.AddIndex(
            "probe", models.Index(fields=["extra"], name="bench_probe_extra_idx")
        ),
    ]
"""


def write_probe_app(root: Path, *, with_column: bool, base_settings: str) -> None:
    """A throw-away tenant app outside the repository: 0001 creates a table, 0002 adds a
    nullable column and an index to it (what ``makemigrations`` writes for one AddField with
    ``db_index``). The settings module adds it to TENANT_APPS on top of ``base_settings``."""
    app = root / PROBE_APP
    (app / "migrations").mkdir(parents=True, exist_ok=True)
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "migrations" / "__init__.py").write_text("", encoding="utf-8")
    extra = "    extra = models.CharField(max_length=40, null=True, db_index=True)\n"
    (app / "models.py").write_text(
        PROBE_MODELS.format(extra=extra if with_column else ""), encoding="utf-8"
    )
    (app / "migrations" / "0001_initial.py").write_text(PROBE_0001, encoding="utf-8")
    if with_column:
        (app / "migrations" / "0002_probe_extra.py").write_text(PROBE_0002, encoding="utf-8")
    (root / f"{PROBE_SETTINGS}.py").write_text(
        f"from {base_settings} import *  # noqa: F403\n"
        f"TENANT_APPS = [*TENANT_APPS, {PROBE_APP!r}]  # noqa: F405\n"
        f"INSTALLED_APPS = [*INSTALLED_APPS, {PROBE_APP!r}]  # noqa: F405\n",
        encoding="utf-8",
    )


def probe_column_count(schemas: list[str]) -> int:
    """Schemas whose probe table has the new column and its index."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = ANY(%s) "
            "AND indexname = 'bench_probe_extra_idx'",
            [schemas],
        )
        indexes = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = ANY(%s) "
            "AND table_name = 'bench_column_probe' AND column_name = 'extra'",
            [schemas],
        )
        columns = cursor.fetchone()[0]
    return min(indexes, columns)


def bench_add_column(n: int, executor: str, env: dict[str, str]) -> dict[str, Any]:
    """``migrate_schemas`` over N tenants when one migration adds a column and an index.

    The N schemas are first migrated with the probe app's 0001 (not the figure); then 0002 is
    written and the timed run applies only it to every schema; a third run is the no-op. The
    probe app lives in a temporary directory, so the repository is never touched.
    """
    code = EXECUTOR_CODES[executor]
    cmd = manage("migrate_schemas", "--tenant", f"--executor={executor}", "-v", "0")
    schemas = [f"bench_col{code}_{i:04d}" for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="tt-bench-addfield-") as tmp:
        root = Path(tmp)
        write_probe_app(root, with_column=False, base_settings=env["DJANGO_SETTINGS_MODULE"])
        probe_env = {
            **env,
            "PYTHONPATH": os.pathsep.join([str(root), str(ROOT)]),
            "DJANGO_SETTINGS_MODULE": PROBE_SETTINGS,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        create_empty_tenants(schemas)
        try:
            log(f"add column: migrating {n} schemas to the probe app's 0001 ({executor}) ...")
            base = run_timed(cmd, env=probe_env).check("migrate_schemas (probe 0001)")
            write_probe_app(root, with_column=True, base_settings=env["DJANGO_SETTINGS_MODULE"])
            log(f"add column: migrate_schemas --tenant with one AddField + index, N={n} ...")
            added = run_timed(cmd, env=probe_env).check("migrate_schemas (AddField)")
            log("add column: again (no-op) ...")
            noop = run_timed(cmd, env=probe_env).check("migrate_schemas (AddField no-op)")
            complete = probe_column_count(schemas)
        finally:
            drop_tenants(schemas)
    return {
        "executor": executor,
        "n": n,
        "base_migrate_s": base.wall_s,
        "add_column_s": added.wall_s,
        "noop_s": noop.wall_s,
        "peak_rss_mib": max(base.max_rss_mib, added.max_rss_mib, noop.max_rss_mib),
        "schemas_with_column": complete,
        "verification_problems": []
        if complete == n
        else [f"{n - complete} of {n} schemas lack the new column or its index"],
    }


# ---------------------------------------------------------------- report


def print_report(result: dict[str, Any]) -> None:
    startup = result["startup_s"]
    check_s = startup["manage_check"]
    mig = result["migrations"]
    m = result["machine"]
    print()
    print("=" * 78)
    print("B6 tenant provisioning and migrations")
    print(
        f"commit {result['git']['commit']}{' (dirty tree)' if result['git']['dirty'] else ''}, "
        f"{result['started_utc']}, nproc {m['nproc']}, loadavg {m['loadavg_at_start']}, "
        f"PostgreSQL {result['postgres']['server_version']} (fsync {result['postgres']['fsync']}), "
        f"Python {m['python']}, Django {result['versions']['django']}, "
        f"django-tenants {result['versions']['django_tenants']}"
    )
    print(
        f"database {result['database']}, settings {result['settings']}, "
        f"TENANT_MULTIPROCESSING_MAX_PROCESSES={result['mp_processes']}"
    )
    print(
        f"tenant schema: {mig['tenant_app_migrations']} tenant-app migrations "
        f"({', '.join(f'{k} {v}' for k, v in mig['tenant_app_migrations_per_app'].items())}); "
        f"{mig['all_migrations']} migrations in the graph; "
        f"{result['creation']['tables_per_tenant_schema']} tables"
    )
    print()
    print(
        table(
            [
                ["python -c 'django.setup()'", secs(startup["django_setup"])],
                ["manage.py check", secs(check_s)],
                ["manage.py migrate_schemas --shared (fresh DB)", secs(result["migrate_shared_s"])],
            ],
            header=["Django start-up (median of 3)", "seconds"],
        )
    )
    c = result["creation"]
    print()
    rows = [
        [
            name,
            secs(c[key]["median"]),
            secs(c[key]["p95"]),
            secs(c[key]["min"]),
            secs(c[key]["max"]),
        ]
        for name, key in [
            ("total (schema copied from the template)", "total_s"),
            ("  schema copy", "schema_migrate_s"),
            ("  first admin (waits for the password hash)", "first_admin_s"),
            ("  rest (validation, rows, commit)", "rest_s"),
            ("total (schema migrated, no template)", "migrated_total_s"),
            ("  schema + migrations", "migrated_schema_migrate_s"),
        ]
    ]
    print(
        table(
            rows,
            header=[f"tenant_provision, K={c['k']} (s)", "median", "p95", "min", "max"],
        )
    )
    ph = result["password_hash"]
    print(
        f"template refresh {secs(c['template_refresh_s'])} s; "
        f"cold first creation {secs(c['cold_s']['total'])} s (not in the statistics); "
        f"one {ph['hasher']} hash ({ph['iterations']} iterations) = {secs(ph['median_s'])} s"
    )
    print()
    rows = []
    for run in result["migrate"]:
        n = run["n"]
        rows.append(
            [
                run["executor"],
                str(n),
                secs(run["migrate_s"], 2),
                secs(run["migrate_s"] / n),
                secs(max(run["migrate_s"] - check_s, 0) / n),
                secs(run["noop_s"], 2),
                secs(max(run["noop_s"] - check_s, 0) / n),
                f"{run['migrate_peak_rss_mib']:.0f}",
            ]
        )
    print(
        table(
            rows,
            header=[
                "migrate_schemas --tenant",
                "N",
                "wall s",
                "per tenant",
                "net/tenant",
                "no-op s",
                "no-op net/t",
                "peak RSS MiB",
            ],
        )
    )
    ratios = result["ratios"]
    if ratios:
        print(
            "multiprocessing / standard: "
            f"migrate {ratios['migrate_mp_over_std']:.2f}, no-op {ratios['noop_mp_over_std']:.2f}"
            f" (wall); net of start-up: migrate {ratios['migrate_net_mp_over_std']:.2f}, "
            f"no-op {ratios['noop_net_mp_over_std']:.2f}"
        )
    print()
    ext = result["extrapolation_1000"]
    print(
        "linear extrapolation to 1,000 tenants (ignores catalog growth): "
        f"create {ext['create_serial_min']:.1f} min serial (goal <= 90 min); "
        + ", ".join(
            f"{e} migrate {v['migrate_min']:.1f} min / no-op {v['noop_min']:.1f} min"
            for e, v in ext["migrate"].items()
        )
        + " (goal: no-op <= 5 min)"
    )
    col = result.get("add_column")
    if col:
        ext_col = ext["add_column"]
        print(
            f"one AddField + index ({col['executor']}, N={col['n']}): "
            f"{secs(col['add_column_s'], 2)} s, then no-op {secs(col['noop_s'], 2)} s; "
            f"{col['schemas_with_column']}/{col['n']} schemas got the column; "
            f"extrapolated to 1,000: {ext_col['migrate_min']:.1f} min (goal <= 10 min)"
        )
    goal = result["goal"]
    print(
        f"goal: tenant creation p95 <= {goal['create_p95_max_s']} s: "
        f"p95 = {secs(goal['create_p95_s'])} s -> {'MET' if goal['met'] else 'MISSED'}"
    )
    problems = result["creation"]["verification_problems"] + [
        p for run in result["migrate"] for p in run["verification_problems"]
    ]
    if col:
        problems += col["verification_problems"]
    print("verification: " + ("all tenants complete" if not problems else "; ".join(problems)))
    for skipped in result.get("skipped", []):
        print(f"skipped, out of the module's time: {skipped}")
    print(f"loadavg at end {result['loadavg_at_end']}")
    print("=" * 78)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="B6: time tenant creation and migrate_schemas (see the module docstring)."
    )
    parser.add_argument("--create", type=int, default=10, metavar="K", help="tenants to create")
    parser.add_argument("--migrate", type=int, default=50, metavar="N", help="tenants to migrate")
    parser.add_argument(
        "--executors",
        default="standard,multiprocessing",
        help="comma-separated: standard, multiprocessing, subprocess",
    )
    parser.add_argument(
        "--parallel", type=int, default=2, help="--parallel for the subprocess executor"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="migrate runs per executor; the median is reported"
    )
    parser.add_argument(
        "--add-column",
        metavar="EXECUTOR",
        default="",
        help="also time migrate_schemas when one migration adds a column + index (B6 variant)",
    )
    parser.add_argument("--database", default="tiktickets_bench")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args(argv)
    args.executors = [e.strip() for e in args.executors.split(",") if e.strip()]
    wanted = [*args.executors, args.add_column or "standard"]
    unknown = [e for e in wanted if e not in EXECUTOR_CODES]
    if unknown:
        parser.error(f"unknown executor(s): {', '.join(unknown)}")
    if not 1 <= args.create <= 1000 or not 1 <= args.migrate <= 2000 or not 1 <= args.repeat <= 5:
        parser.error("bounds: 1 <= --create <= 1000, 1 <= --migrate <= 2000, 1 <= --repeat <= 5")
    check_database_name(args.database)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = collect(args)
    print_report(result)
    path = write_result("tenant_provisioning", result, commit=result["git"]["commit"])
    print(f"bench wall time {result['bench_wall_s']:.1f} s; results: {path.relative_to(ROOT)}")
    return 0 if result["goal"]["met"] else 1


def collect(args: argparse.Namespace, budget: MigrateBudget | None = None) -> dict[str, Any]:
    """Run every phase the arguments ask for; the result dict (also what is written).

    With a ``budget`` (``make bench``), the migrate phases' tenant count is sized from what
    creation measured, and a phase that would not end in time is skipped and named.
    """
    started_utc = utc_now()
    wall_started = time.perf_counter()
    machine = machine_info()
    git = git_info()

    log(f"recreating database {args.database}")
    postgres = recreate_database(args.database)
    os.environ["POSTGRES_DB"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiktickets.settings.dev")
    env = dict(os.environ)
    try:
        log("timing Django start-up ...")
        startup = {
            "django_setup": median_run(
                [PYTHON, "-c", "import django; django.setup()"], env, 3, "django.setup()"
            ),
            "manage_check": median_run(manage("check"), env, 3, "manage.py check"),
        }
        log("migrate_schemas --shared ...")
        shared = run_timed(manage("migrate_schemas", "--shared", "-v", "0"), env=env)
        shared.check("migrate_schemas --shared")

        import django

        django.setup()
        from django.conf import settings
        from django.db import connections

        from tenants.services import tenant_public_ensure

        tenant_public_ensure()
        migrations = count_migrations()
        password_hash = password_hash_seconds()

        creation = bench_creation(args.create)
        if budget is not None:
            args.migrate = budget.size(
                creation,
                startup["manage_check"],
                executors=len(args.executors),
                add_column=bool(args.add_column),
            )
        expected = (
            creation["tables_per_tenant_schema"],
            creation["django_migrations_rows_per_tenant"],
        )
        migrate_runs = [
            bench_migrate(args.migrate, e, args.repeat, args.parallel, env, expected)
            for e in args.executors
            if budget is None or budget.fits(f"migrate_schemas {e}", args.migrate, commands=2)
        ]
        add_column = (
            bench_add_column(args.migrate, args.add_column, env)
            if args.add_column
            and (budget is None or budget.fits("add column", args.migrate, commands=3))
            else None
        )
        connections.close_all()
    finally:
        if args.keep:
            log(f"keeping database {args.database}")
        else:
            try:
                from django.db import connections as conns

                conns.close_all()
            except Exception:  # noqa: BLE001, S110 - Django may not be set up yet
                pass
            drop_database(args.database)
            log(f"dropped database {args.database}")

    check_s = startup["manage_check"]
    by_executor = {run["executor"]: run for run in migrate_runs}
    ratios: dict[str, float] = {}
    if "standard" in by_executor and "multiprocessing" in by_executor:
        std, mp = by_executor["standard"], by_executor["multiprocessing"]

        def net(x: float) -> float:
            return max(x - check_s, 1e-9)

        ratios = {
            "migrate_mp_over_std": mp["migrate_s"] / std["migrate_s"],
            "noop_mp_over_std": mp["noop_s"] / std["noop_s"],
            "migrate_net_mp_over_std": net(mp["migrate_s"]) / net(std["migrate_s"]),
            "noop_net_mp_over_std": net(mp["noop_s"]) / net(std["noop_s"]),
        }
    for run in migrate_runs:
        run["per_tenant_s"] = run["migrate_s"] / run["n"]
        run["net_per_tenant_s"] = max(run["migrate_s"] - check_s, 0) / run["n"]
        run["noop_per_tenant_s"] = run["noop_s"] / run["n"]
        run["noop_net_per_tenant_s"] = max(run["noop_s"] - check_s, 0) / run["n"]
    create_p95 = creation["total_s"]["p95"]
    result: dict[str, Any] = {
        "bench": "B6 tenant_provisioning",
        "started_utc": started_utc.isoformat(timespec="seconds"),
        "git": git,
        "machine": machine,
        "postgres": postgres,
        "versions": {
            "django": django.get_version(),
            "django_tenants": _dist_version("django-tenants"),
        },
        "database": args.database,
        "settings": os.environ["DJANGO_SETTINGS_MODULE"],
        "mp_processes": getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 2),
        "args": {
            "create": args.create,
            "migrate": args.migrate,
            "executors": args.executors,
            "parallel": args.parallel,
            "repeat": args.repeat,
        },
        "migrations": migrations,
        "startup_s": startup,
        "migrate_shared_s": shared.wall_s,
        "password_hash": password_hash,
        "creation": creation,
        "migrate": migrate_runs,
        "ratios": ratios,
        "extrapolation_1000": {
            "create_serial_min": creation["total_s"]["median"] * 1000 / 60,
            "migrate": {
                run["executor"]: {
                    "migrate_min": run["net_per_tenant_s"] * 1000 / 60,
                    "noop_min": run["noop_net_per_tenant_s"] * 1000 / 60,
                }
                for run in migrate_runs
            },
        },
        "goal": {
            "create_p95_max_s": GOAL_CREATE_P95_S,
            "create_p95_s": create_p95,
            "met": create_p95 <= GOAL_CREATE_P95_S,
        },
        "add_column": add_column,
        "skipped": budget.skipped if budget is not None else [],
        "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        "bench_wall_s": time.perf_counter() - wall_started,
    }
    if add_column is not None:
        per_tenant = max(add_column["add_column_s"] - check_s, 0) / add_column["n"]
        noop_per_tenant = max(add_column["noop_s"] - check_s, 0) / add_column["n"]
        result["extrapolation_1000"]["add_column"] = {
            "executor": add_column["executor"],
            "migrate_min": per_tenant * 1000 / 60,
            "noop_min": noop_per_tenant * 1000 / 60,
        }
    return result


# ---------------------------------------------------------------- make bench entry


def p6_figure(ctx: BenchContext, create_p95_s: float, k: int) -> Figure:
    """P6 of issue 22: tenant creation p95; its ratio is the creation in milliseconds over one
    single-row INSERT transaction of the same run (``L.pg_insert_ms``)."""
    fig = ctx.figure(
        id="P6.create_p95_s",
        name="P6 tenant creation p95",
        value=create_p95_s,
        unit="s",
        goal=("<=", 0.5),
        note=f"K={k}; ratio: creation ms / one single-row INSERT ms",
    )
    fig.limit = "L.pg_insert_ms"
    fig.limit_ratio = ctx.ratio(create_p95_s * 1000, "L.pg_insert_ms")
    return fig


def migrate_tenant_count(
    remaining_s: float, migrate_one_s: float, check_s: float, *, executors: int, add_column: bool
) -> int:
    """How many tenants the migrate phases can take in ``remaining_s`` seconds.

    The cost is measured, not guessed: ``migrate_one_s`` is the median time creation took to
    migrate one schema in process, ``check_s`` one ``manage.py`` start-up. Each executor runs a
    full migration of the N schemas and a no-op one; the add-column variant migrates them once
    more in full, then twice by one migration. Every full pass is counted at the serial cost
    (the parallel executors gain little on two cores), plus about a second per tenant and pass
    for creating, checking and dropping the schemas, and a start-up per command.
    """
    full_passes = executors + (1 if add_column else 0)
    commands = 2 * executors + (3 if add_column else 0)
    per_tenant = full_passes * (migrate_one_s + 1.0)
    fixed = commands * check_s + 30.0  # 30 s: a margin for the module's own end
    return int(max(3, min(40, (remaining_s - fixed) / per_tenant)))


@dataclass
class MigrateBudget:
    """The migrate phases of B6 inside ``make bench``, bounded by the module's deadline.

    ``size`` picks the tenant count from what creation measured; ``fits`` is asked before each
    phase and skips (and names) one that would not end before the deadline, so the module always
    returns its figures, P6 first among them, instead of being stopped with none.
    """

    deadline: float  # time.time() by which the module must have returned
    margin_s: float = 30.0
    migrate_one_s: float = 0.0
    check_s: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def left(self) -> float:
        return self.deadline - time.time()

    def size(
        self, creation: dict[str, Any], check_s: float, *, executors: int, add_column: bool
    ) -> int:
        self.migrate_one_s = creation["migrated_schema_migrate_s"]["median"]
        self.check_s = check_s
        n = migrate_tenant_count(
            self.left(), self.migrate_one_s, check_s, executors=executors, add_column=add_column
        )
        log(
            f"migrate phases sized to N={n} tenants (one schema migrated in "
            f"{self.migrate_one_s:.2f} s, {self.left():.0f} s left)"
        )
        return n

    def fits(self, phase: str, n: int, *, commands: int) -> bool:
        cost = n * (self.migrate_one_s + 1.0) + commands * self.check_s
        if cost + self.margin_s <= self.left():
            return True
        self.skipped.append(f"{phase}: about {cost:.0f} s needed, {self.left():.0f} s left")
        log(f"skipping {phase}: it would not end before the module's deadline")
        return False


def run(ctx: BenchContext) -> list[Figure]:
    """B6 inside ``make bench``: tenant counts bounded by the module's time budget.

    1,000 tenants do not fit a 20-minute run on two cores (several seconds of migrations per
    tenant and executor), so N tenants are migrated for real and the 1,000-tenant figures are
    linear extrapolations of the net per-tenant cost (they ignore catalog growth). N is sized
    once creation has measured what migrating one schema costs on this machine.
    """
    k = 5
    executors = ["standard", "multiprocessing"]
    argv = [
        "--create", str(k),
        "--migrate", "1",
        "--executors", ",".join(executors),
        "--add-column", "multiprocessing",
        "--database", ctx.database("tenants"),
    ]  # fmt: skip

    result = collect(parse_args(argv), MigrateBudget(deadline=ctx.deadline))
    n = result["args"]["migrate"]
    print_report(result)
    ctx.details["b6"] = result
    ext = result["extrapolation_1000"]
    creation = result["creation"]
    note_n = f"measured at N={n} tenants, linear extrapolation to 1,000"
    figures = [
        ctx.figure(
            id="B6.create_p95_s",
            name="Tenant creation p95 (tenant_provision, warm process)",
            value=creation["total_s"]["p95"],
            unit="s",
            goal=("<=", GOAL_CREATE_P95_S),
            note=(
                f"K={k}; median {creation['total_s']['median']:.2f} s; schema copied from the "
                f"template; migrated instead: p95 {creation['migrated_total_s']['p95']:.2f} s"
            ),
        ),
        p6_figure(ctx, creation["total_s"]["p95"], k),
        ctx.figure(
            id="B6.create_1000_min",
            name="Creating 1,000 tenants one after another (extrapolated)",
            value=ext["create_serial_min"],
            unit="min",
            goal=("<=", 90),
            note=f"median x 1,000 (K={k})",
        ),
    ]
    for run_ in result["migrate"]:
        executor = run_["executor"]
        figures.append(
            ctx.figure(
                id=f"B6.migrate_{EXECUTOR_CODES[executor]}_per_tenant_s",
                name=f"migrate_schemas --tenant ({executor}), all migrations, per tenant",
                value=run_["net_per_tenant_s"],
                unit="s",
                note=f"N={n}; wall {run_['migrate_s']:.1f} s incl. start-up",
            )
        )
        figures.append(
            ctx.figure(
                id=f"B6.noop_{EXECUTOR_CODES[executor]}_1000_min",
                name=f"migrate_schemas no-op ({executor}) at 1,000 tenants (extrapolated)",
                value=ext["migrate"][executor]["noop_min"],
                unit="min",
                goal=("<=", 5),
                note=note_n,
            )
        )
    if result.get("add_column"):
        col = result["add_column"]
        figures.append(
            ctx.figure(
                id="B6.add_column_1000_min",
                name=f"migrate_schemas, one AddField + index ({col['executor']}), "
                "1,000 tenants (extrapolated)",
                value=ext["add_column"]["migrate_min"],
                unit="min",
                goal=("<=", 10),
                note=f"{note_n}; wall {col['add_column_s']:.1f} s for N={n}",
            )
        )
    peaks = (
        [r["migrate_peak_rss_mib"] for r in result["migrate"]]
        + [r["noop_peak_rss_mib"] for r in result["migrate"]]
        + ([result["add_column"]["peak_rss_mib"]] if result.get("add_column") else [])
    )
    if peaks:
        figures.append(
            ctx.figure(
                id="B6.peak_rss_mib",
                name="Peak RSS of one migrate_schemas process",
                value=max(peaks),
                unit="MiB",
                goal=("<=", 2048),
                note=f"N={n}",
            )
        )
    problems = creation["verification_problems"] + [
        p for r in result["migrate"] for p in r["verification_problems"]
    ]
    if result.get("add_column"):
        problems += result["add_column"]["verification_problems"]
    figures.append(
        ctx.figure(
            id="B6.incomplete_tenants",
            name="Tenants left incomplete after provisioning or migrations",
            value=float(len(problems)),
            unit="problems",
            goal=("==", 0),
            note="; ".join(problems)[:300],
        )
    )
    return figures


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
