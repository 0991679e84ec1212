"""Webhook deliveries against a real HTTP receiver on loopback: signed with the documented
algorithm, retried with back-off on timeouts, 5xx and 429 (Retry-After) for 24 hours, never
on other 4xx or redirects, ordered per ticket on request, switched off after a day of
failures, redelivered on demand; internal addresses refused when sending."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from contacts.services import contact_create
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services.webhooks import (
    webhook_create,
    webhook_delivery_attempt,
    webhook_fan_out,
    webhook_redeliver,
    webhook_redeliver_failed,
    webhook_secret_rotate,
    webhook_test_send,
)
from integrations.tests.receiver import Reply, receiver_running
from tenants.tenancy import tenant_scope

LOOPBACK = ["127.0.0.1/32"]


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, exactly as docs/integrations.md shows it."""
    import time

    parts = [p.split("=", 1) for p in header.split(",")]
    timestamp = next(v for k, v in parts if k == "t")
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = LOOPBACK
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    with receiver_running() as running:
        yield running


def _subscribe(receiver, types=("contact.created",), **kwargs):
    return webhook_create(
        by=AdminFactory(), name="ERP", url=receiver.url + "/hook", event_types=list(types), **kwargs
    )


def _one_delivery(subscription) -> WebhookDelivery:
    return WebhookDelivery.objects.get(subscription=subscription)


def _due(delivery: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_an_event_is_delivered_signed_in_the_documented_envelope(
    alpha, receiver, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        subscription, secret = _subscribe(receiver, auth_header="Bearer erp-token")
        with django_capture_on_commit_callbacks(execute=True):
            contact = contact_create(name="Maria", phone="+5511987654321")
        delivery = _one_delivery(subscription)

        outcome = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert outcome.result == "succeeded"
    [request] = receiver.requests
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert verify(secret, headers["x-tiktickets-signature"], request.body)
    assert not verify("whsec_wrong", headers["x-tiktickets-signature"], request.body)
    assert headers["x-tiktickets-timestamp"] in headers["x-tiktickets-signature"]
    assert headers["x-tiktickets-delivery"] == str(delivery.public_id)
    assert headers["idempotency-key"] == str(delivery.event_id)
    assert headers["authorization"] == "Bearer erp-token"
    body = json.loads(request.body)
    assert set(body) == {"id", "type", "created_at", "tenant", "data"}
    assert (body["type"], body["tenant"], body["id"]) == (
        "contact.created",
        "alpha",
        str(delivery.event_id),
    )
    assert body["data"]["id"] == str(contact.public_id)
    assert body["data"]["phone"] == "+5511987654321"


def test_timeouts_5xx_and_429_are_retried_with_back_off_until_success(alpha, receiver):
    receiver.script(
        Reply(500, b"boom"),
        Reply(429, b"slow down", {"Retry-After": "120"}),
        Reply(200, delay=2.5),  # slower than the 1 s timeout
        Reply(200, b"thanks"),
    )
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver)
        webhook_fan_out(event_type="contact.created", data=lambda: {"n": 1})
        delivery = _one_delivery(subscription)

        outcomes = []
        for _attempt in range(4):
            outcomes.append(webhook_delivery_attempt(delivery_id=delivery.pk))
            _due(delivery)
        delivery.refresh_from_db()
        log = list(delivery.log.order_by("created_at", "id"))

    assert [o.result for o in outcomes] == ["retry", "retry", "retry", "succeeded"]
    assert 8 <= outcomes[0].retry_in <= 12  # 10 s base, ±20 % jitter
    assert outcomes[1].retry_in >= 120  # at least the Retry-After
    assert 32 <= outcomes[2].retry_in <= 48  # 10 * 2^2, ±20 %
    assert [a.status_code for a in log] == [500, 429, None, 200]
    assert log[2].error == "timeout"
    assert log[0].response_excerpt == "boom"
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 4


@pytest.mark.parametrize(
    "reply", [Reply(400), Reply(404), Reply(410), Reply(302, headers={"Location": "http://x/"})]
)
def test_other_4xx_and_redirects_are_not_retried(alpha, receiver, reply):
    receiver.script(reply)
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver)
        webhook_fan_out(event_type="contact.created", data=dict)
        delivery = _one_delivery(subscription)

        outcome = webhook_delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()

    assert outcome.result == "failed"
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert len(receiver.requests) == 1


def test_retries_stop_24_hours_after_the_event(alpha, receiver):
    receiver.script(Reply(503))
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver)
        webhook_fan_out(event_type="contact.created", data=dict)
        delivery = _one_delivery(subscription)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            created_at=timezone.now() - timedelta(hours=23, minutes=59, seconds=55)
        )

        outcome = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert outcome.result == "failed"


def test_a_subscription_failing_for_a_day_is_switched_off(alpha, receiver):
    receiver.script(Reply(500))
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver)
        webhook_fan_out(event_type="contact.created", data=dict)
        first = webhook_delivery_attempt(delivery_id=_one_delivery(subscription).pk)
        subscription.refresh_from_db()
        assert subscription.is_active
        assert subscription.failing_since is not None
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            failing_since=timezone.now() - timedelta(hours=24, minutes=1)
        )
        webhook_fan_out(event_type="contact.created", data=dict)
        latest = WebhookDelivery.objects.filter(subscription=subscription).first()

        webhook_delivery_attempt(delivery_id=latest.pk)
        subscription.refresh_from_db()
        later = webhook_fan_out(event_type="contact.created", data=dict)

    assert first.result == "retry"
    assert not subscription.is_active
    assert subscription.disabled_at is not None
    assert later == []


def test_a_success_ends_the_failure_streak(alpha, receiver):
    receiver.script(Reply(500), Reply(200))
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver)
        webhook_fan_out(event_type="contact.created", data=dict)
        delivery = _one_delivery(subscription)
        webhook_delivery_attempt(delivery_id=delivery.pk)
        _due(delivery)
        webhook_delivery_attempt(delivery_id=delivery.pk)
        subscription.refresh_from_db()

    assert subscription.failing_since is None


def test_a_failed_delivery_is_redelivered_with_the_same_event(alpha, receiver):
    receiver.script(Reply(400), Reply(200))
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver)
        webhook_fan_out(event_type="contact.created", data=lambda: {"x": 1})
        failed = _one_delivery(subscription)
        webhook_delivery_attempt(delivery_id=failed.pk)

        copy = webhook_redeliver(delivery=failed)
        outcome = webhook_delivery_attempt(delivery_id=copy.pk)

    assert outcome.result == "succeeded"
    assert copy.event_id == failed.event_id
    assert receiver.requests[0].body == receiver.requests[1].body


def test_failures_in_a_time_range_are_redelivered_together(alpha, receiver):
    receiver.script(Reply(400))
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver)
        for n in range(3):
            webhook_fan_out(event_type="contact.created", data=lambda n=n: {"n": n})
        for delivery in WebhookDelivery.objects.filter(subscription=subscription):
            webhook_delivery_attempt(delivery_id=delivery.pk)
        now = timezone.now()

        count = webhook_redeliver_failed(
            subscription=subscription, since=now - timedelta(hours=1), until=now
        )
        outside = webhook_redeliver_failed(
            subscription=subscription,
            since=now - timedelta(hours=3),
            until=now - timedelta(hours=2),
        )
        pending = WebhookDelivery.objects.filter(
            subscription=subscription, status=WebhookDelivery.Status.PENDING
        ).count()

    assert (count, outside, pending) == (3, 0, 3)


def test_ordered_subscriptions_send_a_tickets_events_one_at_a_time(alpha, receiver):
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver, ordered=True)
        webhook_fan_out(event_type="contact.created", data=lambda: {"n": 1}, ordering_key="T1")
        webhook_fan_out(event_type="contact.created", data=lambda: {"n": 2}, ordering_key="T1")
        first, second = WebhookDelivery.objects.filter(subscription=subscription).order_by("id")

        early = webhook_delivery_attempt(delivery_id=second.pk)
        webhook_delivery_attempt(delivery_id=first.pk)
        late = webhook_delivery_attempt(delivery_id=second.pk)

    assert (early.result, late.result) == ("skipped", "succeeded")
    assert [json.loads(r.body)["data"]["n"] for r in receiver.requests] == [1, 2]


def test_during_a_rotation_both_secrets_sign(alpha, receiver):
    with tenant_scope(alpha.tenant):
        subscription, old = _subscribe(receiver)
        new = webhook_secret_rotate(subscription=subscription)
        delivery = webhook_test_send(subscription=subscription)
        webhook_delivery_attempt(delivery_id=delivery.pk)

    [request] = receiver.requests
    header = {k.lower(): v for k, v in request.headers.items()}["x-tiktickets-signature"]
    assert new != old
    assert verify(new, header, request.body)
    assert verify(old, header, request.body)
    assert json.loads(request.body)["type"] == "ping"


def test_an_internal_target_is_refused_at_send_time_and_not_retried(alpha, receiver, settings):
    with tenant_scope(alpha.tenant):
        subscription, _secret = _subscribe(receiver)
        webhook_fan_out(event_type="contact.created", data=dict)
        settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = []  # the name now resolves to loopback only

        outcome = webhook_delivery_attempt(delivery_id=_one_delivery(subscription).pk)
        log = list(_one_delivery(subscription).log.all())

    assert outcome.result == "failed"
    assert log[0].error == "unsafe_url"
    assert receiver.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/",
        "http://[::1]/hook",
        "http://localhost/hook",
    ],
)
def test_internal_targets_are_refused_when_subscribing(alpha, url):
    from core.exceptions import FieldValidationError

    with tenant_scope(alpha.tenant), pytest.raises(FieldValidationError) as refused:
        webhook_create(by=AdminFactory(), name="x", url=url, event_types=["contact.created"])

    assert "url" in refused.value.extra["fields"]


def test_events_reach_only_their_tenants_subscriptions(alpha, beta, receiver):
    with tenant_scope(beta.tenant):
        beta_subscription, _secret = _subscribe(receiver)
    with tenant_scope(alpha.tenant):
        alpha_subscription, _secret = _subscribe(receiver)
        created = webhook_fan_out(event_type="contact.created", data=dict)

    assert [d.subscription_id for d in created] == [alpha_subscription.pk]
    with tenant_scope(beta.tenant):
        assert not WebhookDelivery.objects.filter(subscription=beta_subscription).exists()


def test_without_subscriptions_an_event_costs_one_query(alpha, django_assert_num_queries):
    with tenant_scope(alpha.tenant):
        WebhookSubscription.objects.exists()  # the schema is set once per connection
        with django_assert_num_queries(1):
            assert webhook_fan_out(event_type="contact.created", data=dict) == []
