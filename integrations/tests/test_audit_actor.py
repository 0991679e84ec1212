"""An action taken through an API key is recorded as that key (not as the admin who made it),
with the caller's address; through a signed-in user's token, as that user."""

from __future__ import annotations

from audit.models import AuditEntry
from conftest import host_api_client, sign_in_api
from integrations.tests.factories import api_key_make
from tenants.tenancy import tenant_scope


def _last_id(tenant) -> int:
    """Entries other tests committed in the shared tenant (live servers do) are left out."""
    with tenant_scope(tenant):
        return AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_change_through_an_api_key_is_recorded_as_the_key(alpha):
    before = _last_id(alpha.tenant)
    with tenant_scope(alpha.tenant):
        key, secret = api_key_make(scopes=("contacts:write",), name="ERP")
    api = host_api_client(alpha.host)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR="192.0.2.7")

    response = api.post("/api/v1/tags/", {"name": "Via ERP"}, format="json")

    assert response.status_code == 201, response.content
    with tenant_scope(alpha.tenant):
        entry = AuditEntry.objects.get(action="tag.created", id__gt=before)
    assert entry.actor_kind == "api_key"
    assert entry.actor_id == str(key.pk)
    assert entry.actor_label.startswith("ERP (")
    assert entry.ip == "192.0.2.7"


def test_a_change_through_a_users_token_is_recorded_as_the_user(alpha):
    before = _last_id(alpha.tenant)
    api = sign_in_api(host_api_client(alpha.host), alpha.admin_email, alpha.admin_password)

    assert api.post("/api/v1/tags/", {"name": "Via token"}, format="json").status_code == 201

    with tenant_scope(alpha.tenant):
        entry = AuditEntry.objects.get(action="tag.created", id__gt=before)
        sign_in = AuditEntry.objects.get(action="auth.sign_in", id__gt=before)
    assert entry.actor_kind == "user"
    assert entry.actor_label == alpha.admin_email
    assert sign_in.extra == {"via": "token"}
