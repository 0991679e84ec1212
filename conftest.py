"""Shared fixtures: two real tenants (alpha, beta) in real PostgreSQL schemas, clients bound to
their hosts, and a clean Redis test database for every test; plus the one way tests sign in: a
dashboard session (``sign_in``, ``signed_in_client``) or an API token (``token_pair``,
``sign_in_api``), both obtained through the real sign-in form and token endpoint.

The tenants are provisioned once per test session through the same service production uses,
outside any test transaction (DDL once); each test then runs in a transaction that is rolled back.
Both tenants' first admins get primary key 1 in their own schema, which is exactly the situation
in which an unscoped token or session would leak across tenants.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD, two_factor_enrol
from channels_integrations.services.webhook_routes import webhook_routes_forget
from tenants.host_cache import tenant_hosts_forget
from tenants.models import Domain, Tenant
from tenants.services import tenant_provision
from tenants.tenancy import public_scope
from tests.support.media_storage import BACKENDS, ObjectStore, object_store_running

ADMIN_PASSWORD = "Correct-Horse-42"


@dataclass(frozen=True)
class TenantFixture:
    """A provisioned tenant with its host and first admin's credentials."""

    tenant: Tenant
    host: str
    admin_email: str
    admin_password: str = ADMIN_PASSWORD


def _ensure_public() -> None:
    with public_scope():
        public, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"name": "Platform"}
        )
        Domain.objects.get_or_create(
            domain=settings.TIKTICKETS_BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )


def _ensure_tenant(slug: str) -> TenantFixture:
    email = f"admin@{slug}.test"
    with public_scope():
        tenant = Tenant.objects.filter(schema_name=slug).first()
    if tenant is None:
        tenant = tenant_provision(
            name=slug.title(),
            slug=slug,
            admin_email=email,
            admin_password=ADMIN_PASSWORD,
            admin_name=f"{slug.title()} Admin",
        ).tenant
    return TenantFixture(
        tenant=tenant, host=f"{slug}.{settings.TIKTICKETS_BASE_DOMAIN}", admin_email=email
    )


@pytest.fixture(scope="session")
def tenants_provisioned(django_db_setup, django_db_blocker) -> dict[str, TenantFixture]:
    with django_db_blocker.unblock():
        _ensure_public()
        return {slug: _ensure_tenant(slug) for slug in ("alpha", "beta")}


@pytest.fixture
def alpha(tenants_provisioned, db) -> TenantFixture:
    fixture = tenants_provisioned["alpha"]
    fixture.tenant.refresh_from_db()
    return fixture


@pytest.fixture
def beta(tenants_provisioned, db) -> TenantFixture:
    fixture = tenants_provisioned["beta"]
    fixture.tenant.refresh_from_db()
    return fixture


def _clear_test_cache() -> None:
    """Delete this suite's cache keys (``<schema>:<KEY_PREFIX>:…``) and nothing else: the same
    Redis database also holds the broker's queues and results, which a flush would destroy."""
    client = cache._cache.get_client(write=True)
    pattern = f"*:{settings.CACHES['default']['KEY_PREFIX']}:*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _public_schema_and_clean_redis() -> Iterator[None]:
    """Every test starts in the public schema with an empty Redis test database."""
    if hasattr(connection, "set_schema_to_public"):
        connection.set_schema_to_public()
    _clear_test_cache()
    # Tests change tenants with update() and roll back: no host cache entry outlives a test,
    # nor a webhook route (its connection rolled back with the test).
    tenant_hosts_forget()
    webhook_routes_forget()
    yield
    if hasattr(connection, "set_schema_to_public"):
        connection.set_schema_to_public()


def host_client(host: str) -> Client:
    return Client(HTTP_HOST=host)


def sign_in(client: Client, email: str, password: str = PASSWORD) -> Client:
    """Sign ``client`` in through the dashboard's sign-in form, as a person would (lockout,
    tenant check and session included); returns the client. The password defaults to the one
    every factory-made user has; a tenant's first admin signs in with ``admin_password``."""
    response = client.post("/accounts/login/", {"email": email, "password": password})
    assert response.status_code == 302, response.content
    return client


def platform_staff_create(email: str, password: str, name: str = "Root") -> tuple[User, Any]:
    """A platform superuser (public schema) with the two-factor sign-in platform staff always
    need; returns it with its authenticator (a ``pyotp.TOTP``)."""
    with public_scope():
        user = User.objects.create_superuser(email=email, password=password, name=name)
        totp, _ = two_factor_enrol(user)
    return user, totp


def sign_in_with_code(
    client: Client, login_url: str, email: str, password: str, code: str, **data: str
) -> Any:
    """Both steps of a two-factor sign-in; returns the answer of the code step."""
    step = client.post(login_url, {"email": email, "password": password, **data})
    assert step.status_code == 302, step
    assert "code" in step["Location"], step
    return client.post(step["Location"], {"code": code})


def signed_in_client(fixture: TenantFixture, user: Any, password: str = PASSWORD) -> Client:
    """A browser-like client on the fixture's host with ``user`` signed in (``sign_in``)."""
    return sign_in(host_client(fixture.host), user.email, password)


def host_api_client(host: str) -> APIClient:
    client = APIClient()
    client.defaults["HTTP_HOST"] = host
    return client


def token_pair(api: APIClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """The access and refresh tokens the API's own token endpoint issues for these credentials
    on ``api``'s host (the password defaults as in ``sign_in``)."""
    response = api.post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def sign_in_api(api: APIClient, email: str, password: str = PASSWORD) -> APIClient:
    """Authenticate every later request of ``api`` with an access token from ``token_pair``;
    returns the client."""
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(api, email, password)['access']}")
    return api


@pytest.fixture
def client_alpha(alpha) -> Client:
    return host_client(alpha.host)


@pytest.fixture
def client_beta(beta) -> Client:
    return host_client(beta.host)


@pytest.fixture
def api_alpha(alpha) -> APIClient:
    return host_api_client(alpha.host)


@pytest.fixture
def api_beta(beta) -> APIClient:
    return host_api_client(beta.host)


@pytest.fixture(scope="session")
def object_store() -> Iterator[ObjectStore]:
    """A real S3-compatible server (moto's server mode) on loopback, for the whole session."""
    with object_store_running() as store:
        yield store


@pytest.fixture(params=BACKENDS)
def media_backend(request, settings, tmp_path) -> str:
    """Run the test once with tenants' files on the local disk and once in a private bucket of a
    real S3-compatible server (a bucket of its own); returns the backend's name."""
    settings.MEDIA_ROOT = tmp_path
    if request.param == "s3":
        store: ObjectStore = request.getfixturevalue("object_store")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": store.storage_settings(store.bucket_create()),
        }
    return str(request.param)
