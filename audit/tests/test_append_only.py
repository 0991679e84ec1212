"""The audit log is append-only in the database itself: raw UPDATE and DELETE fail in the public
schema and in a tenant's, and only the retention deletion (inside its own transaction) may
remove entries, and only old ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audit_record, audit_retention_apply
from tenants.services import tenant_settings_update
from tenants.tasks import audit_retention_task
from tenants.tenancy import public_scope, tenant_scope


def _raw(sql: str, params: list[int]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("where", ["public", "tenant"])
def test_a_raw_update_or_delete_of_an_entry_is_refused_by_the_database(alpha, where):
    scope = public_scope() if where == "public" else tenant_scope(alpha.tenant)
    with scope:
        entry = audit_record("tag.created", extra={"name": "VIP"})
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("UPDATE audit_auditentry SET action = 'x' WHERE id = %s", [entry.pk])
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).update(action="x")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).delete()
        assert AuditEntry.objects.get(pk=entry.pk).action == "tag.created"


def _aged(days: int, action: str) -> AuditEntry:
    return AuditEntry.objects.create(
        action=action, actor_kind="system", created_at=timezone.now() - timedelta(days=days)
    )


def test_retention_deletes_only_entries_older_than_its_days_and_the_guard_returns_after(alpha):
    with tenant_scope(alpha.tenant):
        old, recent = _aged(40, "old"), _aged(10, "recent")
        assert audit_retention_apply(days=30) == 1
        # (tests that commit through real workers leave recent entries of their own in alpha)
        kept = AuditEntry.objects.filter(pk__in=[old.pk, recent.pk]).values_list("pk", flat=True)
        assert list(kept) == [recent.pk]
        # The permission lived in the retention's transaction only.
        with pytest.raises(DatabaseError, match="append-only"):
            _raw("DELETE FROM audit_auditentry WHERE id = %s", [recent.pk])
        assert not AuditEntry.objects.filter(pk=old.pk).exists()


def test_the_beat_task_applies_each_tenants_retention_and_the_platforms(alpha, beta, settings):
    settings.AUDIT_PUBLIC_RETENTION_DAYS = 100
    with tenant_scope(alpha.tenant):
        tenant_settings_update(tenant=alpha.tenant, values={"audit_retention_days": 30})
        alpha_old, alpha_kept = _aged(40, "a-old"), _aged(20, "a-kept")
    with tenant_scope(beta.tenant):
        beta_kept = _aged(40, "b-kept")  # beta keeps the default 365 days
    with public_scope():
        public_old, public_kept = _aged(120, "p-old"), _aged(40, "p-kept")

    deleted = audit_retention_task.apply().get()

    assert deleted["public"] == 1
    assert deleted[alpha.tenant.schema_name] == 1
    assert deleted[beta.tenant.schema_name] == 0
    with tenant_scope(alpha.tenant):
        assert not AuditEntry.objects.filter(pk=alpha_old.pk).exists()
        assert AuditEntry.objects.filter(pk=alpha_kept.pk).exists()
    with tenant_scope(beta.tenant):
        assert AuditEntry.objects.filter(pk=beta_kept.pk).exists()
    with public_scope():
        assert not AuditEntry.objects.filter(pk=public_old.pk).exists()
        assert AuditEntry.objects.filter(pk=public_kept.pk).exists()
