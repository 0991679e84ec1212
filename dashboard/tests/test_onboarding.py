"""The getting-started checklist on an empty inbox: admins only, each step ticked from real
data (a queue, a connected channel, another user, a message through the web chat) and
remembered, hidden for the whole tenant by an admin, one tenant never affecting another; and
the connection pages explain where every value their form asks for comes from."""

from __future__ import annotations

import re

import pytest

from accounts.models import User
from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api, signed_in_client
from connections.models import ChannelConnection
from connections.providers.registry import PROVIDERS, provider_for
from dashboard.manage.connection_forms import credential_form_fields
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tickets.models import Queue
from tickets.tests.factories import ConnectionFactory, MessageFactory, QueueFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _done(html: str) -> dict[str, bool]:
    return {
        key: value == "true"
        for key, value in re.findall(r'data-testid="onboarding-step-(\w+)" data-done="(\w+)"', html)
    }


def _fresh(fixture) -> None:
    """The fixture tenant as a new one: no queue, connection or user but its first admin."""
    with tenant_scope(fixture.tenant):
        Queue.objects.all().delete()
        ChannelConnection.objects.all().delete()


@pytest.fixture
def admin(alpha):
    """The tenant's first admin (its only user)."""
    _fresh(alpha)
    with tenant_scope(alpha.tenant):
        return User.objects.get(email=alpha.admin_email)


def test_the_empty_inbox_loads_the_checklist_for_admins_only(alpha, admin):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    inbox = signed_in_client(alpha, admin, alpha.admin_password).get("/").content.decode()
    assert 'data-testid="onboarding-slot"' in inbox
    assert 'hx-get="/onboarding/"' in inbox

    agent_client = signed_in_client(alpha, agent)
    assert 'data-testid="onboarding-slot"' not in agent_client.get("/").content.decode()
    assert agent_client.get("/onboarding/").status_code == 403
    assert agent_client.post("/onboarding/dismiss/").status_code == 403


def test_each_step_is_ticked_from_real_data_and_stays_ticked(alpha, admin):
    client = signed_in_client(alpha, admin, alpha.admin_password)
    with tenant_scope(alpha.tenant):
        assert not User.objects.exclude(pk=admin.pk).exists()

    first = client.get("/onboarding/", **HTMX).content.decode()
    assert _done(first) == {"queue": False, "channel": False, "agent": False, "widget": False}
    assert 'data-testid="onboarding-progress">0 de 4' in first
    assert 'href="/manage/connections/new/telegram/"' in first
    assert 'data-testid="onboarding-widget-create"' in first

    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        ConnectionFactory(provider="telegram", status=ChannelConnection.Status.PENDING)
    assert _done(client.get("/onboarding/").content.decode())["queue"] is True
    with tenant_scope(alpha.tenant):
        queue.delete()  # the step was seen done: it stays ticked
        webchat = ConnectionFactory(provider="webchat", status=ChannelConnection.Status.CONNECTED)
        UserFactory()
    page = client.get("/onboarding/").content.decode()
    assert _done(page) == {"queue": True, "channel": True, "agent": True, "widget": False}
    assert f'href="/widget/{webchat.public_id}/try/"' in page

    with tenant_scope(alpha.tenant):
        MessageFactory(ticket=TicketFactory(connection=webchat))
    assert client.get("/onboarding/").content == b""  # every step done: nothing left to show
    with public_scope():
        stored = Tenant.objects.get(pk=alpha.tenant.pk).settings
    assert stored["onboarding_done"] == ["agent", "channel", "queue", "widget"]


def test_an_outbound_or_other_channel_message_does_not_tick_the_widget(alpha, admin):
    client = signed_in_client(alpha, admin, alpha.admin_password)
    with tenant_scope(alpha.tenant):
        telegram = ConnectionFactory(provider="telegram")
        MessageFactory(ticket=TicketFactory(connection=telegram))
        webchat_ticket = TicketFactory(connection=ConnectionFactory(provider="webchat"))
        MessageFactory(ticket=webchat_ticket, direction="out", sender="agent", sender_contact=None)
    assert _done(client.get("/onboarding/").content.decode())["widget"] is False


def test_an_admin_hides_it_for_the_tenant_and_not_for_another(alpha, beta, admin):
    _fresh(beta)
    with tenant_scope(alpha.tenant):
        other_admin = AdminFactory()
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    client = signed_in_client(alpha, admin, alpha.admin_password)

    hidden = client.post("/onboarding/dismiss/", **HTMX)

    assert hidden.status_code == 200
    assert hidden.content == b""
    assert signed_in_client(alpha, other_admin).get("/onboarding/").content == b""
    beta_page = signed_in_client(beta, beta_admin).get("/onboarding/").content.decode()
    assert 'data-testid="onboarding"' in beta_page
    with public_scope():
        assert Tenant.objects.get(pk=alpha.tenant.pk).settings["onboarding_dismissed"] is True
        assert "onboarding_dismissed" not in (Tenant.objects.get(pk=beta.tenant.pk).settings or {})


def test_the_checklists_state_is_not_a_setting_anyone_may_change(alpha, api_alpha):
    api = sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)

    listed = {row["key"] for row in api.get("/api/v1/settings/").json()}
    refused = api.patch("/api/v1/settings/", {"onboarding_dismissed": True}, format="json")

    assert not listed & {"onboarding_dismissed", "onboarding_done"}
    assert refused.status_code == 400
    assert set(refused.json()) == {"code", "message", "extra"}


@pytest.mark.parametrize("provider", list(PROVIDERS))
def test_each_connection_page_explains_every_value_its_form_asks(alpha, admin, provider, settings):
    settings.EVOLUTION_API_URL = "http://127.0.0.1:9/evolution"  # WhatsApp QR's gateway
    page = signed_in_client(alpha, admin, alpha.admin_password).get(
        f"/manage/connections/new/{provider}/"
    )

    assert page.status_code == 200
    html = page.content.decode()
    guide = html.split('data-testid="connection-guide"', 1)[1].split("</section>", 1)[0]
    assert "<li>" in guide, provider
    fields = credential_form_fields(provider_for(provider))
    for field in fields.values():
        assert f"“{field.label}”" in guide, (provider, field.label)
