"""/manage/webhooks/: admins subscribe (the secret shown once), see a notice for subscriptions
switched off after failing, switch them on again, send a test event, read the delivery log,
redeliver and delete after a confirmation; agents and other tenants see nothing."""

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services.webhooks import webhook_create, webhook_fan_out
from tenants.tenancy import tenant_scope

URL = "/manage/webhooks/"


@pytest.fixture
def admin(alpha):
    with tenant_scope(alpha.tenant):
        return AdminFactory()


@pytest.fixture
def subscription(alpha, admin, settings):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with tenant_scope(alpha.tenant):
        created, _secret = webhook_create(
            by=admin, name="ERP", url="http://127.0.0.1:9/h", event_types=["ticket.closed"]
        )
    return created


def test_an_admin_subscribes_and_sees_the_secret_once(alpha, admin):
    client = signed_in_client(alpha, admin)

    created = client.post(
        URL,
        {
            "name": "ERP",
            "url": "https://93.184.215.14/hooks",
            "format": "standard",
            "event_types": ["message.created", "ticket.closed"],
        },
    )
    listed = client.get(URL)

    assert created.status_code == 200, created.content
    secret = created.context["secret"]
    assert secret.startswith("whsec_")
    assert secret not in listed.content.decode()
    assert 'data-testid="webhook-row"' in listed.content.decode()


def test_an_internal_url_is_refused_next_to_the_field(alpha, admin):
    client = signed_in_client(alpha, admin)

    response = client.post(
        URL,
        {
            "name": "x",
            "url": "http://10.0.0.1/h",
            "format": "standard",
            "event_types": ["ticket.closed"],
        },
    )

    assert response.status_code == 400
    assert response.context["form"].errors["url"]
    with tenant_scope(alpha.tenant):
        assert not WebhookSubscription.objects.exists()


def test_a_switched_off_subscription_shows_a_notice_and_switches_on_again(
    alpha, admin, subscription
):
    with tenant_scope(alpha.tenant):
        WebhookSubscription.objects.update(
            is_active=False,
            disabled_at=timezone.now(),
            disabled_reason="failing for 24 hours",
            failing_since=timezone.now(),
        )
    client = signed_in_client(alpha, admin)

    listed = client.get(URL)
    enabled = client.post(f"{URL}{subscription.public_id}/enable/")

    assert 'data-testid="webhook-disabled-notice"' in listed.content.decode()
    assert enabled.status_code == 302
    with tenant_scope(alpha.tenant):
        subscription.refresh_from_db()
    assert subscription.is_active
    assert subscription.failing_since is None


def test_the_log_shows_deliveries_and_the_test_event_and_redelivery_queue_more(
    alpha, admin, subscription, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        for _n in range(3):
            webhook_fan_out(event_type="ticket.closed", data=dict)
        WebhookDelivery.objects.update(status="failed")
        failed = WebhookDelivery.objects.first()
    client = signed_in_client(alpha, admin)
    page = f"{URL}{subscription.public_id}/"

    client.get(page)
    # Session, user, subscription, deliveries, their attempts (one query), the notices... (the
    # search path is already the tenant's)
    with django_assert_num_queries(5):
        log = client.get(page)
    tested = client.post(f"{page}test/")
    again = client.post(f"{page}deliveries/{failed.public_id}/redeliver/")

    assert log.content.decode().count('data-testid="delivery-row"') == 3
    assert tested.status_code == 302
    assert again.status_code == 302
    with tenant_scope(alpha.tenant):
        assert WebhookDelivery.objects.filter(event_type="ping").count() == 1
        assert WebhookDelivery.objects.filter(event_id=failed.event_id).count() == 2


def test_deleting_asks_first(alpha, admin, subscription):
    client = signed_in_client(alpha, admin)
    url = f"{URL}{subscription.public_id}/delete/"

    asked = client.get(url)
    with tenant_scope(alpha.tenant):
        assert WebhookSubscription.objects.exists()
    done = client.post(url)

    assert b"webhook-delete-form" in asked.content
    assert done.status_code == 302
    with tenant_scope(alpha.tenant):
        assert not WebhookSubscription.objects.exists()


def test_agents_are_refused_and_other_tenants_do_not_reach_it(alpha, beta, subscription):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()

    assert signed_in_client(alpha, agent).get(URL).status_code == 403
    beta_client = signed_in_client(beta, beta_admin)
    assert beta_client.get(f"{URL}{subscription.public_id}/").status_code == 404
    assert beta_client.post(f"{URL}{subscription.public_id}/test/").status_code == 404
