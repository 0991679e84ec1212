"""End to end through a real Celery worker: a committed change publishes its event, the
worker delivers it to the loopback receiver, a 500 is retried after its back-off, and the
signature verifies."""

from __future__ import annotations

import json
import time

import pytest

from accounts.models import User
from accounts.tests.factories import AdminFactory
from contacts.models import Contact
from contacts.services import contact_create
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services.webhooks import webhook_create
from integrations.tests.receiver import Reply, receiver_running
from integrations.tests.test_webhook_delivery import verify
from tenants.tenancy import tenant_scope
from tests.support.celery_worker import celery_worker_running
from tests.support.concurrency import in_thread


@pytest.fixture(scope="module")
def webhook_worker(django_db_setup, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OUTBOUND_HTTP_ALLOWED_NETWORKS", "127.0.0.1/32")
        patch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "1")
        patch.setenv("WEBHOOK_TIMEOUT_SECONDS", "2")
        with celery_worker_running(tmp_path_factory.mktemp("celery") / "worker.log") as node:
            yield node


def _wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_worker_delivers_retries_and_signs(alpha, webhook_worker, settings):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    tenant = alpha.tenant
    with receiver_running() as receiver:
        receiver.script(Reply(500), Reply(200))

        def seed():
            with tenant_scope(tenant):
                admin = AdminFactory()
                subscription, secret = webhook_create(
                    by=admin, name="ERP", url=receiver.url, event_types=["contact.created"]
                )
                contact = contact_create(name="Worker", phone="+5511955554444")
                return admin.pk, subscription.pk, contact.pk, secret

        admin_pk, subscription_pk, contact_pk, secret = in_thread(seed)

        def cleanup():
            with tenant_scope(tenant):
                WebhookSubscription.objects.filter(pk=subscription_pk).delete()
                Contact.objects.filter(pk=contact_pk).delete()
                User.objects.filter(pk=admin_pk).delete()

        try:
            arrived = _wait_for(lambda: len(receiver.requests) >= 2)
            finished = _wait_for(
                lambda: in_thread(
                    lambda: _status(tenant, subscription_pk) == WebhookDelivery.Status.SUCCEEDED
                ),
                timeout=10,
            )
        finally:
            in_thread(cleanup)

    assert arrived, "the worker did not retry the delivery"
    assert finished
    first, second = receiver.requests[:2]
    assert first.body == second.body
    assert second.at - first.at >= 0.7  # 1 s back-off, -20 % jitter at most
    header = {k.lower(): v for k, v in second.headers.items()}["x-tiktickets-signature"]
    assert verify(secret, header, second.body)
    assert json.loads(second.body)["data"]["phone"] == "+5511955554444"


def _status(tenant, subscription_pk):
    with tenant_scope(tenant):
        return (
            WebhookDelivery.objects.filter(subscription_id=subscription_pk)
            .values_list("status", flat=True)
            .first()
        )
