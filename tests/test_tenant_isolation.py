"""Data created in one tenant is invisible from another: ORM, tenant admin and API."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.services import user_create
from conftest import sign_in, token_pair
from tenants.tenancy import public_scope, tenant_scope

SECRET_EMAIL = "only-in-alpha@example.com"
PASSWORD = "Harbor-Lilac-65"


@pytest.fixture
def alpha_agent(alpha) -> User:
    with tenant_scope(alpha.tenant):
        return user_create(email=SECRET_EMAIL, name="Alpha Only", password=PASSWORD)


def test_the_orm_in_beta_does_not_see_alphas_user(alpha, beta, alpha_agent):
    with tenant_scope(alpha.tenant):
        assert User.objects.filter(email=SECRET_EMAIL).exists()
        alpha_emails = set(User.objects.values_list("email", flat=True))
    with tenant_scope(beta.tenant):
        assert not User.objects.filter(email=SECRET_EMAIL).exists()
        assert not User.objects.filter(pk=alpha_agent.pk).exists()
        beta_emails = set(User.objects.values_list("email", flat=True))
    with public_scope():
        assert not User.objects.filter(email=SECRET_EMAIL).exists()

    assert alpha_emails == {alpha.admin_email, SECRET_EMAIL}
    assert beta_emails == {beta.admin_email}


def test_user_number_one_is_a_different_person_in_each_tenant(alpha, beta):
    with tenant_scope(alpha.tenant):
        alpha_first = User.objects.get(pk=1)
    with tenant_scope(beta.tenant):
        beta_first = User.objects.get(pk=1)

    assert alpha_first.email == alpha.admin_email
    assert beta_first.email == beta.admin_email


def test_betas_admin_does_not_see_alphas_user_in_the_tenant_admin(
    alpha, beta, alpha_agent, client_alpha, client_beta
):
    sign_in(client_beta, beta.admin_email, beta.admin_password)
    sign_in(client_alpha, alpha.admin_email, alpha.admin_password)

    beta_list = client_beta.get("/admin/accounts/user/")
    alpha_list = client_alpha.get("/admin/accounts/user/")

    assert beta_list.status_code == 200
    assert alpha_list.status_code == 200
    assert beta.admin_email in beta_list.content.decode()
    assert SECRET_EMAIL not in beta_list.content.decode()
    assert alpha.admin_email not in beta_list.content.decode()
    assert SECRET_EMAIL in alpha_list.content.decode()
    assert beta.admin_email not in alpha_list.content.decode()


def test_betas_admin_cannot_open_alphas_user_by_its_id(alpha, beta, alpha_agent, client_beta):
    sign_in(client_beta, beta.admin_email, beta.admin_password)

    response = client_beta.get(f"/admin/accounts/user/{alpha_agent.pk}/change/", follow=True)

    assert SECRET_EMAIL not in response.content.decode()


def test_betas_admin_search_does_not_find_alphas_user(alpha, beta, alpha_agent, client_beta):
    sign_in(client_beta, beta.admin_email, beta.admin_password)

    response = client_beta.get("/admin/accounts/user/", {"q": "only-in-alpha"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_alphas_user_signs_in_at_alpha_but_not_at_beta(alpha, alpha_agent, api_alpha, api_beta):
    access = token_pair(api_alpha, SECRET_EMAIL, PASSWORD)["access"]
    me = api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 200
    assert me.json()["email"] == SECRET_EMAIL
    assert me.json()["tenant"]["slug"] == "alpha"

    refused = api_beta.post(
        "/api/v1/auth/token/", {"email": SECRET_EMAIL, "password": PASSWORD}, format="json"
    )
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_credentials"


def test_alphas_user_token_does_not_reveal_anything_at_beta(
    alpha, beta, alpha_agent, api_alpha, api_beta
):
    access = token_pair(api_alpha, SECRET_EMAIL, PASSWORD)["access"]

    response = api_beta.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 401
    assert SECRET_EMAIL not in response.content.decode()


def test_me_at_beta_shows_betas_admin_and_tenant_only(alpha, beta, alpha_agent, api_beta):
    access = token_pair(api_beta, beta.admin_email, beta.admin_password)["access"]

    response = api_beta.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {access}")

    assert response.status_code == 200
    body = response.json()
    assert body["email"] == beta.admin_email
    assert body["tenant"]["slug"] == "beta"
    assert SECRET_EMAIL not in response.content.decode()
    assert "alpha" not in response.content.decode()


def test_a_session_at_alpha_reads_the_api_as_alphas_user_only(
    alpha, beta, alpha_agent, client_alpha
):
    sign_in(client_alpha, SECRET_EMAIL, PASSWORD)

    me = client_alpha.get("/api/v1/me/")

    assert me.status_code == 200
    assert me.json()["email"] == SECRET_EMAIL
    assert me.json()["tenant"]["slug"] == "alpha"
