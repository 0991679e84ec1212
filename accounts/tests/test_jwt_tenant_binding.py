"""JWTs are bound to the tenant that issued them, although both first admins have pk 1."""

from __future__ import annotations

import pytest
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from conftest import token_pair
from tenants.tenancy import tenant_scope


def _pair(api, fixture) -> dict[str, str]:
    return token_pair(api, fixture.admin_email, fixture.admin_password)


def _assert_error_shape(body) -> None:
    assert set(body) == {"code", "message", "extra"}
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["extra"], dict)


def test_both_first_admins_share_primary_key_one(alpha, beta):
    # The premise of every test below: an unbound token would name the other tenant's admin.
    with tenant_scope(alpha.tenant):
        alpha_pk = User.objects.get(email=alpha.admin_email).pk
    with tenant_scope(beta.tenant):
        beta_pk = User.objects.get(email=beta.admin_email).pk
    assert alpha_pk == beta_pk == 1


def test_the_token_carries_the_tenant_that_issued_it(alpha, api_alpha):
    pair = _pair(api_alpha, alpha)

    assert AccessToken(pair["access"], verify=False)["tenant"] == "alpha"
    assert RefreshToken(pair["refresh"], verify=False)["tenant"] == "alpha"


def test_me_returns_the_signed_in_user_and_their_tenant(alpha, beta, api_alpha, api_beta):
    for api, fixture, slug in ((api_alpha, alpha, "alpha"), (api_beta, beta, "beta")):
        access = _pair(api, fixture)["access"]

        response = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

        assert response.status_code == 200
        body = response.json()
        assert body["id"] == 1
        assert body["email"] == fixture.admin_email
        assert body["role"] == "admin"
        assert body["tenant"] == {
            "slug": slug,
            "name": fixture.tenant.name,
            "time_zone": fixture.tenant.time_zone,
            "language": fixture.tenant.language,
        }


def test_an_access_token_from_alpha_is_refused_at_beta(alpha, beta, api_alpha, api_beta):
    access = _pair(api_alpha, alpha)["access"]

    response = api_beta.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
    body = response.json()
    _assert_error_shape(body)
    assert body["code"] == "token_wrong_tenant"
    content = response.content.decode()
    assert beta.admin_email not in content
    assert alpha.admin_email not in content


def test_an_access_token_from_beta_is_refused_at_alpha(alpha, beta, api_alpha, api_beta):
    access = _pair(api_beta, beta)["access"]

    response = api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
    assert response.json()["code"] == "token_wrong_tenant"
    assert alpha.admin_email not in response.content.decode()
    assert beta.admin_email not in response.content.decode()


def test_a_refresh_token_from_alpha_is_refused_at_beta(alpha, beta, api_alpha, api_beta):
    refresh = _pair(api_alpha, alpha)["refresh"]

    response = api_beta.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert response.status_code == 401
    body = response.json()
    _assert_error_shape(body)
    assert body["code"] == "token_wrong_tenant"
    assert "access" not in body
    # and it was not used up: alpha still accepts it
    again = api_alpha.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 200


def test_a_logout_at_beta_with_alphas_tokens_is_refused(alpha, api_alpha, api_beta):
    pair = _pair(api_alpha, alpha)

    response = api_beta.post(
        "/api/v1/auth/logout/",
        {"refresh": pair["refresh"]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {pair['access']}",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "token_wrong_tenant"


def test_a_token_without_a_tenant_claim_is_refused(alpha, api_alpha):
    # A token minted by plain SimpleJWT, as before the fix, names a user but no tenant.
    with tenant_scope(alpha.tenant):
        user = User.objects.get(email=alpha.admin_email)
        access = str(RefreshToken.for_user(user).access_token)

    response = api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
    assert response.json()["code"] == "token_wrong_tenant"


def test_no_token_is_refused_with_the_error_shape(alpha, api_alpha):
    response = api_alpha.get("/api/v1/me/")

    assert response.status_code == 401
    body = response.json()
    _assert_error_shape(body)
    assert body["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer a.b.c", "Bearer " + "x" * 300])
def test_a_garbage_token_is_refused_with_the_error_shape(alpha, api_alpha, header):
    response = api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    body = response.json()
    _assert_error_shape(body)
    assert body["code"] == "token_not_valid"
    assert alpha.admin_email not in response.content.decode()


def test_wrong_credentials_are_refused_with_the_error_shape(alpha, api_alpha):
    response = api_alpha.post(
        "/api/v1/auth/token/",
        {"email": alpha.admin_email, "password": "Not-The-Password-1"},
        format="json",
    )

    assert response.status_code == 401
    body = response.json()
    _assert_error_shape(body)
    assert body["code"] == "invalid_credentials"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_alphas_credentials_do_not_obtain_a_token_at_beta(alpha, api_beta):
    response = api_beta.post(
        "/api/v1/auth/token/",
        {"email": alpha.admin_email, "password": alpha.admin_password},
        format="json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
