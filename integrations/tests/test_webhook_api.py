"""/api/v1/webhooks/: subscribe (secret in the answer), refuse internal URLs and unknown
types, switch on again, rotate, send a test event, read the delivery log and redeliver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from conftest import host_api_client, sign_in_api
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services.webhooks import webhook_delivery_attempt, webhook_fan_out
from integrations.tests.factories import api_key_make
from integrations.tests.receiver import Reply, receiver_running
from tenants.tenancy import tenant_scope

URL = "/api/v1/webhooks/"


@pytest.fixture
def admin_api(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    return sign_in_api(api_alpha, admin.email)


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with receiver_running() as running:
        yield running


def test_an_admin_subscribes_and_gets_the_signing_secret_once(alpha, admin_api, receiver):
    created = admin_api.post(
        URL,
        {"name": "ERP", "url": receiver.url + "/h", "event_types": ["message.created"]},
        format="json",
    )
    listed = admin_api.get(URL)

    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")
    assert created.json()["secret"] not in listed.content.decode()
    assert listed.json()[0]["event_types"] == ["message.created"]
    with tenant_scope(alpha.tenant):
        stored = WebhookSubscription.objects.get()
        assert created.json()["secret"] not in stored.secret_encrypted


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "http://10.0.0.1/h", "event_types": ["message.created"]}, "url"),
        ({"url": "http://169.254.169.254/", "event_types": ["message.created"]}, "url"),
        ({"url": "https://example.com/h", "event_types": ["nope"]}, "event_types"),
        (
            {"url": "https://example.com/h", "event_types": ["hookMessage"], "format": "standard"},
            "event_types",
        ),
    ],
)
def test_internal_urls_and_unknown_types_are_refused(alpha, admin_api, payload, field):
    response = admin_api.post(URL, {"name": "x", **payload}, format="json")

    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]
    with tenant_scope(alpha.tenant):
        assert not WebhookSubscription.objects.exists()


def test_the_delivery_log_shows_attempts_and_redelivers(
    alpha, admin_api, receiver, django_assert_num_queries
):
    receiver.script(Reply(500, b"down"), Reply(200, b"ok"))
    with tenant_scope(alpha.tenant):
        created = admin_api.post(
            URL,
            {"name": "ERP", "url": receiver.url, "event_types": ["contact.created"]},
            format="json",
        ).json()
        for n in range(3):
            webhook_fan_out(event_type="contact.created", data=lambda n=n: {"n": n})
        first = WebhookDelivery.objects.order_by("id").first()
        webhook_delivery_attempt(delivery_id=first.pk)
    log_url = f"{URL}{created['id']}/deliveries/"

    admin_api.get(log_url)  # warm the session and user lookups
    # User, subscription, one page of deliveries, their attempts (one query); the tenant from
    # the host cache, its search_path already the connection's
    with django_assert_num_queries(4):
        log = admin_api.get(log_url)
    redelivered = admin_api.post(f"{log_url}{first.public_id}/redeliver/")
    tested = admin_api.post(f"{URL}{created['id']}/test/")
    now = timezone.now()
    ranged = admin_api.post(
        f"{URL}{created['id']}/redeliver/",
        {"since": (now - timedelta(hours=1)).isoformat(), "until": now.isoformat()},
        format="json",
    )

    assert log.status_code == 200
    rows = log.json()["results"]
    assert len(rows) == 3
    oldest = rows[-1]
    assert oldest["log"][0]["status_code"] == 500
    assert oldest["log"][0]["response_excerpt"] == "down"
    assert oldest["log"][0]["next_attempt_at"]
    assert redelivered.status_code == 202
    assert redelivered.json()["event_id"] == str(first.event_id)
    assert tested.status_code == 202
    assert tested.json()["event_type"] == "ping"
    assert ranged.json() == {"redelivered": 0}  # nothing failed for good yet


def test_switching_on_again_clears_the_failure_streak_and_rotation_returns_a_secret(
    alpha, admin_api, receiver
):
    created = admin_api.post(
        URL, {"name": "ERP", "url": receiver.url, "event_types": ["ticket.closed"]}, format="json"
    ).json()
    with tenant_scope(alpha.tenant):
        WebhookSubscription.objects.update(
            is_active=False, disabled_at=timezone.now(), failing_since=timezone.now()
        )

    enabled = admin_api.patch(f"{URL}{created['id']}/", {"is_active": True}, format="json")
    rotated = admin_api.post(f"{URL}{created['id']}/rotate-secret/")

    assert enabled.json()["is_active"] is True
    assert enabled.json()["failing_since"] is None
    assert rotated.json()["secret"] != created["secret"]


def test_a_key_with_webhook_scope_manages_subscriptions_and_other_tenants_see_none(
    alpha, beta, receiver
):
    with tenant_scope(alpha.tenant):
        _key, secret = api_key_make(scopes=["webhooks:write"])
    api = host_api_client(alpha.host)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    created = api.post(
        URL, {"name": "ERP", "url": receiver.url, "event_types": ["ticket.closed"]}, format="json"
    )
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    beta_api = sign_in_api(host_api_client(beta.host), beta_admin.email)

    assert created.status_code == 201
    assert beta_api.get(URL).json() == []
    assert beta_api.get(f"{URL}{created.json()['id']}/").status_code == 404


def test_the_event_types_endpoint_lists_the_catalogue(admin_api):
    names = [row["name"] for row in admin_api.get(f"{URL}event-types/").json()]

    assert "message.created" in names
    assert "hookMessageStatus" in names
