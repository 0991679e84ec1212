"""New tenants' schemas are copies of the template schema, equal to freshly migrated ones.

A tenant provisioned while the template is current gets a copied schema; one provisioned without
a template (or with a template behind the code) gets its migrations run one by one. Both must
be the same schema, object by object: tables, columns and their defaults, indexes, constraints,
sequences and where they stand, triggers, functions, views, and the rows migrations write.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from accounts.models import User
from tenants.schema_template import (
    template_is_current,
    template_refresh,
    template_schema_name,
)
from tenants.services import tenant_provision
from tenants.tenancy import tenant_scope

PASSWORD = "Lantern-Quartz-58"


def _provision(slug: str) -> Any:
    return tenant_provision(
        name=slug.title(), slug=slug, admin_email=f"owner@{slug}.test", admin_password=PASSWORD
    ).tenant


def _drop_template() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(template_schema_name())} CASCADE"
        )


def _rows(sql: str, schema: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"schema": schema})
        rows = cursor.fetchall()
    # Definitions name their own schema (quoted when it needs quotes): compare them without it.
    names = (f'"{schema}".', f"{schema}.")
    cleaned = []
    for row in rows:
        values = []
        for value in row:
            if isinstance(value, str):
                for name in names:
                    value = value.replace(name, "<schema>.")
                value = value.replace(f"'{schema}'", "'<schema>'")
            values.append(value)
        cleaned.append(tuple(values))
    return sorted(cleaned, key=repr)


CATALOG = {
    "columns": """
        SELECT table_name, column_name,
               -- the order of the columns; not their numbers, which keep a dropped column's gap
               row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position),
               data_type, udt_name, is_nullable,
               column_default, is_identity, identity_generation, character_maximum_length,
               numeric_precision, is_generated, generation_expression
        FROM information_schema.columns WHERE table_schema = %(schema)s""",
    "tables": """
        SELECT c.relname, c.relkind, c.relpersistence, c.relhasindex, c.relrowsecurity
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(schema)s""",
    "indexes": """
        SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %(schema)s""",
    "constraints": """
        SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid),
               con.condeferrable, con.condeferred
        FROM pg_constraint con
        JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = rel.relnamespace
        WHERE n.nspname = %(schema)s""",
    "sequences": """
        SELECT sequencename, data_type, start_value, increment_by, last_value
        FROM pg_sequences WHERE schemaname = %(schema)s""",
    "sequence owners": """
        SELECT seq.relname, tab.relname, att.attname
        FROM pg_depend d
        JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
        JOIN pg_namespace n ON n.oid = seq.relnamespace
        JOIN pg_class tab ON tab.oid = d.refobjid
        JOIN pg_attribute att ON att.attrelid = tab.oid AND att.attnum = d.refobjsubid
        WHERE n.nspname = %(schema)s AND d.deptype IN ('a', 'i')""",
    "triggers": """
        SELECT tg.tgname, pg_get_triggerdef(tg.oid)
        FROM pg_trigger tg
        JOIN pg_class rel ON rel.oid = tg.tgrelid
        JOIN pg_namespace n ON n.oid = rel.relnamespace
        WHERE n.nspname = %(schema)s AND NOT tg.tgisinternal""",
    "functions": """
        SELECT p.proname, pg_get_functiondef(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = %(schema)s""",
    "views": """
        SELECT viewname, definition FROM pg_views WHERE schemaname = %(schema)s""",
    "migrations recorded": """
        SELECT app, name FROM {schema}.django_migrations""",
    "content types": """
        SELECT id, app_label, model FROM {schema}.django_content_type""",
    "permissions": """
        SELECT p.id, ct.app_label, p.codename, p.name
        FROM {schema}.auth_permission p JOIN {schema}.django_content_type ct
        ON ct.id = p.content_type_id""",
}


def _catalog(schema: str) -> dict[str, list[tuple[Any, ...]]]:
    quoted = connection.ops.quote_name(schema)
    return {name: _rows(sql.replace("{schema}", quoted), schema) for name, sql in CATALOG.items()}


def _row_counts(schema: str) -> dict[str, int]:
    quoted = connection.ops.quote_name(schema)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        tables = [table for (table,) in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {quoted}.{connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def test_a_schema_copied_from_the_template_equals_a_freshly_migrated_one(alpha, caplog):
    _drop_template()
    migrated = _provision("tpl-migrated")

    template_refresh()
    assert template_is_current()
    caplog.set_level(logging.INFO, logger="tenants.schema_template")
    copied = _provision("tpl-copied")
    assert "tenant schema tpl-copied copied from the template schema" in caplog.text

    migrated_catalog = _catalog(migrated.schema_name)
    copied_catalog = _catalog(copied.schema_name)
    assert migrated_catalog["columns"], "the catalog query read nothing"
    assert migrated_catalog["migrations recorded"], "no migration recorded"
    for part in CATALOG:
        assert copied_catalog[part] == migrated_catalog[part], part
    # The template only differs by the first admin that each tenant got.
    counts = _row_counts(migrated.schema_name)
    assert counts["accounts_user"] == 1
    assert _row_counts(copied.schema_name) == counts
    assert _row_counts(template_schema_name())["accounts_user"] == 0


def test_a_copied_schema_is_a_working_tenant_of_its_own(alpha):
    template_refresh()
    tenant = _provision("tpl-working")

    with tenant_scope(tenant):
        owner = User.objects.get()
        assert owner.email == "owner@tpl-working.test"
        assert owner.check_password(PASSWORD)
        # Identity sequences continue after the copied rows: new rows get new ids.
        agent = User.objects.create_user(email="agent@tpl-working.test", password=PASSWORD)
        assert agent.pk > owner.pk
        created = ContentType.objects.create(app_label="probe", model="probe")
        assert created.pk > max(
            ContentType.objects.exclude(pk=created.pk).values_list("pk", flat=True)
        )
    with connection.cursor() as cursor:
        template = connection.ops.quote_name(template_schema_name())
        cursor.execute(f"SELECT count(*) FROM {template}.accounts_user")  # noqa: S608
        assert cursor.fetchone()[0] == 0, "the copy wrote into the template"


def test_a_template_behind_the_code_is_not_copied_and_the_tenant_is_still_complete(alpha, caplog):
    template_refresh()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {connection.ops.quote_name(template_schema_name())}.django_migrations "  # noqa: S608
            "WHERE id = (SELECT max(id) FROM "
            f"{connection.ops.quote_name(template_schema_name())}.django_migrations)"
        )
    assert not template_is_current()
    caplog.set_level(logging.INFO, logger="tenants.schema_template")

    tenant = _provision("tpl-behind")

    assert "migrated one migration at a time" in caplog.text
    assert "copied from the template" not in caplog.text
    reference = _provision("tpl-reference")  # migrated too: the template is still behind
    assert _catalog(tenant.schema_name) == _catalog(reference.schema_name)

    template_refresh()  # the migration step brings the template back
    assert template_is_current()


def test_two_tenants_copied_from_one_template_do_not_share_rows(alpha):
    slug = "tpl-pair"
    template_refresh()
    first = _provision(f"{slug}-one")
    second = _provision(f"{slug}-two")
    with tenant_scope(first):
        User.objects.create_user(email=f"only@{slug}-one.test", password=PASSWORD)
    with tenant_scope(second):
        assert not User.objects.filter(email=f"only@{slug}-one.test").exists()
        assert User.objects.count() == 1
