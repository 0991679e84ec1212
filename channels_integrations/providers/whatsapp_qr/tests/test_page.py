"""The connection's page of a WhatsApp QR number: the QR code while it waits, the number once
connected, the session actions (log out confirmed), the history; a pairing code on demand."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from channels_integrations.providers.whatsapp_qr.tests.support import (
    instance_of,
    qr_connection,
    webhooks_processed,
)
from conftest import sign_in
from connections.models import ChannelConnection
from tenants.tenancy import tenant_scope


@pytest.fixture
def signed_in(alpha, client_alpha):
    return sign_in(client_alpha, alpha.admin_email, alpha.admin_password)


def _page(client, connection):
    return client.get(f"/manage/connections/{connection.public_id}/").content.decode()


def test_the_page_shows_the_qr_then_the_connected_number(
    alpha, gateway, signed_in, django_capture_on_commit_callbacks
):
    connection = qr_connection(alpha.tenant)
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)

    waiting = _page(signed_in, connection)
    assert 'data-testid="session-qr"' in waiting
    assert 'src="data:image/png;base64,' in waiting
    assert "session-logout" not in waiting
    assert connection.webhook_token not in waiting  # the gateway is configured by us

    gateway.evolution.scan(instance_of(connection), number="5511977776666", profile_name="Ana")
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)

    connected = _page(signed_in, connection)
    assert "+5511977776666" in connected
    assert 'data-testid="session-profile">Ana<' in connected
    assert 'src="data:image/png' not in connected
    logout = connected.split('data-testid="session-logout"')[0].rsplit("<form", 1)[1]
    assert "data-confirm=" in logout


def test_the_pairing_code_form_and_a_wrong_number(alpha, gateway, signed_in):
    connection = qr_connection(alpha.tenant)
    url = f"/manage/connections/{connection.public_id}/reconnect/"

    wrong = signed_in.post(url, {"number": "12"}, follow=True)
    assert "número completo do celular" in wrong.content.decode()  # the tenant reads pt-BR
    assert not [r for r in gateway.requests if r.method == "connect"]

    page = signed_in.post(url, {"number": "+55 11 98888-7777"}, follow=True).content.decode()
    [connect] = [r for r in gateway.requests if r.method == "connect"]
    assert 'data-testid="session-pairing-code"' in page
    pairing = page.split('id="session-pairing-value">', 1)[1].split("<", 1)[0]
    assert pairing == gateway.evolution.instances[instance_of(connection)].pairing_code
    assert pairing


def test_agents_cannot_act_on_the_session(alpha, gateway, client_alpha):
    connection = qr_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        email = UserFactory().email
    agent = sign_in(client_alpha, email)
    response = agent.post(f"/manage/connections/{connection.public_id}/logout/")
    assert response.status_code in (302, 403)
    assert not [r for r in gateway.requests if r.method == "logout"]
    with tenant_scope(alpha.tenant):
        assert ChannelConnection.objects.get().status == ChannelConnection.Status.PENDING
