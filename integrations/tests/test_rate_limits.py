"""Requests per minute per key and per tenant: X-RateLimit-* headers on every key request,
429 ``rate_limited`` with Retry-After once a limit is used up; the tenant's limit is set by
the platform admin on the tenant's limits page."""

from __future__ import annotations

import time

import pytest

from conftest import host_api_client, host_client, platform_staff_create
from integrations.tests.factories import api_key_make
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope

CONTACTS = "/api/v1/contacts/"


def _api(fixture, secret):
    api = host_api_client(fixture.host)
    api.credentials(HTTP_X_API_KEY=secret)
    return api


@pytest.fixture(autouse=True)
def _not_at_a_minutes_end():
    # The counters are per calendar minute; a test straddling two minutes would see two.
    if time.time() % 60 > 55:
        time.sleep(61 - time.time() % 60)


def test_a_keys_own_limit_counts_down_then_answers_429(alpha):
    with tenant_scope(alpha.tenant):
        _key, secret = api_key_make(scopes=["contacts:read"], rate_limit_per_minute=3)
    api = _api(alpha, secret)

    answers = [api.get(CONTACTS) for _n in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["X-RateLimit-Limit"] for a in answers] == ["3"] * 4
    assert [a["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert int(answers[0]["X-RateLimit-Reset"]) > time.time()
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["extra"]["retry_after"] == int(refused["Retry-After"])


def test_the_tenants_limit_covers_all_its_keys_and_not_other_tenants(alpha, beta):
    with public_scope():
        Tenant.objects.filter(pk=alpha.tenant.pk).update(api_rate_limit_per_minute=2)
    with tenant_scope(alpha.tenant):
        _k1, first = api_key_make(scopes=["contacts:read"])
        _k2, second = api_key_make(scopes=["contacts:read"])
    with tenant_scope(beta.tenant):
        _k3, beta_secret = api_key_make(scopes=["contacts:read"])

    answers = [_api(alpha, first).get(CONTACTS), _api(alpha, second).get(CONTACTS)]
    over = _api(alpha, second).get(CONTACTS)
    elsewhere = _api(beta, beta_secret).get(CONTACTS)

    assert [a.status_code for a in answers] == [200, 200]
    assert over.status_code == 429
    assert over["X-RateLimit-Limit"] == "2"
    assert elsewhere.status_code == 200


def test_people_signed_in_get_no_rate_limit_headers(alpha, api_alpha):
    from conftest import sign_in_api

    response = sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password).get(CONTACTS)

    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response


def test_the_platform_admin_sets_a_tenants_limit(alpha, beta):
    root, _ = platform_staff_create("root@platform.test", "Pw-12345678")
    client = host_client("localhost")
    with public_scope():
        client.force_login(root)
    url = f"/platform/tenants/{alpha.tenant.pk}/limits/"

    saved = client.post(url, {"max_users": 10, "max_channels": 3, "api_rate_limit_per_minute": 120})
    refused = client.post(url, {"max_users": 10, "max_channels": 3, "api_rate_limit_per_minute": 0})

    assert saved.status_code == 302
    assert refused.status_code == 400
    with public_scope():
        assert Tenant.objects.get(pk=alpha.tenant.pk).api_rate_limit_per_minute == 120
