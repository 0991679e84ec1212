"""API keys: created by admins (secret shown once, stored hashed), authenticate the API by
``Authorization: Bearer`` or ``X-Api-Key``, refused at once when revoked or expired, outside
their IP allow-list, on another tenant's host, on the dashboard and on key management."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_api_client, sign_in_api
from integrations.models import ApiKey
from integrations.services.api_keys import secret_hash
from integrations.tests.factories import api_key_make
from tenants.tenancy import tenant_scope

KEYS = "/api/v1/api-keys/"
CONTACTS = "/api/v1/contacts/"


@pytest.fixture
def admin_api(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    return sign_in_api(api_alpha, admin.email)


def _key_client(fixture, secret, header="bearer", **extra):
    api = host_api_client(fixture.host)
    if header == "bearer":
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", **extra)
    else:
        api.credentials(HTTP_X_API_KEY=secret, **extra)
    return api


def test_an_admin_creates_a_key_whose_secret_is_shown_once_and_stored_hashed(alpha, admin_api):
    created = admin_api.post(
        KEYS,
        {"name": "Loja Virtual", "scopes": ["send:write", "contacts:read"]},
        format="json",
    )
    listed = admin_api.get(KEYS)

    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("tt_")
    assert len(secret) > 40
    assert body["prefix"] == secret[:11]
    assert body["scopes"] == ["send:write", "contacts:read"]
    assert secret not in listed.content.decode()
    assert listed.json()[0]["prefix"] == secret[:11]
    with tenant_scope(alpha.tenant):
        stored = ApiKey.objects.get(public_id=body["id"])
        assert stored.secret_hash == secret_hash(secret)
        assert secret not in str(ApiKey.objects.values().get(pk=stored.pk))


def test_bad_input_is_refused_with_the_field_and_nothing_is_stored(alpha, admin_api):
    response = admin_api.post(
        KEYS, {"name": "", "scopes": ["everything:write"], "allowed_ips": ["nope"]}, format="json"
    )
    past = admin_api.post(
        KEYS,
        {"name": "Old", "scopes": ["send:write"], "expires_at": "2001-01-01T00:00:00Z"},
        format="json",
    )
    bad_ip = admin_api.post(
        KEYS,
        {"name": "Net", "scopes": ["send:write"], "allowed_ips": ["10.0.0.300"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert set(response.json()["extra"]["fields"]) >= {"name", "scopes"}
    assert past.status_code == 400
    assert "expires_at" in past.json()["extra"]["fields"]
    assert bad_ip.status_code == 400
    assert "allowed_ips" in bad_ip.json()["extra"]["fields"]
    with tenant_scope(alpha.tenant):
        assert not ApiKey.objects.exists()


def test_agents_may_not_manage_keys(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    api = sign_in_api(api_alpha, agent.email)

    response = api.post(KEYS, {"name": "Mine", "scopes": ["send:write"]}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"


@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_a_key_authenticates_the_api_in_either_header_and_records_its_last_use(alpha, header):
    with tenant_scope(alpha.tenant):
        key, secret = api_key_make(scopes=["contacts:read"])

    response = _key_client(alpha, secret, header, REMOTE_ADDR="203.0.113.9").get(CONTACTS)

    assert response.status_code == 200, response.content
    with tenant_scope(alpha.tenant):
        key.refresh_from_db()
    assert key.last_used_ip == "203.0.113.9"
    assert timezone.now() - key.last_used_at < timedelta(seconds=10)


def test_a_revoked_key_is_refused_on_its_very_next_request(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        key, secret = api_key_make(scopes=["contacts:read"])
    api = _key_client(alpha, secret)
    assert api.get(CONTACTS).status_code == 200

    revoked = admin_api.post(f"{KEYS}{key.public_id}/revoke/")
    refused = api.get(CONTACTS)

    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"]
    assert refused.status_code == 401
    assert refused.json()["code"] == "api_key_revoked"
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expired_key_is_refused(alpha):
    with tenant_scope(alpha.tenant):
        key, secret = api_key_make(
            scopes=["contacts:read"], expires_at=timezone.now() + timedelta(hours=1)
        )
    api = _key_client(alpha, secret)
    assert api.get(CONTACTS).status_code == 200
    with tenant_scope(alpha.tenant):
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api.get(CONTACTS)

    assert response.status_code == 401
    assert response.json()["code"] == "api_key_expired"


def test_a_key_of_an_inactive_admin_or_an_unknown_key_is_refused(alpha):
    with tenant_scope(alpha.tenant):
        owner = AdminFactory()
        _key, secret = api_key_make(scopes=["contacts:read"], by=owner)
        owner.is_active = False
        owner.save(update_fields=["is_active"])

    inactive = _key_client(alpha, secret).get(CONTACTS)
    unknown = _key_client(alpha, "tt_" + "x" * 43).get(CONTACTS)

    assert inactive.status_code == 401
    assert inactive.json()["code"] == "api_key_invalid"
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "api_key_invalid"


def test_tenant_a_key_is_refused_on_tenant_b_host(alpha, beta):
    with tenant_scope(alpha.tenant):
        _key, secret = api_key_make(scopes=["contacts:read"])

    on_alpha = _key_client(alpha, secret).get(CONTACTS)
    on_beta = _key_client(beta, secret).get(CONTACTS)

    assert on_alpha.status_code == 200
    assert on_beta.status_code == 401
    assert on_beta.json()["code"] == "api_key_invalid"


def test_the_ip_allow_list_refuses_other_addresses(alpha):
    with tenant_scope(alpha.tenant):
        _key, secret = api_key_make(scopes=["contacts:read"], allowed_ips=["198.51.100.0/24"])

    inside = _key_client(alpha, secret, REMOTE_ADDR="198.51.100.7").get(CONTACTS)
    outside = _key_client(alpha, secret, REMOTE_ADDR="203.0.113.1").get(CONTACTS)

    assert inside.status_code == 200
    assert outside.status_code == 403
    assert outside.json()["code"] == "api_key_ip_not_allowed"


def test_a_key_never_opens_the_dashboard_nor_the_platform_pages(alpha, client):
    with tenant_scope(alpha.tenant):
        _key, secret = api_key_make(scopes=["tickets:write", "contacts:write"])

    inbox = client.get("/", HTTP_HOST=alpha.host, HTTP_AUTHORIZATION=f"Bearer {secret}")
    manage = client.get("/manage/users/", HTTP_HOST=alpha.host, HTTP_X_API_KEY=secret)
    platform = client.get(
        "/platform/", HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )

    assert inbox.status_code == 302
    assert "/accounts/login/" in inbox["Location"]
    assert manage.status_code == 302
    assert "/accounts/login/" in manage["Location"]
    assert platform.status_code in (302, 404)
    assert "login" in platform.get("Location", "login")


def test_a_key_may_not_manage_keys_whatever_its_scopes(alpha):
    with tenant_scope(alpha.tenant):
        _key, secret = api_key_make(scopes=[f"{f}:write" for f in ("send", "webhooks", "agents")])

    response = _key_client(alpha, secret).post(
        KEYS, {"name": "Child", "scopes": ["send:write"]}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "api_key_not_allowed"
    with tenant_scope(alpha.tenant):
        assert ApiKey.objects.count() == 1
