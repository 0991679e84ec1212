"""The template schema that new tenants are copied from, instead of migrating each one.

Running every tenant migration for a new schema costs seconds (one DDL statement after another,
plus the migration framework's bookkeeping per migration). A migrated schema that holds no
tenant's data, ``_tenant_template``, is kept current by ``manage.py tenant_template`` (run by
every migration step: ``make run``, the compose file's ``migrate`` service, the deploy notes)
and a new tenant's schema is a copy of it: tables, indexes, constraints, sequences and the rows
that migrations themselves write (content types, permissions, ``django_migrations``), recreated
under their own names by one batch of statements read once from the template's catalog.

The copy is used only while the template is current: its ``django_migrations`` must hold every
migration of the project's migration graph. Otherwise (no template yet, or code deployed with a
new migration before the migration step ran) the schema is migrated the slow way, so a tenant
never starts with a missing table. ``tenants/tests/test_schema_template.py`` holds a copy equal
to a freshly migrated schema, object by object.

The template's name cannot be a tenant's: tenant schema names start with a letter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_exists

logger = logging.getLogger(__name__)


def template_schema_name() -> str:
    return str(getattr(settings, "TENANT_TEMPLATE_SCHEMA", "_tenant_template"))


@cache
def _project_migrations() -> frozenset[tuple[str, str]]:
    """Every migration on disk (app label, name): what a migrated tenant schema records.

    Read once per process: the migration files of a running process do not change.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(loader.graph.nodes)


def _recorded_migrations(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT app, name FROM {connection.ops.quote_name(schema)}.django_migrations"  # noqa: S608 - a quoted schema name
        )
        return {(app, name) for app, name in cursor.fetchall()}


def template_is_current() -> bool:
    """True when the template exists and records every migration of the project."""
    schema = template_schema_name()
    if not schema_exists(schema):
        return False
    return _recorded_migrations(schema) >= _project_migrations()


def template_refresh(*, verbosity: int = 0) -> None:
    """Create the template schema if missing and apply the migrations it lacks."""
    schema = template_schema_name()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {connection.ops.quote_name(schema)}")
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=schema,
        interactive=False,
        verbosity=verbosity,
    )
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants


# What a tenant schema may hold that the copy reproduces: tables (kind r), their indexes (i),
# sequences (S), the composite/array types PostgreSQL makes for every table, and triggers that
# call functions of another schema (the shared functions live in public, once). Anything else
# (views, functions of the schema itself, enums, partitioned tables...) is not copied: the
# template is then not used and new schemas are migrated, until the copy learns it (the
# equality test says so).
_SUPPORTED_CHECK = """
SELECT
  (SELECT count(*) FROM pg_class c
   WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('r', 'i', 'S'))
+ (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = %(ns)s)
+ (SELECT count(*) FROM pg_type t WHERE t.typnamespace = %(ns)s AND t.typtype NOT IN ('c', 'b'))
"""
# The schema's own triggers, in a stable order; created after the copied rows are in (the rows
# migrations write never fired them in the template either: triggers come with later migrations
# or fire on tables those rows do not touch; the equality test compares the rows).
_TRIGGERS = """
SELECT pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = %s AND NOT t.tgisinternal ORDER BY c.relname, t.tgname
"""

NEW = "\x00new-schema\x00"  # stands for the quoted name of the schema being created

# A table's indexes (constraints' indexes included) as (table, name, definition without its
# name and table), in creation order: copied indexes get generated names and are renamed by
# matching their definitions, which PostgreSQL prints alike for alike expression trees.
_INDEXES = """
SELECT t.relname, i.relname, regexp_replace(pg_get_indexdef(i.oid), '^.* USING ', ''),
       x.indisunique
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relnamespace = %s ORDER BY t.relname, i.oid
"""
_IDENTITY_SEQUENCES = """
SELECT c.relname, a.attname, seq.relname
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_depend d ON d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.deptype = 'i'
  AND d.classid = 'pg_class'::regclass
JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
WHERE c.relnamespace = %s AND a.attidentity <> ''
"""


@dataclass(frozen=True)
class _Template:
    """What a copy needs to know of the template, read from its catalog once."""

    tables: list[str]
    create: list[str]  # schema, free sequences, tables with their indexes and checks, rows
    finish: list[str]  # foreign keys and where every sequence stands
    index_names: dict[tuple[str, str, bool], list[str]]  # definition -> names, in order
    identity_sequences: dict[tuple[str, str], str]  # (table, column) -> sequence name


def _read_template(template: str) -> _Template | None:
    """None when the template holds objects the copy does not reproduce."""
    q = connection.ops.quote_name
    old = q(template)
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [template])
        (ns,) = cursor.fetchone()
        cursor.execute(_SUPPORTED_CHECK, {"ns": ns})
        if cursor.fetchone()[0]:
            return None
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = %s AND relkind = 'r' "
            "ORDER BY relname",
            [ns],
        )
        tables = [name for (name,) in cursor.fetchall()]
        cursor.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE c.relnamespace = %s AND c.relkind = 'r' AND a.attnum > 0 "
            "AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY c.relname, a.attnum",
            [ns],
        )
        stored: dict[str, list[str]] = {}  # each table's columns that take values
        for table, column in cursor.fetchall():
            stored.setdefault(table, []).append(q(column))
        # Sequences no column's identity owns (e.g. the protocol numbers' sequence).
        cursor.execute(
            "SELECT seq.relname, s.seqtypid::regtype, s.seqincrement, s.seqstart, s.seqmin, "
            "s.seqmax, s.seqcache, s.seqcycle, owner.relname, a.attname "
            "FROM pg_class seq JOIN pg_sequence s ON s.seqrelid = seq.oid "
            "LEFT JOIN pg_depend d ON d.objid = seq.oid AND d.deptype = 'a' "
            "AND d.classid = 'pg_class'::regclass "
            "LEFT JOIN pg_class owner ON owner.oid = d.refobjid "
            "LEFT JOIN pg_attribute a ON a.attrelid = owner.oid AND a.attnum = d.refobjsubid "
            "WHERE seq.relnamespace = %s AND seq.relkind = 'S' AND NOT EXISTS ("
            "  SELECT 1 FROM pg_depend i WHERE i.objid = seq.oid AND i.deptype = 'i') "
            "ORDER BY 1",
            [ns],
        )
        sequences = cursor.fetchall()
        # The connection's search path is public's alone: foreign keys name the tables they
        # reference qualified by the template's name, replaced by NEW.
        cursor.execute(
            "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid "
            "WHERE con.connamespace = %s AND con.contype = 'f' ORDER BY c.relname, con.conname",
            [ns],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(_INDEXES, [ns])
        index_names: dict[tuple[str, str, bool], list[str]] = {}
        for table, name, definition, unique in cursor.fetchall():
            index_names.setdefault((table, definition, unique), []).append(name)
        cursor.execute(_IDENTITY_SEQUENCES, [ns])
        identity_sequences = {(table, column): seq for table, column, seq in cursor.fetchall()}
        # Identity sequences are made by the copy; their options are set as the template's.
        cursor.execute(
            "SELECT seq.relname, s.seqtypid::regtype, s.seqincrement, s.seqmin, s.seqmax, "
            "s.seqcache, s.seqcycle FROM pg_class seq JOIN pg_sequence s ON s.seqrelid = seq.oid "
            "WHERE seq.relnamespace = %s AND EXISTS ("
            "  SELECT 1 FROM pg_depend i WHERE i.objid = seq.oid AND i.deptype = 'i')",
            [ns],
        )
        identity_options = cursor.fetchall()
        cursor.execute(_TRIGGERS, [ns])
        triggers = [definition for (definition,) in cursor.fetchall()]

    def here(sql: str) -> str:  # PostgreSQL quotes the schema's name only where it must
        return sql.replace(f"{old}.", f"{NEW}.").replace(f"{template}.", f"{NEW}.")

    create = [f"CREATE SCHEMA {NEW}"]
    for name, kind, increment, start, low, high, cache_size, cycle, _owner, _col in sequences:
        create.append(
            f"CREATE SEQUENCE {NEW}.{q(name)} AS {kind} INCREMENT {increment} START {start} "
            f"MINVALUE {low} MAXVALUE {high} CACHE {cache_size} {'CYCLE' if cycle else 'NO CYCLE'}"
        )
    create.extend(
        f"CREATE TABLE {NEW}.{q(table)} (LIKE {old}.{q(table)} INCLUDING ALL)" for table in tables
    )
    for name, *_, owner, column in sequences:
        if owner:
            create.append(f"ALTER SEQUENCE {NEW}.{q(name)} OWNED BY {NEW}.{q(owner)}.{q(column)}")
    for table in tables:
        columns = ", ".join(stored[table])
        insert = f"INSERT INTO {NEW}.{q(table)} ({columns}) OVERRIDING SYSTEM VALUE"
        create.append(f"{insert} SELECT {columns} FROM {old}.{q(table)}")  # noqa: S608
    finish = [
        f"ALTER TABLE {NEW}.{q(table)} ADD CONSTRAINT {q(name)} {here(definition)}"
        for table, name, definition in foreign_keys
    ]
    for name, kind, increment, low, high, cache_size, cycle in identity_options:
        finish.append(
            f"ALTER SEQUENCE {NEW}.{q(name)} AS {kind} INCREMENT {increment} MINVALUE {low} "
            f"MAXVALUE {high} CACHE {cache_size} {'CYCLE' if cycle else 'NO CYCLE'}"
        )
    for name in [name for name, *_ in sequences] + list(identity_sequences.values()):
        finish.append(
            f"SELECT setval('{NEW}.{q(name)}', last_value, is_called) FROM {old}.{q(name)}"  # noqa: S608
        )
    finish.extend(here(definition) for definition in triggers)
    return _Template(tables, create, finish, index_names, identity_sequences)


def _renames(template: _Template, schema_name: str) -> list[str]:
    """Give the copy's indexes and identity sequences the template's names."""
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema_name])
        (ns,) = cursor.fetchone()
        cursor.execute(_INDEXES, [ns])
        copied_indexes = cursor.fetchall()
        cursor.execute(_IDENTITY_SEQUENCES, [ns])
        copied_sequences = cursor.fetchall()
    wanted = {key: list(names) for key, names in template.index_names.items()}
    moves: list[tuple[str, str, str]] = []  # (kind, generated name, template's name)
    for table, name, definition, unique in copied_indexes:
        moves.append(("INDEX", name, wanted[(table, definition, unique)].pop(0)))
    for table, column, name in copied_sequences:
        moves.append(("SEQUENCE", name, template.identity_sequences[(table, column)]))
    moves = [move for move in moves if move[1] != move[2]]
    # Through temporary names first: a generated name may be another object's final name.
    renames = [
        f"ALTER {kind} {NEW}.{q(name)} RENAME TO {q(f'_copy_{n}')}"
        for n, (kind, name, _final) in enumerate(moves)
    ]
    renames += [
        f"ALTER {kind} {NEW}.{q(f'_copy_{n}')} RENAME TO {q(final)}"
        for n, (kind, _name, final) in enumerate(moves)
    ]
    return renames


_templates: dict[frozenset[tuple[str, str]], _Template | None] = {}


def _run(statements: list[str], schema_name: str) -> None:
    new = connection.ops.quote_name(schema_name)
    if statements:
        with connection.cursor() as cursor:
            cursor.execute(";\n".join(sql.replace(NEW, new) for sql in statements))


def schema_copy_from_template(schema_name: str) -> bool:
    """Create ``schema_name`` as a copy of the current template; False (nothing done) when the
    template is missing, behind the code or holds objects the copy does not reproduce, so the
    caller migrates the schema instead."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants
    name = template_schema_name()
    recorded = frozenset(_recorded_migrations(name)) if schema_exists(name) else None
    if recorded is None or not recorded >= _project_migrations():
        logger.warning(
            "tenant schema %s is migrated one migration at a time: the template schema %s is "
            "missing or behind the code (run manage.py tenant_template)",
            schema_name,
            name,
        )
        return False
    if recorded not in _templates:  # read from the catalog once per template version
        _templates.clear()
        _templates[recorded] = _read_template(name)
    template = _templates[recorded]
    if template is None:
        logger.warning(
            "tenant schema %s is migrated one migration at a time: the template schema %s holds "
            "objects that the copy does not reproduce (views, functions or types)",
            schema_name,
            name,
        )
        return False
    _run(template.create, schema_name)
    _run(_renames(template, schema_name) + template.finish, schema_name)
    logger.info("tenant schema %s copied from the template schema", schema_name)
    return True
