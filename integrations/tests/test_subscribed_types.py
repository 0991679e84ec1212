"""The event types the webhook subscriptions want, kept in the tenant's Redis: an event nobody
subscribed to costs no query, and every change of a subscription is seen by the next event,
in every process, with no window after its commit."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AdminFactory
from core.redis import redis_client
from integrations.models import WebhookSubscription
from integrations.services.webhooks import webhook_create, webhook_delete, webhook_update
from integrations.subscribed_types import _keys, subscribed_event_types
from tenants.tenancy import tenant_scope


@pytest.fixture(autouse=True)
def loopback(settings):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]


def _create(types=("message.created",)):
    subscription, _secret = webhook_create(
        by=AdminFactory(), name="crm", url="http://127.0.0.1:9/hook", event_types=list(types)
    )
    return subscription


def test_once_kept_nobody_subscribed_costs_no_query(alpha):
    with tenant_scope(alpha.tenant):
        assert subscribed_event_types() == frozenset()  # reads the table, keeps the answer

        with CaptureQueriesContext(db) as queries:
            assert subscribed_event_types() == frozenset()

    assert len(queries) == 0


def test_every_change_of_a_subscription_is_seen_at_once(alpha, django_capture_on_commit_callbacks):
    with tenant_scope(alpha.tenant):
        assert subscribed_event_types() == frozenset()
        with django_capture_on_commit_callbacks(execute=True):
            subscription = _create(["message.created", "ticket.closed"])
        assert subscribed_event_types() == {"message.created", "ticket.closed"}

        with django_capture_on_commit_callbacks(execute=True):
            webhook_update(subscription=subscription, event_types=["ticket.closed"])
        assert subscribed_event_types() == {"ticket.closed"}

        with django_capture_on_commit_callbacks(execute=True):
            webhook_update(subscription=subscription, is_active=False)
        assert subscribed_event_types() == frozenset()

        with django_capture_on_commit_callbacks(execute=True):
            webhook_update(subscription=subscription, is_active=True)
        assert subscribed_event_types() == {"ticket.closed"}

        with django_capture_on_commit_callbacks(execute=True):
            webhook_delete(subscription=subscription)
        assert subscribed_event_types() == frozenset()


def test_types_read_before_a_commit_are_not_trusted_after_it(
    alpha, django_capture_on_commit_callbacks
):
    """Another process read the table before the subscription committed and kept what it saw
    under the version current then: once committed, that version is gone."""
    with tenant_scope(alpha.tenant):
        version_key, types_key = _keys()
        with django_capture_on_commit_callbacks(execute=True):
            _create()
            # What the other process stores: the version current before the commit, and the
            # table as it saw it (without the new subscription).
            before_commit = redis_client().get(version_key)
            redis_client().set(types_key, f"{before_commit}|")

        assert subscribed_event_types() == {"message.created"}


def test_a_subscription_made_without_the_services_is_seen_too(alpha):
    """The admin, a data fix or a factory saving the row directly."""
    with tenant_scope(alpha.tenant):
        assert subscribed_event_types() == frozenset()
        WebhookSubscription.objects.create(
            name="direct", url="http://127.0.0.1:9/h", event_types=["contact.created"]
        )

        assert subscribed_event_types() == {"contact.created"}


def test_each_tenant_keeps_its_own_types(alpha, beta, django_capture_on_commit_callbacks):
    with tenant_scope(beta.tenant):
        assert subscribed_event_types() == frozenset()
    with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        _create()

    with tenant_scope(alpha.tenant):
        assert subscribed_event_types() == {"message.created"}
    with tenant_scope(beta.tenant):
        assert subscribed_event_types() == frozenset()


def test_without_redis_the_table_is_read(alpha, settings):
    with tenant_scope(alpha.tenant):
        _create()
        settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

        with CaptureQueriesContext(db) as queries:
            assert subscribed_event_types() == {"message.created"}

    assert len(queries) == 1
