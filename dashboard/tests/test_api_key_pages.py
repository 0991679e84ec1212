"""/manage/api-keys/: admins create keys (the secret appears once), revoke them after a
confirmation; agents and other tenants see nothing."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from integrations.models import ApiKey
from integrations.tests.factories import api_key_make
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory

URL = "/manage/api-keys/"


@pytest.fixture
def admin(alpha):
    with tenant_scope(alpha.tenant):
        return AdminFactory()


def test_an_admin_creates_a_send_only_key_and_sees_its_secret_once(alpha, admin):
    with tenant_scope(alpha.tenant):
        shop = ConnectionFactory(name="WhatsApp Loja")
    client = signed_in_client(alpha, admin)

    created = client.post(
        URL,
        {
            "name": "Loja Virtual",
            "preset": "send",
            "connection": str(shop.public_id),
            "allowed_ips": "203.0.113.0/24\n",
        },
    )
    listed = client.get(URL)

    assert created.status_code == 200
    secret = created.context["secret"]
    assert secret.startswith("tt_")
    assert secret in created.content.decode()
    assert secret not in listed.content.decode()
    assert secret[:11] in listed.content.decode()
    with tenant_scope(alpha.tenant):
        key = ApiKey.objects.get()
        assert (key.name, key.scopes, key.connection_id) == (
            "Loja Virtual",
            ["send:write"],
            shop.pk,
        )
        assert key.allowed_ips == ["203.0.113.0/24"]


def test_custom_scopes_come_from_the_per_resource_choices(alpha, admin):
    client = signed_in_client(alpha, admin)

    client.post(
        URL,
        {"name": "CRM", "preset": "custom", "scope_contacts": "write", "scope_tickets": "read"},
    )

    with tenant_scope(alpha.tenant):
        assert ApiKey.objects.get().scopes == ["tickets:read", "contacts:write"]


def test_a_refused_key_shows_the_error_next_to_the_field_and_stores_nothing(alpha, admin):
    client = signed_in_client(alpha, admin)

    response = client.post(URL, {"name": "CRM", "preset": "custom"})
    bad_ip = client.post(URL, {"name": "CRM", "preset": "send", "allowed_ips": "nope"})

    assert response.status_code == 400
    assert (
        "Choose at least one scope." in response.content.decode() or response.context["form"].errors
    )
    assert bad_ip.status_code == 400
    assert bad_ip.context["form"].errors["allowed_ips"]
    with tenant_scope(alpha.tenant):
        assert not ApiKey.objects.exists()


def test_revoking_asks_first_then_refuses_the_key(alpha, admin):
    with tenant_scope(alpha.tenant):
        key, _secret = api_key_make(by=admin)
    client = signed_in_client(alpha, admin)
    url = f"{URL}{key.public_id}/revoke/"

    asked = client.get(url)
    with tenant_scope(alpha.tenant):
        key.refresh_from_db()
        assert key.revoked_at is None
    done = client.post(url)

    assert asked.status_code == 200
    assert b"api-key-revoke-form" in asked.content
    assert done.status_code == 302
    with tenant_scope(alpha.tenant):
        key.refresh_from_db()
        assert key.revoked_at is not None
        assert key.revoked_by == admin


def test_agents_are_refused_and_other_tenants_keys_are_not_reachable(alpha, beta, admin):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        key, _secret = api_key_make(by=admin, name="Alpha only")
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()

    assert signed_in_client(alpha, agent).get(URL).status_code == 403
    beta_client = signed_in_client(beta, beta_admin)
    assert "Alpha only" not in beta_client.get(URL).content.decode()
    assert beta_client.post(f"{URL}{key.public_id}/revoke/").status_code == 404


def test_the_key_list_takes_a_fixed_number_of_queries(alpha, admin, django_assert_num_queries):
    with tenant_scope(alpha.tenant):
        for n in range(5):
            api_key_make(by=admin, name=f"Key {n}", connection=ConnectionFactory())
    client = signed_in_client(alpha, admin)

    # Session, user, the connections of the form, the keys with their relations (the search
    # path is already the tenant's).
    with django_assert_num_queries(4):
        response = client.get(URL)

    assert response.content.decode().count('data-testid="api-key-row"') == 5
