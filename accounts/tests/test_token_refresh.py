"""Refresh tokens rotate, work once, die with their user and with a logout."""

from __future__ import annotations

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from accounts.services import user_create
from conftest import token_pair
from tenants.tenancy import tenant_scope

REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"


def _refresh(api, refresh: str):
    return api.post(REFRESH_URL, {"refresh": refresh}, format="json")


def _logout(api, access: str | None, refresh: str):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {access}"} if access else {}
    return api.post(LOGOUT_URL, {"refresh": refresh}, format="json", **headers)


def test_a_refresh_returns_a_new_working_pair(alpha, api_alpha):
    old = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)

    response = _refresh(api_alpha, old["refresh"])

    assert response.status_code == 200
    new = response.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != old["refresh"]
    assert new["access"] != old["access"]
    assert (
        RefreshToken(new["refresh"], verify=False)["jti"]
        != RefreshToken(old["refresh"], verify=False)["jti"]
    )
    # the new pair is still bound to the tenant, and the access token works
    assert AccessToken(new["access"], verify=False)["tenant"] == "alpha"
    assert RefreshToken(new["refresh"], verify=False)["tenant"] == "alpha"
    me = api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {new['access']}")
    assert me.status_code == 200
    assert me.json()["email"] == alpha.admin_email


def test_a_used_refresh_token_is_refused(alpha, api_alpha):
    # given: a refresh token that was already exchanged once
    old = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)
    assert _refresh(api_alpha, old["refresh"]).status_code == 200

    # when: it is presented again (a replayed, stolen token)
    response = _refresh(api_alpha, old["refresh"])

    # then: it is blacklisted
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == "token_not_valid"
    assert "access" not in body


def test_the_rotated_refresh_token_keeps_working_once(alpha, api_alpha):
    first = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)
    second = _refresh(api_alpha, first["refresh"]).json()

    third = _refresh(api_alpha, second["refresh"])

    assert third.status_code == 200
    assert _refresh(api_alpha, second["refresh"]).status_code == 401


def test_the_refresh_token_of_a_deactivated_user_is_refused(alpha, api_alpha):
    # given: an agent with a valid pair
    with tenant_scope(alpha.tenant):
        agent = user_create(email="leaving@alpha.test", name="Leaving", password="Maple-Comet-83")
    pair = token_pair(api_alpha, "leaving@alpha.test", "Maple-Comet-83")

    # when: the agent is deactivated
    with tenant_scope(alpha.tenant):
        User.objects.filter(pk=agent.pk).update(is_active=False)

    # then: the refresh token no longer buys new tokens, nor does the access token work
    response = _refresh(api_alpha, pair["refresh"])
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"
    assert "access" not in response.json()
    me = api_alpha.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    assert me.status_code == 401


def test_a_garbage_refresh_token_is_refused(alpha, api_alpha):
    response = _refresh(api_alpha, "not.a.token")

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_an_access_token_is_not_accepted_as_a_refresh_token(alpha, api_alpha):
    pair = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)

    response = _refresh(api_alpha, pair["access"])

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_missing_refresh_token_is_a_validation_error(alpha, api_alpha):
    response = api_alpha.post(REFRESH_URL, {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "refresh" in body["extra"]["fields"]


def test_logout_blacklists_the_refresh_token(alpha, api_alpha):
    pair = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)

    response = _logout(api_alpha, pair["access"], pair["refresh"])

    assert response.status_code == 204
    refused = _refresh(api_alpha, pair["refresh"])
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_not_valid"


def test_logout_of_one_session_leaves_the_others_working(alpha, api_alpha):
    phone = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)
    laptop = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)

    assert _logout(api_alpha, phone["access"], phone["refresh"]).status_code == 204

    assert _refresh(api_alpha, laptop["refresh"]).status_code == 200


def test_logout_with_another_users_refresh_token_is_refused(alpha, api_alpha):
    # given: an agent's refresh token, and the admin's own access token
    with tenant_scope(alpha.tenant):
        user_create(email="victim@alpha.test", name="Victim", password="Walnut-River-26")
    victim = token_pair(api_alpha, "victim@alpha.test", "Walnut-River-26")
    admin = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)

    # when: the admin tries to log the agent out with it
    response = _logout(api_alpha, admin["access"], victim["refresh"])

    # then: refused, and the agent's token still works
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_yours"
    assert _refresh(api_alpha, victim["refresh"]).status_code == 200


def test_logout_without_authentication_is_refused(alpha, api_alpha):
    pair = token_pair(api_alpha, alpha.admin_email, alpha.admin_password)

    response = _logout(api_alpha, None, pair["refresh"])

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    # and the refresh token was not blacklisted
    assert _refresh(api_alpha, pair["refresh"]).status_code == 200
