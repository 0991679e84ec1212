"""Hosts resolve to their tenant from the process's cache, and every tenant or domain change
reaches every process before its next request: a suspension bites at once in the process that
made it and within a second in another process; domain changes too; tenants stay apart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import host_api_client, host_client, token_pair
from tenants.host_cache import tenant_for_host, tenant_hosts_forget
from tenants.models import Domain
from tenants.services import tenant_resume, tenant_suspend
from tenants.tenancy import public_scope
from tests.support.celery_worker import app_process_env


def _read_tenant_rows(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "tenants_domain" in q["sql"]]


def test_a_warm_host_reads_no_tenant_row(alpha):
    client = host_client(alpha.host)
    assert client.get("/accounts/login/").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/accounts/login/").status_code == 200

    assert _read_tenant_rows(queries) == []


def test_each_host_gets_its_own_tenant_from_the_cache(alpha, beta):
    api_a, api_b = host_api_client(alpha.host), host_api_client(beta.host)
    access_a = token_pair(api_a, alpha.admin_email, alpha.admin_password)["access"]
    access_b = token_pair(api_b, beta.admin_email, beta.admin_password)["access"]

    for _ in range(2):  # cold, then warm
        me_a = api_a.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access_a}")
        me_b = api_b.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access_b}")
        # a token is refused on the other tenant's host: the schema is the host's
        crossed = api_b.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access_a}")
        assert me_a.json()["email"] == alpha.admin_email
        assert me_b.json()["email"] == beta.admin_email
        assert crossed.status_code == 401


def test_a_suspension_is_refused_on_the_next_request_of_a_warm_process(alpha):
    api = host_api_client(alpha.host)
    access = token_pair(api, alpha.admin_email, alpha.admin_password)["access"]
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200

    tenant_suspend(tenant=alpha.tenant)
    refused = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    tenant_resume(tenant=alpha.tenant)
    again = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert (refused.status_code, refused.json()["code"]) == (403, "tenant_suspended")
    assert again.status_code == 200


def test_a_domain_change_is_seen_on_the_next_request(alpha):
    client = host_client(alpha.host)
    assert client.get("/accounts/login/").status_code == 200
    new_host = f"renamed-alpha.{settings.TIKTICKETS_BASE_DOMAIN}"

    with public_scope():
        domain = Domain.objects.get(domain=alpha.host)
        domain.domain = new_host
        domain.save()

    old = client.get("/accounts/login/", HTTP_ACCEPT="application/json")
    new = host_client(new_host).get("/accounts/login/")
    assert (old.status_code, old.json()["code"]) == (404, "tenant_not_found")
    assert new.status_code == 200


def test_each_request_gets_a_fresh_tenant_instance(alpha):
    with public_scope():
        first = tenant_for_host(alpha.host)
        assert first is not None
        original = dict(first.settings or {})
        first.name = "changed by one request"
        first.settings = original
        original["changed by one request"] = True
        second = tenant_for_host(alpha.host)

    assert second is not None
    assert second is not first
    assert second.name == alpha.tenant.name
    assert "changed by one request" not in (second.settings or {})


def test_without_redis_hosts_are_read_from_the_database(alpha, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    from core import redis as core_redis

    core_redis._client.cache_clear()
    tenant_hosts_forget()
    try:
        with public_scope(), CaptureQueriesContext(connection) as queries:
            found = [tenant_for_host(alpha.host) for _ in range(2)]
    finally:
        core_redis._client.cache_clear()

    assert [t.pk for t in found if t] == [alpha.tenant.pk, alpha.tenant.pk]
    assert len(_read_tenant_rows(queries)) == 2


# ----------------------------------------------------------------- other processes

_APP_PROCESS = """
import sys
import django

django.setup()
from django.test import Client

from tenants.models import Domain, Tenant
from tenants.services import tenant_resume, tenant_suspend
from tenants.tenancy import public_scope

# An app process driven line by line: "get <host>" answers the status of a request to that
# host; the other commands change tenants and domains (committed) and answer "ok".
for line in sys.stdin:
    command, *args = line.split()
    if command == "get":
        print(Client(HTTP_HOST=args[0]).get("/accounts/login/").status_code, flush=True)
        continue
    with public_scope():
        if command == "suspend":
            tenant_suspend(tenant=Tenant.objects.get(schema_name=args[0]))
        elif command == "resume":
            tenant_resume(tenant=Tenant.objects.get(schema_name=args[0]))
        elif command == "add_domain":
            # not primary: a primary domain would take that role from the tenant's own domain
            Domain.objects.create(
                domain=args[0], tenant=Tenant.objects.get(schema_name=args[1]), is_primary=False
            )
        elif command == "delete_domain":
            Domain.objects.filter(domain=args[0]).delete()
    print("ok", flush=True)
"""


class AppProcess:
    """Another app process (its own host cache), driven one command at a time."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def ask(self, *words: str) -> str:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(" ".join(words) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def status(self, host: str) -> int:
        return int(self.ask("get", host))


@pytest.fixture
def two_processes(tenants_provisioned) -> Iterator[tuple[AppProcess, AppProcess]]:
    started = [
        subprocess.Popen(  # noqa: S603  (our own interpreter)
            [sys.executable, "-c", _APP_PROCESS],
            cwd=settings.BASE_DIR,
            env=app_process_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        yield AppProcess(started[0]), AppProcess(started[1])
    finally:
        for process in started:
            assert process.stdin is not None
            process.stdin.close()
            process.wait(timeout=20)


# The changes are committed by process A; this test process only needs the test database.
@pytest.mark.django_db
def test_a_suspension_bites_at_once_in_its_process_and_in_another(
    tenants_provisioned, two_processes
):
    alpha = tenants_provisioned["alpha"]
    a, b = two_processes
    schema = alpha.tenant.schema_name
    warm = [a.status(alpha.host), b.status(alpha.host), a.status(alpha.host), b.status(alpha.host)]
    try:
        assert a.ask("suspend", schema) == "ok"
        # the next request of each process is refused: the generation is read on every request
        refused = [a.status(alpha.host), b.status(alpha.host)]
    finally:
        assert a.ask("resume", schema) == "ok"
    resumed = [a.status(alpha.host), b.status(alpha.host)]

    assert warm == [200, 200, 200, 200]
    assert refused == [403, 403]
    assert resumed == [200, 200]


@pytest.mark.django_db
def test_another_process_sees_a_domain_added_and_removed(tenants_provisioned, two_processes):
    alpha = tenants_provisioned["alpha"]
    a, b = two_processes
    extra = f"extra-alpha.{settings.TIKTICKETS_BASE_DOMAIN}"
    unknown = b.status(extra)  # unknown hosts are not remembered
    try:
        assert a.ask("add_domain", extra, alpha.tenant.schema_name) == "ok"
        added = [b.status(extra), b.status(extra)]
        assert a.ask("delete_domain", extra) == "ok"
        removed = b.status(extra)
    finally:
        a.ask("delete_domain", extra)

    assert unknown == 404
    assert added == [200, 200]
    assert removed == 404
    assert b.status(alpha.host) == 200
