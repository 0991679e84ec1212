"""The platform pages on the base domain (/platform/): super admins see every tenant with its
usage, create tenants, suspend and resume them and change their limits, all through the tenants
services; nobody else reaches them."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import host_client, platform_staff_create, sign_in, sign_in_with_code
from dashboard.platform.selectors import tenant_usage
from tenants.models import Domain, Tenant
from tenants.tenancy import public_scope, tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import ConnectionFactory, TicketFactory

PLATFORM_HOST = "localhost"
ROOT_EMAIL = "root@platform.test"
ROOT_PASSWORD = "Granite-Falcon-77"


@pytest.fixture
def platform_root_and_totp(alpha, beta):
    return platform_staff_create(ROOT_EMAIL, ROOT_PASSWORD)


@pytest.fixture
def platform_root(platform_root_and_totp) -> User:
    return platform_root_and_totp[0]


@pytest.fixture
def platform_client(platform_root):
    client = host_client(PLATFORM_HOST)
    with public_scope():
        client.force_login(platform_root)
    return client


def _stored(tenant: Tenant) -> Tenant:
    with public_scope():
        return Tenant.objects.get(pk=tenant.pk)


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


# ----------------------------------------------------------------------------- who may enter


def test_an_anonymous_visitor_is_sent_to_the_platform_sign_in(alpha):
    response = host_client(PLATFORM_HOST).get("/platform/")

    assert response.status_code == 302
    assert response["Location"] == "/platform/login/?next=/platform/"


def test_signing_in_through_the_platform_login_leads_to_the_tenants(platform_root_and_totp):
    client = host_client(PLATFORM_HOST)

    response = sign_in_with_code(
        client,
        "/platform/login/?next=/platform/",
        ROOT_EMAIL,
        ROOT_PASSWORD,
        platform_root_and_totp[1].now(),
        next="/platform/",
    )

    assert response["Location"] == "/platform/"
    assert client.get("/platform/").status_code == 200


def test_a_platform_user_who_is_not_a_superuser_is_refused(alpha):
    with public_scope():
        clerk = User.objects.create_user(email="clerk@platform.test", password=ROOT_PASSWORD)
    client = host_client(PLATFORM_HOST)
    with public_scope():
        client.force_login(clerk)

    assert client.get("/platform/").status_code == 403
    assert client.post(f"/platform/tenants/{1}/suspend/").status_code == 403


def test_tenant_users_cannot_reach_the_platform_pages_at_all(alpha, client_alpha):
    # given: alpha's first admin (a superuser of alpha's schema), signed in on alpha's host
    sign_in(client_alpha, alpha.admin_email, alpha.admin_password)

    # then: the platform pages do not exist there
    assert client_alpha.get("/platform/").status_code == 404
    assert client_alpha.post(f"/platform/tenants/{alpha.tenant.pk}/suspend/").status_code == 404
    assert _stored(alpha.tenant).is_active

    # and their credentials do not open the platform host
    platform = host_client(PLATFORM_HOST)
    platform.post(
        "/admin/login/", {"username": alpha.admin_email, "password": alpha.admin_password}
    )
    assert platform.get("/platform/").status_code == 302


def test_the_landing_page_links_to_the_tenants(alpha):
    content = host_client(PLATFORM_HOST).get("/").content.decode()

    assert 'href="/platform/"' in content


# ----------------------------------------------------------------------------- the list


@pytest.fixture
def usage(alpha, beta):
    """alpha: 3 active users (+1 inactive), 2 active connections (+1 inactive), 3 tickets this
    month (+1 from last month); beta: 1 user, 0 connections, 1 ticket this month."""
    with tenant_scope(alpha.tenant):
        UserFactory(), UserFactory(), UserFactory(is_active=False)
        site = ConnectionFactory()
        ConnectionFactory()
        ConnectionFactory(is_active=False)
        tickets = [TicketFactory(connection=site) for _ in range(4)]
        Ticket.objects.filter(pk=tickets[0].pk).update(
            created_at=timezone.now().replace(day=1) - timedelta(days=3)
        )
    with tenant_scope(beta.tenant):
        beta_connection = ConnectionFactory()
        TicketFactory(connection=beta_connection)
        beta_connection.is_active = False
        beta_connection.save()


def test_the_list_shows_each_tenants_usage(platform_client, alpha, beta, usage):
    response = platform_client.get("/platform/")

    assert response.status_code == 200
    rows = {row.tenant.schema_name: row.usage for row in response.context["rows"]}
    assert "public" not in rows
    assert (
        rows["alpha"].active_users,
        rows["alpha"].active_connections,
        rows["alpha"].tickets_this_month,
    ) == (3, 2, 3)
    assert (
        rows["beta"].active_users,
        rows["beta"].active_connections,
        rows["beta"].tickets_this_month,
    ) == (1, 0, 1)
    content = response.content.decode()
    assert f"3 / {alpha.tenant.max_users}" in content
    assert 'data-testid="platform-tenant-row"' in content


def test_tickets_this_month_count_from_the_tenants_local_month(alpha):
    # given: a tenant far east of UTC and a ticket created just after its local midnight of
    # the 1st, which is still the previous month in UTC
    with public_scope():
        Tenant.objects.filter(pk=alpha.tenant.pk).update(time_zone="Pacific/Kiritimati")
        tenant = Tenant.objects.get(pk=alpha.tenant.pk)
    local_now = timezone.now().astimezone(zoneinfo.ZoneInfo("Pacific/Kiritimati"))
    local_first = local_now.replace(day=1, hour=0, minute=30, second=0, microsecond=0)
    with tenant_scope(tenant):
        ticket = TicketFactory()
        Ticket.objects.filter(pk=ticket.pk).update(created_at=local_first)
        before = TicketFactory()
        Ticket.objects.filter(pk=before.pk).update(created_at=local_first - timedelta(hours=1))

    assert tenant_usage(tenant).tickets_this_month == 1


def test_the_list_costs_two_queries_per_tenant(
    platform_client, alpha, beta, django_assert_num_queries
):
    platform_client.get("/platform/")
    with public_scope():
        tenants = Tenant.objects.exclude(schema_name="public").count()

    # fixed: session and user (the host's tenant from the host cache, the public search path
    # already the connection's), the tenants and their domains; then per tenant a search-path
    # switch and one usage query
    with django_assert_num_queries(4 + 2 * tenants):
        response = platform_client.get("/platform/")

    assert response.status_code == 200


# ----------------------------------------------------------------------------- create


def _tenant_form(**overrides) -> dict[str, str]:
    data = {
        "name": "Padaria Pão Quente",
        "slug": "padaria",
        "admin_email": "dona@padaria.test",
        "admin_name": "Dona Maria",
        "admin_password": "",
        "time_zone": "America/Recife",
        "language": "pt-br",
        "max_users": "4",
        "max_channels": "1",
    }
    data.update(overrides)
    return data


def test_creating_a_tenant_provisions_it_and_shows_the_generated_password_once(
    platform_client,
):
    response = platform_client.post("/platform/tenants/new/", _tenant_form())

    assert response.status_code == 201
    provisioned = response.context["provisioned"]
    assert provisioned.password_generated
    assert provisioned.admin_password in response.content.decode()
    assert _schema_exists("padaria")
    with public_scope():
        tenant = Tenant.objects.get(schema_name="padaria")
        assert Domain.objects.get(tenant=tenant).domain == "padaria.localhost"
    assert (tenant.name, tenant.time_zone, tenant.max_users, tenant.max_channels) == (
        "Padaria Pão Quente",
        "America/Recife",
        4,
        1,
    )
    with tenant_scope(tenant):
        admin = User.objects.get()
    assert (admin.email, admin.role) == ("dona@padaria.test", "admin")
    assert admin.check_password(provisioned.admin_password)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "1abc"}, "slug"),
        ({"slug": "padaria_centro"}, "slug"),
        ({"slug": "alpha"}, "slug"),
        ({"slug": "admin"}, "slug"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"admin_password": "12345678"}, "admin_password"),
        ({"max_users": "0"}, "max_users"),
        ({"admin_email": "not-an-email"}, "admin_email"),
    ],
)
def test_a_refused_tenant_shows_the_error_next_to_its_field_and_creates_nothing(
    platform_client, overrides, field
):
    with public_scope():
        before = (Tenant.objects.count(), Domain.objects.count())

    response = platform_client.post("/platform/tenants/new/", _tenant_form(**overrides))

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert f'data-testid="platform-error-{field}"' in response.content.decode()
    with public_scope():
        assert (Tenant.objects.count(), Domain.objects.count()) == before
    assert not _schema_exists("padaria")


def test_a_created_tenants_link_keeps_the_scheme_and_port_the_platform_was_reached_on(alpha):
    """``make run`` serves on :8000: the new tenant's link must too (it also takes a hyphen)."""
    root, _ = platform_staff_create(ROOT_EMAIL, ROOT_PASSWORD)
    client = host_client("localhost:8000")
    with public_scope():
        client.force_login(root)

    response = client.post("/platform/tenants/new/", _tenant_form(slug="padaria-centro"))

    assert response.status_code == 201, response.content.decode()[:2000]
    html = response.content.decode()
    assert 'href="http://padaria-centro.localhost:8000/"' in html, html[html.find("<dl") :][:600]


# ----------------------------------------------------------------------------- suspend, resume


def test_suspending_refuses_the_tenants_users_at_once_and_resuming_lets_them_back(
    platform_client, alpha, beta, client_alpha
):
    sign_in(client_alpha, alpha.admin_email, alpha.admin_password)

    response = platform_client.post(f"/platform/tenants/{alpha.tenant.pk}/suspend/")

    assert response.status_code == 302
    assert response["Location"] == "/platform/"
    assert _stored(alpha.tenant).status == Tenant.Status.SUSPENDED
    assert _stored(beta.tenant).status == Tenant.Status.ACTIVE
    assert client_alpha.get("/accounts/login/").status_code == 403
    assert client_alpha.get("/contacts/").status_code == 403  # the open session too
    listed = platform_client.get("/platform/").content.decode()
    assert 'data-testid="platform-tenant-resume"' in listed

    platform_client.post(f"/platform/tenants/{alpha.tenant.pk}/resume/")

    assert _stored(alpha.tenant).status == Tenant.Status.ACTIVE
    assert client_alpha.get("/contacts/").status_code == 200


def test_suspending_needs_a_post_and_a_real_tenant(platform_client, alpha):
    assert platform_client.get(f"/platform/tenants/{alpha.tenant.pk}/suspend/").status_code == 405
    with public_scope():
        public = Tenant.objects.get(schema_name="public")
    assert platform_client.post(f"/platform/tenants/{public.pk}/suspend/").status_code == 404
    assert platform_client.post("/platform/tenants/999999/suspend/").status_code == 404


# ----------------------------------------------------------------------------- limits


def test_limits_are_changed_through_the_service(platform_client, alpha):
    page = platform_client.get(f"/platform/tenants/{alpha.tenant.pk}/limits/")
    assert page.status_code == 200
    assert page.context["usage"].active_users == 1

    response = platform_client.post(
        f"/platform/tenants/{alpha.tenant.pk}/limits/", {"max_users": "25", "max_channels": "7"}
    )

    assert response.status_code == 302
    stored = _stored(alpha.tenant)
    assert (stored.max_users, stored.max_channels) == (25, 7)


def test_a_limit_out_of_range_is_refused_next_to_its_field(platform_client, alpha):
    before = _stored(alpha.tenant)

    response = platform_client.post(
        f"/platform/tenants/{alpha.tenant.pk}/limits/", {"max_users": "0", "max_channels": "-1"}
    )

    assert response.status_code == 400
    assert sorted(response.context["form"].errors) == ["max_channels", "max_users"]
    stored = _stored(alpha.tenant)
    assert (stored.max_users, stored.max_channels) == (before.max_users, before.max_channels)
