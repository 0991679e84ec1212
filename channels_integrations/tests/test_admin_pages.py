"""The tenant Django admin shows the pipelines' records read-only, and connection state that
only the services may change (routes and webhooks follow it) is not editable there."""

import pytest

from channels_integrations.models import OutboundDelivery
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.tests.sample_provider import SampleProvider
from channels_integrations.tests.support import body_of, sample_connection, text_item
from conftest import sign_in
from tenants.tenancy import tenant_scope
from tickets.tests.factories import MessageFactory, TicketFactory


@pytest.fixture
def signed_in(alpha, client_alpha):
    return sign_in(client_alpha, alpha.admin_email, alpha.admin_password)


@pytest.fixture
def records(alpha, sample_providers):
    connection = sample_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        inbound_events_record(
            connection=connection,
            items=SampleProvider().parse_inbound(body_of(text_item("evt-123"))),
        )
        message = MessageFactory(ticket=TicketFactory(connection=connection), direction="out")
        OutboundDelivery.objects.create(
            message=message, connection=connection, idempotency_key="msg-key-1"
        )
    return connection


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("/admin/channels_integrations/inboundevent/", "evt-123"),
        ("/admin/channels_integrations/outbounddelivery/", "pending"),
    ],
)
def test_pipeline_records_are_listed_and_read_only(records, signed_in, url, shown):
    response = signed_in.get(url)

    assert response.status_code == 200
    assert shown in response.content.decode()
    assert not response.context["has_add_permission"]


def test_status_and_activation_are_not_editable_in_the_admin(alpha, records, signed_in):
    page = signed_in.get(f"/admin/connections/channelconnection/{records.pk}/change/")

    fields = page.context["adminform"].form.fields
    assert "name" in fields
    for field in ("status", "is_active", "provider", "credentials_encrypted", "webhook_token"):
        assert field not in fields
