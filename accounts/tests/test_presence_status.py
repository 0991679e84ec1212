"""Agents set themselves away or available; /api/v1/me/ and /api/v1/users/ show each user's
presence (online, away, offline) from the real Redis presence, per tenant."""

from __future__ import annotations

import uuid

from accounts.presence import presence_touch
from accounts.tests.factories import UserFactory
from conftest import host_api_client, sign_in_api
from tenants.tenancy import tenant_scope


def _connect(user) -> None:
    presence_touch(user_id=user.pk, channel=f"test-{uuid.uuid4().hex}")


def test_an_agent_sets_away_and_back_and_me_shows_it(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        _connect(agent)
    api = sign_in_api(host_api_client(alpha.host), agent.email)

    assert api.get("/api/v1/me/").json()["status"] == "online"
    away = api.put("/api/v1/me/status/", {"status": "away"}, format="json")
    assert away.status_code == 200
    assert (away.json()["status"], away.json()["chosen_away"]) == ("away", True)
    assert api.get("/api/v1/me/").json()["status"] == "away"
    back = api.put("/api/v1/me/status/", {"status": "online"}, format="json")
    assert (back.json()["status"], back.json()["chosen_away"]) == ("online", False)


def test_a_bad_status_is_refused_with_its_code_and_nothing_changes(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        _connect(agent)
    api = sign_in_api(host_api_client(alpha.host), agent.email)

    bad = api.put("/api/v1/me/status/", {"status": "offline"}, format="json")

    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"
    assert "status" in bad.json()["extra"]["fields"]
    assert api.get("/api/v1/me/").json()["status"] == "online"


def test_without_a_socket_the_user_is_offline_even_when_away_was_chosen(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    api = sign_in_api(host_api_client(alpha.host), agent.email)
    api.put("/api/v1/me/status/", {"status": "away"}, format="json")

    assert api.get("/api/v1/me/").json()["status"] == "offline"


def test_the_users_list_shows_each_status_and_tenants_never_mix(alpha, beta):
    with tenant_scope(beta.tenant):
        same_pk_elsewhere = UserFactory()
        _connect(same_pk_elsewhere)
    with tenant_scope(alpha.tenant):
        here, away, gone = UserFactory(name="A"), UserFactory(name="B"), UserFactory(name="C")
        _connect(here)
        presence_touch(user_id=away.pk, channel="test-away", status="away")
    api = sign_in_api(host_api_client(alpha.host), here.email)

    results = api.get("/api/v1/users/").json()["results"]

    statuses = {row["id"]: row["status"] for row in results}
    assert statuses[here.pk] == "online"
    assert statuses[away.pk] == "away"
    assert statuses[gone.pk] == "offline"
    assert sorted(set(statuses.values())) == ["away", "offline", "online"]
