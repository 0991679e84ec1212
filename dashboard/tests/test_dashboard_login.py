"""Dashboard sign-in and sign-out: CSRF-protected, session per tenant, in the tenant's language."""

from __future__ import annotations

import re

from django.test import Client

from accounts.models import User
from accounts.services import user_create
from conftest import host_client
from tenants.tenancy import public_scope, tenant_scope

LOGIN_URL = "/accounts/login/"
PASSWORD = "Cobalt-Meadow-47"


def _agent(fixture, *, email: str = "marisol@example.com", name: str = "Marisol Quintana"):
    with tenant_scope(fixture.tenant):
        return user_create(email=email, name=name, password=PASSWORD)


def _sign_in(client, email: str, password: str = PASSWORD):
    return client.post(LOGIN_URL, {"email": email, "password": password})


def test_the_login_page_carries_a_csrf_token(client_alpha):
    response = client_alpha.get(LOGIN_URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert re.search(r'name="csrfmiddlewaretoken" value="[^"]+"', content)
    assert 'name="email"' in content
    assert 'name="password"' in content
    assert "csrftoken" in response.cookies


def test_a_sign_in_without_the_csrf_token_is_refused(alpha):
    _agent(alpha)
    client = Client(enforce_csrf_checks=True, HTTP_HOST=alpha.host)

    response = _sign_in(client, "marisol@example.com")

    assert response.status_code == 403
    assert "sessionid" not in response.cookies


def test_a_sign_in_with_the_csrf_token_succeeds(alpha):
    _agent(alpha)
    client = Client(enforce_csrf_checks=True, HTTP_HOST=alpha.host)
    page = client.get(LOGIN_URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = client.post(
        LOGIN_URL,
        {"email": "marisol@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_wrong_password_shows_an_error(alpha, client_alpha):
    _agent(alpha)

    response = _sign_in(client_alpha, "marisol@example.com", "Not-My-Password-1")

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    errors = response.context["form"].errors.as_data()["__all__"]
    assert [error.code for error in errors] == ["invalid_credentials"]
    assert "sessionid" not in response.cookies


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(alpha, client_alpha):
    response = _sign_in(client_alpha, "ghost@example.com")

    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["__all__"]
    assert [error.code for error in errors] == ["invalid_credentials"]


def test_the_right_password_leads_home_where_the_users_name_shows(alpha, client_alpha):
    _agent(alpha)
    assert "Marisol" not in client_alpha.get("/", follow=True).content.decode()

    response = _sign_in(client_alpha, "marisol@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client_alpha.get("/")
    assert home.status_code == 200
    assert "Marisol" in home.content.decode()
    assert home.context["user"].email == "marisol@example.com"


def test_a_safe_next_url_is_followed_and_a_foreign_one_ignored(alpha, client_alpha):
    _agent(alpha)

    response = client_alpha.post(
        f"{LOGIN_URL}?next=/admin/", {"email": "marisol@example.com", "password": PASSWORD}
    )
    assert response["Location"] == "/admin/"

    other = host_client(alpha.host)
    response = other.post(
        LOGIN_URL,
        {"email": "marisol@example.com", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_home_sends_an_anonymous_visitor_to_the_login_page(client_alpha):
    response = client_alpha.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(f"{LOGIN_URL}?next=")


def test_logout_is_post_only_and_ends_the_session(alpha, client_alpha):
    _agent(alpha)
    _sign_in(client_alpha, "marisol@example.com")
    assert client_alpha.get("/").status_code == 200

    # a GET does not sign out
    assert client_alpha.get("/accounts/logout/").status_code == 405
    assert client_alpha.get("/").status_code == 200

    # a POST does
    response = client_alpha.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    after = client_alpha.get("/")
    assert after.status_code == 302
    assert after["Location"].startswith(LOGIN_URL)


def test_alphas_session_cookie_is_anonymous_at_beta(alpha, beta, client_alpha, client_beta):
    # given: alpha's admin (pk 1, like beta's admin) is signed in at alpha
    response = _sign_in(client_alpha, alpha.admin_email, alpha.admin_password)
    assert response.status_code == 302
    session_key = client_alpha.cookies["sessionid"].value

    # when: the same cookie is sent to beta's host
    client_beta.cookies["sessionid"] = session_key
    response = client_beta.get("/")

    # then: beta sees an anonymous visitor, not its own user number 1
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    page = client_beta.get("/admin/")
    assert page.status_code == 302
    # and the cookie still works where it was issued
    assert client_alpha.get("/").status_code == 200


def test_an_inactive_user_cannot_sign_in(alpha, client_alpha):
    agent = _agent(alpha)
    with tenant_scope(alpha.tenant):
        User.objects.filter(pk=agent.pk).update(is_active=False)

    response = _sign_in(client_alpha, "marisol@example.com")

    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["__all__"]
    assert [error.code for error in errors] == ["invalid_credentials"]
    assert client_alpha.get("/").status_code == 302


def test_a_signed_in_user_who_is_deactivated_is_signed_out(alpha, client_alpha):
    agent = _agent(alpha)
    _sign_in(client_alpha, "marisol@example.com")
    assert client_alpha.get("/").status_code == 200

    with tenant_scope(alpha.tenant):
        User.objects.filter(pk=agent.pk).update(is_active=False)

    assert client_alpha.get("/").status_code == 302


def test_the_page_is_in_portuguese_by_default(alpha, client_alpha):
    assert alpha.tenant.language == "pt-br"

    page = client_alpha.get(LOGIN_URL)
    refused = _sign_in(client_alpha, "ghost@example.com")

    assert page["Content-Language"] == "pt-br"
    assert '<html lang="pt-br">' in page.content.decode()
    assert "Entrar" in page.content.decode()
    assert "E-mail ou senha incorretos." in refused.content.decode()


def test_the_page_is_in_english_when_the_tenant_language_is_english(alpha, client_alpha):
    with public_scope():
        alpha.tenant.language = "en"
        alpha.tenant.save(update_fields=["language"])

    page = client_alpha.get(LOGIN_URL)
    refused = _sign_in(client_alpha, "ghost@example.com")

    assert page["Content-Language"] == "en"
    assert '<html lang="en">' in page.content.decode()
    assert "Sign in" in page.content.decode()
    assert "Entrar" not in page.content.decode()
    assert "E-mail or password is incorrect." in refused.content.decode()


def test_a_users_own_language_wins_over_the_tenants(alpha, client_alpha):
    agent = _agent(alpha)
    with tenant_scope(alpha.tenant):
        User.objects.filter(pk=agent.pk).update(language="en")
    _sign_in(client_alpha, "marisol@example.com")

    home = client_alpha.get("/")

    assert home["Content-Language"] == "en"
    assert ">Sign out<" in home.content.decode()
    assert ">Sair<" not in home.content.decode()


def test_the_language_of_one_tenant_does_not_leak_into_another(alpha, beta, client_beta):
    with public_scope():
        alpha.tenant.language = "en"
        alpha.tenant.save(update_fields=["language"])

    page = client_beta.get(LOGIN_URL)

    assert page["Content-Language"] == "pt-br"
    assert "Entrar" in page.content.decode()
