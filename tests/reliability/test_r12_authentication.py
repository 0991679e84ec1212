"""R12: brute force and token hygiene, measured as one set.

Counts how many wrong passwords an e-mail takes before sign-in is refused even with the right
password, reads the lifetimes the API really issues, and replays refresh tokens after rotation
and after logout. The detailed behaviours have their own tests in accounts/tests/; this one
reports the figures together and fails when any drifts from the goal.
"""

from __future__ import annotations

from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import PASSWORD, UserFactory
from tenants.tenancy import tenant_scope

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"


def _sign_in(api, email: str, password: str, ip: str):
    return api.post(
        TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip
    )


def test_r12_lockout_lifetimes_rotation_and_logout(alpha, api_alpha, report_figure) -> None:
    # Lockout: wrong passwords (from different addresses) until one is answered 429.
    failures = 0
    for attempt in range(1, 21):
        wrong = _sign_in(api_alpha, alpha.admin_email, "wrong-password", f"10.0.0.{attempt}")
        if wrong.status_code == 429:
            break
        assert wrong.status_code in {400, 401}
        failures += 1
    locked_after = failures
    assert locked_after <= 5, "the account was not locked after 5 failures"
    # ... and then even the right password is refused, with a Retry-After.
    right = _sign_in(api_alpha, alpha.admin_email, alpha.admin_password, "10.9.9.9")
    assert right.status_code == 429
    assert right.json()["code"]
    assert int(right["Retry-After"]) > 0

    # Lifetimes and rotation, with another user of the tenant (the admin is locked now).
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    pair = _sign_in(api_alpha, str(agent.email), PASSWORD, "10.8.8.8").json()
    access = AccessToken(pair["access"])
    access_minutes = (access["exp"] - access["iat"]) / 60
    assert access_minutes <= 15

    # Rotation: the refreshed pair works, the old refresh is refused (401), once.
    rotated = api_alpha.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json")
    assert rotated.status_code == 200
    reused = api_alpha.post(REFRESH_URL, {"refresh": pair["refresh"]}, format="json")
    assert reused.status_code == 401

    # Logout blacklists the current refresh token.
    new = rotated.json()
    out = api_alpha.post(
        LOGOUT_URL,
        {"refresh": new["refresh"]},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {new['access']}",
    )
    assert out.status_code in {200, 204}
    after_logout = api_alpha.post(REFRESH_URL, {"refresh": new["refresh"]}, format="json")
    assert after_logout.status_code == 401

    report_figure(
        f"R12: locked after {locked_after} failures (goal <= 5); access token "
        f"{access_minutes:.0f} min (goal <= 15); reused refresh -> {reused.status_code}; "
        f"refresh after logout -> {after_logout.status_code}"
    )
