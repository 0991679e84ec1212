"""Two-factor sign-in (TOTP): enrolment, codes, replay, recovery codes, lockout, the token API,
and two tenants whose users share primary keys."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.db import connection

from accounts.errors import (
    LoginThrottled,
    TwoFactorCodeInvalid,
    TwoFactorState,
)
from accounts.models import RecoveryCode, TwoFactorDevice, User
from accounts.tests.factories import PASSWORD, UserFactory, two_factor_enrol
from accounts.two_factor import (
    recovery_codes_regenerate,
    two_factor_disable,
    two_factor_enabled,
    two_factor_enrolment_confirm,
    two_factor_enrolment_start,
    two_factor_reset_by_admin,
    two_factor_status,
    two_factor_verify,
)
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


IP = "127.0.0.1"


def _next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step (accepted: one step of clock drift)."""
    return totp.at(time.time() + totp.interval)


# ----------------------------------------------------------------------------- enrolment


def test_enrolment_turns_on_only_with_a_right_code_and_gives_ten_recovery_codes(in_alpha):
    user = UserFactory()
    enrolment = two_factor_enrolment_start(user=user)
    assert "otpauth://totp/" in enrolment.uri
    assert enrolment.secret in enrolment.uri
    assert enrolment.qr_svg.startswith("<svg")
    assert not two_factor_enabled(user)

    with pytest.raises(TwoFactorCodeInvalid):
        two_factor_enrolment_confirm(user=user, code="000000", ip=IP)
    assert not two_factor_enabled(user)

    codes = two_factor_enrolment_confirm(user=user, code=pyotp.TOTP(enrolment.secret).now(), ip=IP)

    assert two_factor_enabled(user)
    assert len(set(codes)) == 10
    assert two_factor_status(user).codes_left == 10
    # only hashes are kept, and the secret is not stored in clear
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert not {c.replace("-", "") for c in codes} & set(stored)
    assert enrolment.secret not in TwoFactorDevice.objects.get(user=user).secret_encrypted
    assert two_factor_status(user).pending is None


def test_starting_again_while_on_is_refused(in_alpha):
    user = UserFactory()
    two_factor_enrol(user)

    with pytest.raises(TwoFactorState):
        two_factor_enrolment_start(user=user)


# ----------------------------------------------------------------------------- codes


def test_a_code_is_accepted_once_and_refused_when_replayed(in_alpha):
    user = UserFactory()
    totp, _ = two_factor_enrol(user)
    code = totp.now()

    two_factor_verify(user=user, code=code, ip=IP)

    with pytest.raises(TwoFactorCodeInvalid):
        two_factor_verify(user=user, code=code, ip=IP)
    # nor is an older code of the same window accepted after a newer one
    two_factor_verify(user=user, code=_next_code(totp), ip=IP)
    with pytest.raises(TwoFactorCodeInvalid):
        two_factor_verify(user=user, code=totp.now(), ip=IP)


def test_a_code_two_steps_away_is_refused(in_alpha):
    user = UserFactory()
    totp, _ = two_factor_enrol(user)

    with pytest.raises(TwoFactorCodeInvalid):
        two_factor_verify(user=user, code=totp.at(time.time() + 3 * totp.interval), ip=IP)


def test_a_recovery_code_works_once(in_alpha):
    user = UserFactory()
    _, codes = two_factor_enrol(user)

    two_factor_verify(user=user, code=codes[0].upper().replace("-", " "), ip=IP)

    with pytest.raises(TwoFactorCodeInvalid):
        two_factor_verify(user=user, code=codes[0], ip=IP)
    assert two_factor_status(user).codes_left == 9
    two_factor_verify(user=user, code=codes[1], ip=IP)


def test_new_recovery_codes_need_a_code_and_void_the_old_ones(in_alpha):
    user = UserFactory()
    totp, old = two_factor_enrol(user)

    with pytest.raises(TwoFactorCodeInvalid):
        recovery_codes_regenerate(user=user, code="123456", ip=IP)
    new = recovery_codes_regenerate(user=user, code=totp.now(), ip=IP)

    assert not set(new) & set(old)
    with pytest.raises(TwoFactorCodeInvalid):
        two_factor_verify(user=user, code=old[0], ip=IP)
    two_factor_verify(user=user, code=new[0], ip=IP)


def test_guessing_codes_locks_the_sign_in_like_wrong_passwords(in_alpha, settings):
    user = UserFactory()
    totp, _ = two_factor_enrol(user)
    for _ in range(settings.LOGIN_FAILURES_PER_EMAIL):
        with pytest.raises(TwoFactorCodeInvalid):
            two_factor_verify(user=user, code="000000", ip=IP)

    # then: even the right code is refused while locked, from another address too
    with pytest.raises(LoginThrottled):
        two_factor_verify(user=user, code=totp.now(), ip="10.9.9.9")


def test_disabling_needs_a_current_code_and_removes_everything(in_alpha):
    user = UserFactory()
    totp, _ = two_factor_enrol(user)

    with pytest.raises(TwoFactorCodeInvalid):
        two_factor_disable(user=user, code="000000", ip=IP)
    assert two_factor_enabled(user)

    two_factor_disable(user=user, code=totp.now(), ip=IP)

    assert not TwoFactorDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()


def test_disabling_is_refused_where_the_tenant_requires_it(alpha, in_alpha):
    user = UserFactory()
    totp, _ = two_factor_enrol(user)
    tenant_settings_update(tenant=alpha.tenant, values={"require_two_factor": True})

    with pytest.raises(TwoFactorState):
        two_factor_disable(user=user, code=totp.now(), ip=IP)
    assert two_factor_enabled(user)


def test_an_admin_resets_a_users_two_factor(in_alpha):
    admin, agent = User.objects.get(pk=1), UserFactory()
    two_factor_enrol(agent)

    two_factor_reset_by_admin(user=agent, by=admin)

    assert not two_factor_enabled(agent)
    assert not RecoveryCode.objects.filter(user=agent).exists()


# ----------------------------------------------------------------------------- two tenants


def test_a_secret_or_recovery_code_of_one_tenant_never_works_in_another(alpha, beta):
    # given: user 1 of each tenant (the first admins), alpha's with two-factor on
    with tenant_scope(alpha.tenant):
        alpha_admin = User.objects.get(pk=1)
        totp, codes = two_factor_enrol(alpha_admin)
        alpha_row = TwoFactorDevice.objects.get(user=alpha_admin)
    with tenant_scope(beta.tenant):
        beta_admin = User.objects.get(pk=1)
        # alpha's codes mean nothing for beta's user 1
        for code in (totp.now(), codes[0]):
            with pytest.raises(TwoFactorCodeInvalid):
                two_factor_verify(user=beta_admin, code=code, ip=IP)
        # and alpha's encrypted secret copied into beta's row does not decrypt as beta's
        TwoFactorDevice.objects.create(
            user=beta_admin,
            secret_encrypted=alpha_row.secret_encrypted,
            confirmed_at=alpha_row.confirmed_at,
        )
        with pytest.raises(TwoFactorCodeInvalid):
            two_factor_verify(user=beta_admin, code=totp.now(), ip=IP)
        assert connection.schema_name == beta.tenant.schema_name
    with tenant_scope(alpha.tenant):
        two_factor_verify(user=alpha_admin, code=totp.now(), ip=IP)


# ----------------------------------------------------------------------------- the token API


def _token(api, email, password, **extra):
    return api.post(TOKEN_URL, {"email": email, "password": password, **extra}, format="json")


def test_the_token_api_asks_for_the_code_of_a_two_factor_user(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        user = UserFactory()
        totp, codes = two_factor_enrol(user)

    missing = _token(api_alpha, user.email, PASSWORD)
    wrong = _token(api_alpha, user.email, PASSWORD, otp="000000")
    right = _token(api_alpha, user.email, PASSWORD, otp=totp.now())
    replayed = _token(api_alpha, user.email, PASSWORD, otp=totp.now())
    recovery = _token(api_alpha, user.email, PASSWORD, otp=codes[0])

    assert missing.status_code == 401
    assert missing.json()["code"] == "otp_required"
    assert set(missing.json()) >= {"code", "message", "extra"}
    assert "access" not in missing.json()
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "otp_invalid"
    assert right.status_code == 200
    assert "access" in right.json()
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "otp_invalid"
    assert recovery.status_code == 200


def test_the_token_api_is_unchanged_for_users_without_two_factor(alpha, api_alpha):
    assert _token(api_alpha, alpha.admin_email, alpha.admin_password).status_code == 200


def test_the_token_api_refuses_users_who_must_enrol_first(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        tenant_settings_update(tenant=alpha.tenant, values={"require_two_factor": True})
        user = UserFactory()

    response = _token(api_alpha, user.email, PASSWORD)

    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_enrolment_required"


def test_a_right_password_does_not_forgive_guessed_codes(alpha, api_alpha, settings):
    with tenant_scope(alpha.tenant):
        user = UserFactory()
        totp, _ = two_factor_enrol(user)
    for _ in range(settings.LOGIN_FAILURES_PER_EMAIL):
        assert _token(api_alpha, user.email, PASSWORD, otp="000000").status_code == 401

    response = _token(api_alpha, user.email, PASSWORD, otp=totp.now())

    assert response.status_code == 429
    assert response.json()["code"] == "login_throttled"
