"""Two-factor sign-in in the dashboard and on the platform pages: the code step of the sign-in,
enrolment on the profile, turning it off, the tenant's requirement, the admin's reset, and
platform staff who always need it."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from accounts.models import TwoFactorDevice, User
from accounts.tests.factories import PASSWORD, AdminFactory, UserFactory, two_factor_enrol
from conftest import host_api_client, host_client, platform_staff_create, signed_in_client
from integrations.tests.factories import api_key_make
from tenants.models import Tenant
from tenants.services import tenant_settings_update
from tenants.tenancy import public_scope, tenant_scope

LOGIN, CODE, PROFILE = "/accounts/login/", "/accounts/login/code/", "/accounts/profile/"


@pytest.fixture
def enrolled(alpha):
    """An agent of alpha with two-factor sign-in, its authenticator and recovery codes."""
    with tenant_scope(alpha.tenant):
        user = UserFactory()
        totp, codes = two_factor_enrol(user)
    return user, totp, codes


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _password_step(client, user, next_url=""):
    return client.post(LOGIN, {"email": user.email, "password": PASSWORD, "next": next_url})


def _signed_in_with_code(fixture, user, totp):
    client = host_client(fixture.host)
    _password_step(client, user)
    assert client.post(CODE, {"code": totp.now()}).status_code == 302
    return client


# ----------------------------------------------------------------------------- the code step


def test_the_password_alone_does_not_sign_in_a_two_factor_user(alpha, enrolled):
    user, totp, _ = enrolled
    client = host_client(alpha.host)

    step = _password_step(client, user, next_url="/reports/")

    assert step.status_code == 302
    assert step["Location"] == CODE
    assert not _signed_in(client)
    assert client.get(PROFILE).status_code == 302  # still signed out
    page = client.get(CODE)
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()

    wrong = client.post(CODE, {"code": "000000"})
    assert wrong.status_code == 400
    assert not _signed_in(client)

    right = client.post(CODE, {"code": totp.now()})
    assert right.status_code == 302
    assert right["Location"] == "/reports/"
    assert _signed_in(client)
    assert client.get(PROFILE).status_code == 200


def test_a_code_cannot_be_replayed_on_another_sign_in(alpha, enrolled):
    user, totp, _ = enrolled
    code = totp.now()
    first, second = host_client(alpha.host), host_client(alpha.host)
    _password_step(first, user)
    _password_step(second, user)

    assert first.post(CODE, {"code": code}).status_code == 302
    replay = second.post(CODE, {"code": code})

    assert replay.status_code == 400
    assert not _signed_in(second)


def test_a_recovery_code_signs_in_once(alpha, enrolled):
    user, _, codes = enrolled
    first, second = host_client(alpha.host), host_client(alpha.host)
    _password_step(first, user)
    _password_step(second, user)

    assert first.post(CODE, {"code": codes[3]}).status_code == 302
    assert second.post(CODE, {"code": codes[3]}).status_code == 400
    assert not _signed_in(second)


def test_guessing_codes_locks_the_sign_in(alpha, enrolled, settings):
    user, totp, _ = enrolled
    client = host_client(alpha.host)
    _password_step(client, user)
    for _ in range(settings.LOGIN_FAILURES_PER_EMAIL):
        assert client.post(CODE, {"code": "111111"}).status_code == 400

    locked = client.post(CODE, {"code": totp.now()})

    assert locked.status_code == 429
    assert locked["Retry-After"].isdigit()
    assert not _signed_in(client)


def test_the_code_step_without_a_password_sends_to_the_sign_in(alpha):
    response = host_client(alpha.host).post(CODE, {"code": "123456"})

    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_a_pending_sign_in_of_one_tenant_means_nothing_on_another(alpha, beta, enrolled):
    user, totp, _ = enrolled
    client = host_client(alpha.host)
    _password_step(client, user)
    session_cookie = client.cookies["sessionid"].value

    other = host_client(beta.host)
    other.cookies["sessionid"] = session_cookie
    response = other.post(CODE, {"code": totp.now()})

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert not _signed_in(other)


# ----------------------------------------------------------------------------- the profile


def _secret_on(html: str) -> str:
    found = re.search(r'data-testid="two-factor-secret">([A-Z2-7]+)<', html)
    assert found, "no secret shown"
    return found.group(1)


def test_enrolment_on_the_profile_shows_a_qr_code_and_recovery_codes_once(alpha):
    with tenant_scope(alpha.tenant):
        user = UserFactory()
    client = signed_in_client(alpha, user)
    assert 'data-testid="two-factor-start"' in client.get(PROFILE).content.decode()

    client.post("/accounts/profile/two-factor/start/")
    page = client.get(PROFILE).content.decode()
    secret = _secret_on(page)
    assert "<svg" in page.split('data-testid="two-factor-qr"', 1)[1][:200]

    wrong = client.post("/accounts/profile/two-factor/confirm/", {"code": "000000"})
    assert wrong.status_code == 302
    with tenant_scope(alpha.tenant):
        assert not TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()

    done = client.post("/accounts/profile/two-factor/confirm/", {"code": pyotp.TOTP(secret).now()})

    assert done.status_code == 200
    assert done["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    page = client.get(PROFILE).content.decode()
    assert 'data-testid="two-factor-on"' in page
    assert codes[0] not in page
    assert secret not in page


def test_turning_off_needs_a_current_code_and_asks_first(alpha, enrolled):
    user, totp, _ = enrolled
    client = _signed_in_with_code(alpha, user, totp)
    page = client.get(PROFILE).content.decode()
    form = page.split('data-testid="two-factor-disable-form"', 1)[1].split(">", 1)[0]
    assert "data-confirm=" in form

    client.post("/accounts/profile/two-factor/disable/", {"code": "000000"})
    with tenant_scope(alpha.tenant):
        assert TwoFactorDevice.objects.filter(user=user).exists()
    client.post("/accounts/profile/two-factor/disable/", {"code": totp.at(time.time() + 30)})
    with tenant_scope(alpha.tenant):
        assert not TwoFactorDevice.objects.filter(user=user).exists()


# ----------------------------------------------------------------------------- the tenant's rule


def test_where_the_tenant_requires_it_users_without_it_can_only_enrol(alpha, beta):
    with tenant_scope(alpha.tenant):
        tenant_settings_update(tenant=alpha.tenant, values={"require_two_factor": True})
        user = UserFactory()
    client = host_client(alpha.host)

    signed_in = _password_step(client, user)

    assert signed_in["Location"] == PROFILE + "#two-factor"
    assert client.get("/").status_code == 302
    assert client.get("/").headers["Location"] == PROFILE + "#two-factor"
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json()["code"] == "two_factor_enrolment_required"
    assert 'data-testid="two-factor-required"' in client.get(PROFILE).content.decode()

    # when: they enrol
    client.post("/accounts/profile/two-factor/start/")
    secret = _secret_on(client.get(PROFILE).content.decode())
    client.post("/accounts/profile/two-factor/confirm/", {"code": pyotp.TOTP(secret).now()})

    # then: the dashboard opens, and turning it off is not offered
    assert client.get("/").status_code == 200
    assert 'data-testid="two-factor-disable-form"' not in client.get(PROFILE).content.decode()
    # and beta, which does not require it, is untouched
    with tenant_scope(beta.tenant):
        beta_user = UserFactory()
    assert signed_in_client(beta, beta_user).get("/").status_code == 200


def test_an_admin_requires_it_on_the_settings_page_and_must_enrol_first(alpha, beta):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    client = signed_in_client(alpha, admin)
    assert 'name="require_two_factor"' in client.get("/manage/settings/").content.decode()

    saved = client.post(
        "/manage/settings/",
        {
            "time_zone": "America/Sao_Paulo",
            "language": "pt-br",
            "days_to_close": "7",
            "reopen_window_minutes": "0",
            "audit_retention_days": "365",
            "require_two_factor": "on",
        },
    )

    assert saved.status_code == 302
    with public_scope():
        assert Tenant.objects.get(pk=alpha.tenant.pk).settings["require_two_factor"] is True
        assert not Tenant.objects.get(pk=beta.tenant.pk).settings.get("require_two_factor")
    assert client.get("/manage/settings/")["Location"] == PROFILE + "#two-factor"


# ----------------------------------------------------------------------------- the admin's reset


def test_an_admin_resets_a_users_two_factor_and_signs_them_out(alpha, beta, enrolled):
    user, totp, _ = enrolled
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    user_client = _signed_in_with_code(alpha, user, totp)
    assert user_client.get(PROFILE).status_code == 200
    admin_client = signed_in_client(alpha, admin)
    page = admin_client.get(f"/manage/users/{user.pk}/").content.decode()
    form = page.split('data-testid="user-two-factor-reset-form"', 1)[1].split(">", 1)[0]
    assert "data-confirm=" in form

    response = admin_client.post(f"/manage/users/{user.pk}/two-factor/")

    assert response.status_code == 302
    with tenant_scope(alpha.tenant):
        assert not TwoFactorDevice.objects.filter(user=user).exists()
    assert user_client.get(PROFILE).status_code == 302  # signed out
    assert _password_step(host_client(alpha.host), user)["Location"] != CODE


def test_an_agent_cannot_reset_anyones_two_factor(alpha, enrolled):
    user, _, _ = enrolled
    with tenant_scope(alpha.tenant):
        agent = UserFactory()

    response = signed_in_client(alpha, agent).post(f"/manage/users/{user.pk}/two-factor/")

    assert response.status_code == 403
    with tenant_scope(alpha.tenant):
        assert TwoFactorDevice.objects.filter(user=user).exists()


# ----------------------------------------------------------------------------- platform staff


def test_platform_staff_without_two_factor_must_enrol_before_anything(alpha):
    with public_scope():
        User.objects.create_superuser(email="new@platform.test", password=PASSWORD, name="New")
    client = host_client("localhost")

    signed_in = client.post(
        "/platform/login/", {"email": "new@platform.test", "password": PASSWORD}
    )

    assert signed_in["Location"] == "/platform/two-factor/#two-factor"
    assert client.get("/platform/").status_code == 302
    assert client.get("/admin/").status_code == 302
    client.post("/platform/two-factor/start/")
    secret = _secret_on(client.get("/platform/two-factor/").content.decode())
    done = client.post("/platform/two-factor/confirm/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert len(re.findall(r"<li><code>", done.content.decode())) == 10
    assert client.get("/platform/").status_code == 200


def test_platform_staff_with_two_factor_sign_in_with_the_code(alpha):
    _, totp = platform_staff_create("root@platform.test", PASSWORD)
    client = host_client("localhost")

    step = client.post("/platform/login/", {"email": "root@platform.test", "password": PASSWORD})

    assert step["Location"] == "/platform/login/code/"
    assert client.get("/platform/").status_code == 302
    assert client.post("/platform/login/code/", {"code": "000000"}).status_code == 400
    assert client.post("/platform/login/code/", {"code": totp.now()})["Location"] == ("/platform/")
    assert client.get("/platform/").status_code == 200


def test_api_keys_keep_working_where_two_factor_is_required(alpha):
    with tenant_scope(alpha.tenant):
        tenant_settings_update(tenant=alpha.tenant, values={"require_two_factor": True})
        _key, secret = api_key_make(scopes=["contacts:read"])  # its owner has no authenticator
    api = host_api_client(alpha.host)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert api.get("/api/v1/contacts/").status_code == 200
