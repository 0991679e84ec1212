"""Repeated failed sign-ins lock the e-mail and the IP, per tenant, on every sign-in door."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings

from accounts.services import user_create
from tenants.tenancy import tenant_scope

TOKEN_URL = "/api/v1/auth/token/"
WRONG = "Wrong-Password-00"


def _api_sign_in(api, email: str, password: str, ip: str = "127.0.0.1"):
    return api.post(
        TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip
    )


def _fail(api, email: str, times: int, ip: str = "127.0.0.1") -> None:
    for _ in range(times):
        response = _api_sign_in(api, email, WRONG, ip=ip)
        assert response.status_code == 401, response.content
        assert response.json()["code"] == "invalid_credentials"


def _assert_throttled(response) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "login_throttled"
    assert "access" not in body
    retry_after = response["Retry-After"]
    assert retry_after.isdigit()
    assert 0 < int(retry_after) <= settings.LOGIN_LOCKOUT_SECONDS + 1
    assert body["extra"]["retry_after"] == int(retry_after)


def test_the_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(
    alpha, api_alpha
):
    # given: five wrong passwords for one e-mail
    assert settings.LOGIN_FAILURES_PER_EMAIL == 5
    _fail(api_alpha, alpha.admin_email, 5)

    # when: the right password comes next
    response = _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password)

    # then: the e-mail is locked, with a Retry-After in whole seconds
    _assert_throttled(response)


def test_four_failures_do_not_lock_yet(alpha, api_alpha):
    _fail(api_alpha, alpha.admin_email, 4)

    response = _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password)

    assert response.status_code == 200


def test_the_email_counter_ignores_case(alpha, api_alpha):
    _fail(api_alpha, alpha.admin_email.upper(), 5)

    _assert_throttled(_api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password))


def test_a_locked_email_stays_locked_from_another_ip(alpha, api_alpha):
    _fail(api_alpha, alpha.admin_email, 5, ip="10.0.0.1")

    _assert_throttled(
        _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password, ip="10.0.0.2")
    )


def test_the_dashboard_sign_in_answers_429_once_the_email_is_locked(alpha, api_alpha, client_alpha):
    _fail(api_alpha, alpha.admin_email, 5)

    response = client_alpha.post(
        "/accounts/login/", {"email": alpha.admin_email, "password": alpha.admin_password}
    )

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "sessionid" not in response.cookies
    errors = response.context["form"].errors.as_data()["__all__"]
    assert [error.code for error in errors] == ["login_throttled"]


def test_dashboard_failures_lock_the_api_too(alpha, api_alpha, client_alpha):
    for _ in range(5):
        response = client_alpha.post(
            "/accounts/login/", {"email": alpha.admin_email, "password": WRONG}
        )
        assert response.status_code == 400

    _assert_throttled(_api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password))


@override_settings(LOGIN_FAILURES_PER_IP=3)
def test_failures_from_one_ip_lock_that_ip_across_emails(alpha, api_alpha):
    # given: three failures from one address, each for a different e-mail
    for index in range(3):
        _fail(api_alpha, f"guess{index}@alpha.test", 1, ip="10.9.9.9")

    # then: that address is locked even for a valid, unlocked account
    _assert_throttled(
        _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password, ip="10.9.9.9")
    )
    # while another address still signs the same account in
    response = _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password, ip="10.9.9.10")
    assert response.status_code == 200


@override_settings(LOGIN_FAILURES_PER_IP=3)
def test_a_success_does_not_forgive_the_ips_failures(alpha, api_alpha):
    _fail(api_alpha, "someone@alpha.test", 2, ip="10.7.7.7")
    assert (
        _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password, ip="10.7.7.7").status_code
        == 200
    )

    _fail(api_alpha, "another@alpha.test", 1, ip="10.7.7.7")

    _assert_throttled(
        _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password, ip="10.7.7.7")
    )


def test_a_locked_email_at_alpha_is_not_locked_at_beta(alpha, beta, api_alpha, api_beta):
    # given: the same e-mail is a user of both tenants
    for fixture in (alpha, beta):
        with tenant_scope(fixture.tenant):
            user_create(email="shared@example.com", name="Shared", password="Pepper-Lagoon-19")

    # when: it is locked at alpha
    _fail(api_alpha, "shared@example.com", 5)
    _assert_throttled(_api_sign_in(api_alpha, "shared@example.com", "Pepper-Lagoon-19"))

    # then: beta's user with that e-mail signs in normally
    response = _api_sign_in(api_beta, "shared@example.com", "Pepper-Lagoon-19")
    assert response.status_code == 200


@override_settings(LOGIN_FAILURES_PER_IP=3)
def test_a_locked_ip_at_alpha_is_not_locked_at_beta(alpha, beta, api_alpha, api_beta):
    _fail(api_alpha, "nobody@alpha.test", 3, ip="10.5.5.5")
    _assert_throttled(
        _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password, ip="10.5.5.5")
    )

    response = _api_sign_in(api_beta, beta.admin_email, beta.admin_password, ip="10.5.5.5")

    assert response.status_code == 200


def test_a_successful_sign_in_clears_the_email_counter(alpha, api_alpha):
    # given: four failures, then a success
    _fail(api_alpha, alpha.admin_email, 4)
    assert _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password).status_code == 200

    # when: four more failures follow (eight in total, more than the limit)
    _fail(api_alpha, alpha.admin_email, 4)

    # then: the account is not locked, because the success reset the count
    assert _api_sign_in(api_alpha, alpha.admin_email, alpha.admin_password).status_code == 200


def test_a_wrong_password_during_a_lock_is_refused_as_throttled_too(alpha, api_alpha):
    _fail(api_alpha, alpha.admin_email, 5)

    _assert_throttled(_api_sign_in(api_alpha, alpha.admin_email, WRONG))


def test_the_admin_login_is_no_door_around_the_lockout(alpha, api_alpha, client_alpha):
    """The Django admin's own login would skip the two-factor code step: it sends to the
    dashboard's sign-in and signs nobody in, even with the right password."""
    _fail(api_alpha, alpha.admin_email, 5)

    response = client_alpha.post(
        "/admin/login/?next=/admin/",
        {"username": alpha.admin_email, "password": alpha.admin_password, "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client_alpha.session
    locked = client_alpha.post(
        response["Location"], {"email": alpha.admin_email, "password": alpha.admin_password}
    )
    assert locked.status_code == 429
    assert "_auth_user_id" not in client_alpha.session
