"""Every API request reads its token's user afresh, in one statement built once per process
(``accounts.authentication.user_by_id``), and keeps SimpleJWT's refusals: a deleted user, a
deactivated one, a token that names no user, a token of another tenant."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import user_by_id
from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import PASSWORD, token_pair
from tenants.tenancy import tenant_scope

ME = "/api/v1/me/"


@pytest.fixture
def agent(alpha):
    with tenant_scope(alpha.tenant):
        return UserFactory(name="Ana", role=User.Role.AGENT)


def _me(api, access):
    return api.get(ME, HTTP_AUTHORIZATION=f"Bearer {access}")


def test_the_user_is_read_with_every_column_in_one_statement(alpha, agent):
    with tenant_scope(alpha.tenant):
        User.objects.exists()  # the tenant's search_path is set
        with CaptureQueriesContext(db) as queries:
            user = user_by_id(agent.pk)
            # every column was read: nothing deferred is fetched afterwards
            assert user is not None
            assert (user.email, user.signature, user.theme, user.last_seen_at) == (
                agent.email,
                agent.signature,
                agent.theme,
                agent.last_seen_at,
            )
        assert user.get_deferred_fields() == set()
        assert user_by_id(agent.pk + 1000) is None
    assert len(queries) == 1


def test_a_change_of_the_user_counts_from_the_next_request(alpha, agent, api_alpha):
    access = token_pair(api_alpha, agent.email, PASSWORD)["access"]
    assert _me(api_alpha, access).json()["name"] == "Ana"

    with tenant_scope(alpha.tenant):
        User.objects.filter(pk=agent.pk).update(name="Ana Maria")

    assert _me(api_alpha, access).json()["name"] == "Ana Maria"


def test_a_deactivated_users_access_token_is_refused_at_once(alpha, agent, api_alpha):
    access = token_pair(api_alpha, agent.email, PASSWORD)["access"]
    assert _me(api_alpha, access).status_code == 200

    with tenant_scope(alpha.tenant):
        User.objects.filter(pk=agent.pk).update(is_active=False)

    response = _me(api_alpha, access)
    assert (response.status_code, response.json()["code"]) == (401, "user_inactive")


def test_a_deleted_users_access_token_is_refused(alpha, agent, api_alpha):
    access = token_pair(api_alpha, agent.email, PASSWORD)["access"]

    with tenant_scope(alpha.tenant):
        User.objects.filter(pk=agent.pk).delete()

    response = _me(api_alpha, access)
    assert (response.status_code, response.json()["code"]) == (401, "user_not_found")


@pytest.mark.parametrize("user_id", [None, "abc"])
def test_a_token_naming_no_user_is_refused(alpha, agent, api_alpha, user_id):
    token = AccessToken(token_pair(api_alpha, agent.email, PASSWORD)["access"])
    if user_id is None:
        del token["user_id"]
    else:
        token["user_id"] = user_id

    response = _me(api_alpha, str(token))
    assert (response.status_code, response.json()["code"]) == (401, "token_not_valid")


def test_a_token_of_another_tenant_never_reads_this_tenants_user(
    alpha, beta, agent, api_alpha, api_beta
):
    """Alpha's agent and a beta user share an id: beta refuses alpha's token before any user
    is read, with the tenant's own error."""
    access = token_pair(api_alpha, agent.email, PASSWORD)["access"]
    with tenant_scope(beta.tenant):
        UserFactory.create_batch(3)  # a beta user with the agent's id exists

    response = _me(api_beta, access)
    assert (response.status_code, response.json()["code"]) == (401, "token_wrong_tenant")
