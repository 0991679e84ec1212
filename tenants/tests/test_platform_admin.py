"""The platform admin on the base host: super admins create and suspend tenants; nobody else."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from conftest import host_client, platform_staff_create, sign_in_with_code
from tenants.models import Domain, Tenant
from tenants.tenancy import public_scope, tenant_scope

PLATFORM_HOST = "localhost"
ROOT_EMAIL = "root@platform.test"
ROOT_PASSWORD = "Granite-Falcon-77"


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


@pytest.fixture
def platform_root_and_totp(alpha):
    return platform_staff_create(ROOT_EMAIL, ROOT_PASSWORD)


@pytest.fixture
def platform_root(platform_root_and_totp) -> User:
    return platform_root_and_totp[0]


def _admin_sign_in(client, email: str, password: str):
    """The admin's own login sends to the sign-in page, which is posted to."""
    login = client.get("/admin/login/?next=/admin/")
    assert login.status_code == 302
    return client.post(login["Location"], {"email": email, "password": password, "next": "/admin/"})


@pytest.fixture
def platform_client(platform_root_and_totp):
    client = host_client(PLATFORM_HOST)
    response = sign_in_with_code(
        client,
        "/platform/login/",
        ROOT_EMAIL,
        ROOT_PASSWORD,
        platform_root_and_totp[1].now(),
        next="/admin/",
    )
    assert response.status_code == 302, response.content
    assert response["Location"] == "/admin/"
    return client


def _tenant_form(**overrides) -> dict[str, str]:
    data = {
        "name": "Admin Made",
        "slug": "adminmade",
        "admin_email": "first@adminmade.test",
        "admin_name": "Ada Admin",
        "admin_password": "Velvet-Harbor-64",
        "time_zone": "America/Recife",
        "language": "pt-br",
        "max_users": "5",
        "max_channels": "2",
    }
    data.update(overrides)
    return data


def test_a_platform_superuser_signs_in_and_sees_the_tenants(platform_client, alpha, beta):
    response = platform_client.get("/admin/tenants/tenant/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "alpha" in content
    assert "beta" in content


def test_an_anonymous_visitor_is_sent_to_the_platform_admin_sign_in(alpha):
    response = host_client(PLATFORM_HOST).get("/admin/tenants/tenant/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_add_form_provisions_a_tenant(platform_client):
    # when: the super admin fills in the add form
    response = platform_client.post("/admin/tenants/tenant/add/", _tenant_form())

    # then: the tenant, its schema, domain and first admin exist
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _schema_exists("adminmade")
    with public_scope():
        tenant = Tenant.objects.get(schema_name="adminmade")
        domain = Domain.objects.get(tenant=tenant)
    assert (tenant.name, tenant.time_zone, tenant.max_users, tenant.max_channels) == (
        "Admin Made",
        "America/Recife",
        5,
        2,
    )
    assert (domain.domain, domain.is_primary) == ("adminmade.localhost", True)
    with tenant_scope(tenant):
        admin = User.objects.get()
    assert (admin.email, admin.name, admin.role) == ("first@adminmade.test", "Ada Admin", "admin")

    # and its first admin can sign in on the new host
    response = host_client("adminmade.localhost").post(
        "/accounts/login/", {"email": "first@adminmade.test", "password": "Velvet-Harbor-64"}
    )
    assert response.status_code == 302


def test_a_bad_slug_in_the_add_form_shows_the_error_and_creates_nothing(platform_client):
    with public_scope():
        tenants_before = Tenant.objects.count()
        domains_before = Domain.objects.count()

    response = platform_client.post("/admin/tenants/tenant/add/", _tenant_form(slug="1abc"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["slug"]
    assert 'class="errorlist' in response.content.decode()
    assert not _schema_exists("1abc")
    with public_scope():
        assert Tenant.objects.count() == tenants_before
        assert Domain.objects.count() == domains_before


def test_a_weak_first_admin_password_in_the_add_form_lands_on_its_field(platform_client):
    response = platform_client.post(
        "/admin/tenants/tenant/add/", _tenant_form(admin_password="12345678")
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["admin_password"]
    assert not _schema_exists("adminmade")
    with public_scope():
        assert not Tenant.objects.filter(schema_name="adminmade").exists()


def test_the_suspend_action_suspends_the_selected_tenants(
    platform_client, alpha, beta, client_alpha
):
    response = platform_client.post(
        "/admin/tenants/tenant/",
        {"action": "suspend_tenants", "_selected_action": [str(alpha.tenant.pk)], "index": "0"},
    )

    assert response.status_code == 302
    with public_scope():
        assert Tenant.objects.get(pk=alpha.tenant.pk).status == Tenant.Status.SUSPENDED
        assert Tenant.objects.get(pk=beta.tenant.pk).status == Tenant.Status.ACTIVE
    assert client_alpha.get("/accounts/login/").status_code == 403


def test_the_resume_action_lifts_a_suspension(platform_client, alpha, client_alpha):
    platform_client.post(
        "/admin/tenants/tenant/",
        {"action": "suspend_tenants", "_selected_action": [str(alpha.tenant.pk)], "index": "0"},
    )
    assert client_alpha.get("/accounts/login/").status_code == 403

    response = platform_client.post(
        "/admin/tenants/tenant/",
        {"action": "resume_tenants", "_selected_action": [str(alpha.tenant.pk)], "index": "0"},
    )

    assert response.status_code == 302
    assert client_alpha.get("/accounts/login/").status_code == 200


def test_a_tenant_admin_cannot_sign_in_to_the_platform_admin(platform_root, alpha):
    client = host_client(PLATFORM_HOST)

    response = _admin_sign_in(client, alpha.admin_email, alpha.admin_password)

    assert response.status_code == 400  # the form again, with an error
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_a_platform_user_who_is_not_a_superuser_is_refused(alpha):
    with public_scope():
        User.objects.create_user(email="clerk@platform.test", password=ROOT_PASSWORD, name="Clerk")
    client = host_client(PLATFORM_HOST)

    response = _admin_sign_in(client, "clerk@platform.test", ROOT_PASSWORD)

    assert response.status_code == 302  # signed in, but the platform admin is not theirs
    assert client.get("/admin/tenants/tenant/").status_code == 302


def test_platform_credentials_do_not_open_a_tenant_admin(platform_root, client_alpha):
    response = _admin_sign_in(client_alpha, ROOT_EMAIL, ROOT_PASSWORD)

    assert response.status_code == 400
    assert response.context["form"].errors
    assert client_alpha.get("/admin/").status_code == 302


def test_the_admin_on_a_tenant_host_is_the_tenants_own_admin(alpha, client_alpha):
    # given: alpha's own admin signed in to /admin/ on alpha's host
    response = _admin_sign_in(client_alpha, alpha.admin_email, alpha.admin_password)
    assert response.status_code == 302

    # then: it manages alpha's users, but tenants and domains are not reachable there
    assert client_alpha.get("/admin/accounts/user/").status_code == 200
    assert client_alpha.get("/admin/tenants/tenant/").status_code == 404
    assert client_alpha.get("/admin/tenants/tenant/add/").status_code == 404
    assert client_alpha.get("/admin/tenants/domain/").status_code == 404
    index = client_alpha.get("/admin/").content.decode()
    assert "/admin/tenants/" not in index
    assert "/admin/accounts/user/" in index
