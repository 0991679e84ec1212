"""The audit log pages: a tenant's admins read their own log at /manage/audit/ (filters, search,
keyset pages, before/after, CSV export that is itself recorded), platform staff the platform's
at /platform/audit/; nobody else reads either, and tenants never see each other's entries."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AdminFactory, UserFactory
from audit.models import AuditEntry
from audit.selectors import AuditFilters, audit_page_query
from audit.services import audit_record, changes_diff
from conftest import host_client, platform_staff_create, signed_in_client
from tenants.tenancy import public_scope, tenant_scope

PLATFORM_HOST = "localhost"
# Session, user, and the page of entries (one query whatever their number); the tenant from the
# host cache, its search path already the connection's.
QUERIES = 3


@pytest.fixture
def admin_alpha(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory(email="boss@alpha.test")
    return admin


@pytest.fixture
def admin_client(alpha, admin_alpha):
    with tenant_scope(alpha.tenant):
        return signed_in_client(alpha, admin_alpha)


def _entry(action: str, *, at: datetime | None = None, **fields) -> AuditEntry:
    entry = audit_record(action, **fields)
    if at is not None:
        # Backdating is a test-only rewrite: through a raw delete+insert the guard would refuse,
        # so the row is created with its time instead.
        data = {f.attname: getattr(entry, f.attname) for f in AuditEntry._meta.concrete_fields}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL tiktickets.audit_retention = 'on'")
            AuditEntry.objects.filter(pk=entry.pk).delete()
        data.update(created_at=at)
        entry = AuditEntry.objects.create(**data)
    return entry


def test_an_admin_reads_the_tenants_log_with_before_and_after(alpha, beta, admin_client):
    with tenant_scope(alpha.tenant):
        _entry(
            "queue.updated",
            changes=changes_diff({"name": "Vendas"}, {"name": "Sales"}),
            extra={"queue": "q-1"},
        )
    with tenant_scope(beta.tenant):
        _entry("tag.created", extra={"name": "beta-secret-tag"})

    page = admin_client.get("/manage/audit/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-action="queue.updated"' in html
    assert "Vendas" in html
    assert "Sales" in html
    assert "beta-secret-tag" not in html
    # The admin's own sign-in (through the real form) is on the page too, with its address.
    assert 'data-action="auth.sign_in"' in html


def test_agents_and_anonymous_visitors_are_kept_out(alpha):
    with tenant_scope(alpha.tenant):
        agent = signed_in_client(alpha, UserFactory())
    assert agent.get("/manage/audit/").status_code == 403
    assert agent.get("/manage/audit/export.csv").status_code == 403
    assert host_client(alpha.host).get("/manage/audit/").status_code == 302


def test_filters_by_action_and_by_days_in_the_tenants_time_zone(alpha, admin_client):
    zone = ZoneInfo(alpha.tenant.time_zone)
    with tenant_scope(alpha.tenant):
        # 23:30 on 1 March in the tenant's zone is already 2 March in UTC.
        late = _entry("tag.deleted", at=datetime(2026, 3, 1, 23, 30, tzinfo=zone))
        _entry("tag.deleted", at=datetime(2026, 3, 2, 0, 30, tzinfo=zone))
        _entry("queue.deleted", at=datetime(2026, 3, 1, 12, 0, tzinfo=zone))

    page = admin_client.get(
        "/manage/audit/", {"action": "tag.deleted", "start": "2026-03-01", "end": "2026-03-01"}
    )

    rows = page.content.decode().count('data-testid="audit-row"')
    assert page.status_code == 200
    assert rows == 1
    assert f"{late.created_at.astimezone(zone):%d/%m/%Y %H:%M}" in page.content.decode()


def test_search_finds_an_entry_by_its_objects_label(alpha, admin_client):
    with tenant_scope(alpha.tenant):
        _entry("tag.deleted", extra={"n": 1})
        AuditEntry.objects.create(action="tag.deleted", actor_kind="system", object_label="Ouro")
    page = admin_client.get("/manage/audit/", {"q": "ouro"})
    assert page.content.decode().count('data-testid="audit-row"') == 1


def test_bad_filters_and_a_forged_cursor_are_a_400(alpha, admin_client):
    assert admin_client.get("/manage/audit/", {"start": "yesterday"}).status_code == 400
    assert (
        admin_client.get("/manage/audit/", {"start": "2026-03-02", "end": "2026-03-01"}).status_code
        == 400
    )
    assert admin_client.get("/manage/audit/", {"after": "not-a-cursor"}).status_code == 400
    export = admin_client.get("/manage/audit/export.csv", {"start": "nope"})
    assert export.status_code == 400
    assert export.json()["code"] == "validation_error"


def test_keyset_pages_walk_every_entry_once_with_a_fixed_number_of_queries(alpha, admin_client):
    with tenant_scope(alpha.tenant):
        AuditEntry.objects.bulk_create(
            AuditEntry(action="tag.created", actor_kind="system", object_id=str(n))
            for n in range(70)
        )
        total = AuditEntry.objects.count()
    seen: list[str] = []
    url, query = "/manage/audit/", {}
    while True:
        with CaptureQueriesContext(connection) as queries:
            page = admin_client.get(url, query)
        assert page.status_code == 200
        assert len(queries) == QUERIES, [q["sql"] for q in queries]
        seen += page.context["rows"] and [str(r["entry"].pk) for r in page.context["rows"]]
        if not page.context["next_cursor"]:
            break
        query = {"after": page.context["next_cursor"]}
    assert len(seen) == total
    assert len(set(seen)) == total


def test_the_index_serves_the_keyset_query(alpha):
    with tenant_scope(alpha.tenant):
        entry = audit_record("tag.created")
        query = audit_page_query(AuditFilters(), after=f"{entry.created_at.isoformat()}~{entry.pk}")
        with transaction.atomic(), connection.cursor() as cursor:
            # A test table is tiny: sequential and bitmap scans are turned off so the plan shows
            # what serves the query once the log is large.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            plan = query[:51].explain()
    assert "audit_entry_recent" in plan
    assert "Sort" not in plan


def test_the_csv_export_holds_the_filtered_entries_and_is_itself_recorded(alpha, admin_client):
    with tenant_scope(alpha.tenant):
        _entry(
            "webhook.updated",
            changes=changes_diff({"auth_header": "Bearer a"}, {"auth_header": "Bearer b"}),
        )
        _entry("tag.deleted")

    response = admin_client.get("/manage/audit/export.csv", {"action": "webhook.updated"})

    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["action"] for row in rows] == ["webhook.updated"]
    assert "Bearer" not in body
    with tenant_scope(alpha.tenant):
        exported = AuditEntry.objects.get(action="audit.exported")
    assert exported.actor_label == "boss@alpha.test"
    assert exported.extra["filters"] == {"action": "webhook.updated"}


def test_platform_staff_read_the_public_log_only(alpha):
    root, _totp = platform_staff_create("root@platform.test", "Granite-Falcon-77")
    with public_scope():
        _entry("tenant.suspended", extra={"name": "platform-entry"})
    with tenant_scope(alpha.tenant):
        _entry("tag.created", extra={"name": "alpha-entry"})
    client = host_client(PLATFORM_HOST)
    with public_scope():
        client.force_login(root)

    page = client.get("/platform/audit/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "platform-entry" in html
    assert "alpha-entry" not in html
    export = client.get("/platform/audit/export.csv")
    assert export.status_code == 200
    assert "platform-entry" in b"".join(export.streaming_content).decode("utf-8-sig")
    with public_scope():
        recorded = AuditEntry.objects.get(action="audit.exported")
    assert recorded.actor_kind == "platform_staff"


def test_the_platform_log_does_not_exist_on_a_tenant_host(alpha, admin_client):
    assert admin_client.get("/platform/audit/").status_code == 404


def test_a_dashboard_sign_in_and_sign_out_are_recorded_with_address_and_browser(alpha):
    with tenant_scope(alpha.tenant):
        user = UserFactory(email="ana@alpha.test")
    client = host_client(alpha.host)
    client.defaults.update(HTTP_USER_AGENT="Browser/9", REMOTE_ADDR="198.51.100.4")
    assert client.post("/accounts/login/", {"email": user.email, "password": "wrong"}).status_code
    with tenant_scope(alpha.tenant):
        signed_in = signed_in_client(alpha, user)
    signed_in.post("/accounts/logout/")
    with tenant_scope(alpha.tenant):
        failed = AuditEntry.objects.get(action="auth.sign_in_failed")
        sign_in = AuditEntry.objects.filter(action="auth.sign_in", actor_id=str(user.pk)).get()
        sign_out = AuditEntry.objects.get(action="auth.sign_out", actor_id=str(user.pk))
    assert failed.actor_kind == "anonymous"
    assert failed.ip == "198.51.100.4"
    assert failed.user_agent == "Browser/9"
    assert sign_in.actor_label == "ana@alpha.test"
    assert sign_out.object_id == str(user.pk)
