"""Suspending a tenant refuses its dashboard, token endpoint and tokens; resuming restores them."""

from __future__ import annotations

import pytest

from conftest import host_api_client, host_client, sign_in, token_pair
from core.exceptions import FieldValidationError
from tenants.models import Tenant
from tenants.services import tenant_resume, tenant_suspend
from tenants.tenancy import public_scope


def _token(api, fixture) -> str:
    return token_pair(api, fixture.admin_email, fixture.admin_password)["access"]


def _assert_suspended_json(response) -> None:
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "tenant_suspended"
    assert set(body) == {"code", "message", "extra"}
    assert body["message"]


def test_suspension_is_recorded_with_its_time(alpha):
    tenant_suspend(tenant=alpha.tenant)

    with public_scope():
        stored = Tenant.objects.get(pk=alpha.tenant.pk)
    assert stored.status == Tenant.Status.SUSPENDED
    assert stored.suspended_at is not None
    assert not stored.is_active


def test_a_suspended_tenant_refuses_its_dashboard_with_an_html_page(alpha, client_alpha):
    assert client_alpha.get("/accounts/login/").status_code == 200

    tenant_suspend(tenant=alpha.tenant)
    response = client_alpha.get("/accounts/login/")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert b'data-code="tenant_suspended"' in response.content
    assert b'name="password"' not in response.content


def test_a_suspended_tenant_refuses_a_dashboard_sign_in(alpha, client_alpha):
    tenant_suspend(tenant=alpha.tenant)

    response = client_alpha.post(
        "/accounts/login/", {"email": alpha.admin_email, "password": alpha.admin_password}
    )

    assert response.status_code == 403
    assert b'data-code="tenant_suspended"' in response.content
    assert "sessionid" not in response.cookies


def test_a_suspended_tenant_refuses_its_token_endpoint(alpha, api_alpha):
    tenant_suspend(tenant=alpha.tenant)

    response = api_alpha.post(
        "/api/v1/auth/token/",
        {"email": alpha.admin_email, "password": alpha.admin_password},
        format="json",
    )

    _assert_suspended_json(response)
    assert "access" not in response.json()


def test_a_token_issued_before_the_suspension_is_refused_after_it(alpha, api_alpha):
    # given: a valid token that works
    access = _token(api_alpha, alpha)
    assert api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 200

    # when: the tenant is suspended
    tenant_suspend(tenant=alpha.tenant)

    # then: the same token is refused on the next call
    response = api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    _assert_suspended_json(response)
    assert alpha.admin_email not in response.content.decode()


def test_a_signed_in_dashboard_session_is_refused_after_the_suspension(alpha, client_alpha):
    sign_in(client_alpha, alpha.admin_email, alpha.admin_password)
    assert client_alpha.get("/").status_code == 200

    tenant_suspend(tenant=alpha.tenant)

    response = client_alpha.get("/")
    assert response.status_code == 403
    assert b'data-code="tenant_suspended"' in response.content


def test_a_json_client_of_a_dashboard_page_gets_the_json_error(alpha, client_alpha):
    tenant_suspend(tenant=alpha.tenant)

    response = client_alpha.get("/", HTTP_ACCEPT="application/json")

    _assert_suspended_json(response)


def test_resuming_restores_the_dashboard_the_token_endpoint_and_old_tokens(
    alpha, api_alpha, client_alpha
):
    # given: a token from before a suspension, and the suspension itself
    access = _token(api_alpha, alpha)
    tenant_suspend(tenant=alpha.tenant)
    assert api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}").status_code == 403

    # when: the tenant is resumed
    tenant_resume(tenant=alpha.tenant)

    # then: everything works again
    with public_scope():
        stored = Tenant.objects.get(pk=alpha.tenant.pk)
    assert (stored.status, stored.suspended_at) == (Tenant.Status.ACTIVE, None)
    assert client_alpha.get("/accounts/login/").status_code == 200
    assert _token(api_alpha, alpha)
    me = api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 200
    assert me.json()["email"] == alpha.admin_email


def test_the_other_tenant_is_unaffected(alpha, beta, api_beta, client_beta):
    beta_access = _token(api_beta, beta)

    tenant_suspend(tenant=alpha.tenant)

    assert client_beta.get("/accounts/login/").status_code == 200
    assert _token(api_beta, beta)
    me = api_beta.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {beta_access}")
    assert me.status_code == 200
    assert me.json()["tenant"]["slug"] == "beta"
    with public_scope():
        assert Tenant.objects.get(pk=beta.tenant.pk).status == Tenant.Status.ACTIVE


def test_the_platform_itself_cannot_be_suspended(alpha):
    with public_scope():
        public = Tenant.objects.get(schema_name="public")

    with pytest.raises(FieldValidationError) as excinfo:
        tenant_suspend(tenant=public)

    assert "status" in excinfo.value.extra["fields"]
    with public_scope():
        assert Tenant.objects.get(schema_name="public").status == Tenant.Status.ACTIVE


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/auth/token/"])
def test_an_unknown_host_gets_tenant_not_found_on_the_api(alpha, path):
    response = host_api_client("nobody.localhost").get(path)

    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "tenant_not_found"
    assert set(body) == {"code", "message", "extra"}


def test_an_unknown_host_gets_an_html_not_found_page_on_the_dashboard(alpha):
    response = host_client("nobody.localhost").get("/accounts/login/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b'data-code="tenant_not_found"' in response.content
