"""The web chat widget's settings and embedding: connections API, loader script, framed page
with ``frame-ancestors``, the preview page and the demo seed."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import call_command

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.tests.webchat_support import base, make_widget
from conftest import host_api_client, host_client, signed_in_client
from connections.models import ChannelConnection
from contacts.models import Tag
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_scope
from tickets.models import Queue, QuickReply


@pytest.fixture
def widget(alpha):
    return make_widget(
        alpha.tenant, allowed_origins=["https://loja.example.com"], title="Fale conosco"
    )


def _api(fixture, user):
    client = host_api_client(fixture.host)
    client.force_authenticate(user)
    return client


# ------------------------------------------------------------------ settings


def test_an_admin_creates_a_widget_through_the_connections_api_and_gets_the_snippet(alpha):
    with tenant_scope(alpha.tenant):
        admin, agent = AdminFactory(), UserFactory()
    created = _api(alpha, admin).post(
        "/api/v1/connections/",
        {
            "provider": "webchat",
            "name": "Loja",
            "credentials": {
                "allowed_origins": ["https://loja.example.com", "https://Blog.Example.com/"],
                "title": "Fale conosco",
                "color": "#0b7a5c",
                "welcome": "Oi! Como podemos ajudar?",
            },
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    public_id = body["id"]
    assert body["status"] == "connected"
    assert body["details"] == {
        "allowed_origins": ["https://loja.example.com", "https://blog.example.com"],
        "title": "Fale conosco",
        "color": "#0b7a5c",
        "welcome": "Oi! Como podemos ajudar?",
    }
    assert body["embed_snippet"] == (
        f'<script src="http://{alpha.host}/widget/{public_id}.js" async></script>'
    )
    assert body["webhook_url"] == ""
    # Agents see the connection, not its settings nor the snippet.
    seen = _api(alpha, agent).get(f"/api/v1/connections/{public_id}/").json()
    assert "embed_snippet" not in seen
    assert "details" not in seen
    # Behind the TLS proxy the snippet is https.
    secure = _api(alpha, admin).get(f"/api/v1/connections/{public_id}/", secure=True)
    assert secure.json()["embed_snippet"].startswith(f'<script src="https://{alpha.host}/widget/')


def test_other_providers_have_no_snippet(alpha, sample_providers):
    from channels_integrations.tests.support import sample_connection

    connection = sample_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    shown = _api(alpha, admin).get(f"/api/v1/connections/{connection.public_id}/").json()
    assert shown["provider"] == "sample"
    assert shown["embed_snippet"] == ""


def test_settings_are_validated_when_the_connection_is_created(alpha):
    with pytest.raises(FieldValidationError) as error:
        make_widget(alpha.tenant, allowed_origins=["https://site.example.com/path", "ftp://x"])
    assert "allowed_origins" in error.value.extra["fields"]["credentials"]
    with pytest.raises(FieldValidationError) as error:
        make_widget(alpha.tenant, color="red")
    assert "color" in error.value.extra["fields"]["credentials"]
    with tenant_scope(alpha.tenant):
        assert not ChannelConnection.objects.exists()
    normalized = make_widget(alpha.tenant, allowed_origins=["https://Site.Example.com:8443/"])
    with tenant_scope(alpha.tenant):
        assert normalized.details["allowed_origins"] == ["https://site.example.com:8443"]


# ------------------------------------------------------------------ loader and framed page


def test_the_loader_is_a_cached_script_with_the_frame_url_and_allowed_origins(alpha, widget):
    response = host_client(alpha.host).get(f"/widget/{widget.public_id}.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.content.decode()
    assert f"http://{alpha.host}/widget/{widget.public_id}/" in body
    assert '"origins": ["https://loja.example.com"]' in body
    assert "tt-webchat-launcher" in body
    assert "aria-label" in body
    missing = host_client(alpha.host).get(f"/widget/{uuid.uuid4()}.js")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/javascript; charset=utf-8"


def test_frame_ancestors_follow_each_connections_allowed_origins(alpha):
    two = make_widget(alpha.tenant, allowed_origins=["https://a.example.com", "https://b.example"])
    nobody = make_widget(alpha.tenant)
    policy = host_client(alpha.host).get(base(two))["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://a.example.com https://b.example;" in policy
    closed = host_client(alpha.host).get(base(nobody))
    assert closed.status_code == 200
    assert "frame-ancestors 'self';" in closed["Content-Security-Policy"]
    assert "X-Frame-Options" not in closed  # frame-ancestors governs framing here
    assert closed["Cache-Control"] == "no-store"


def test_the_page_carries_the_settings_and_stable_test_ids(alpha, widget):
    page = host_client(alpha.host).get(base(widget)).content.decode()
    assert "<title>Fale conosco</title>" in page
    for test_id in (
        "tt-webchat-name",
        "tt-webchat-email",
        "tt-webchat-phone",
        "tt-webchat-start",
        "tt-webchat-messages",
        "tt-webchat-text",
        "tt-webchat-send",
    ):
        assert f'data-testid="{test_id}"' in page


def test_a_disabled_or_other_tenants_widget_is_not_found(alpha, beta, widget):
    assert host_client(beta.host).get(base(widget)).status_code == 404
    assert host_client(beta.host).get(f"/widget/{widget.public_id}.js").status_code == 404
    with tenant_scope(alpha.tenant):
        ChannelConnection.objects.filter(pk=widget.pk).update(is_active=False)
    assert host_client(alpha.host).get(base(widget)).status_code == 404
    assert host_client(alpha.host).get(f"/widget/{widget.public_id}.js").status_code == 404


# ------------------------------------------------------------------ preview page and demo


def test_the_preview_page_is_for_the_tenants_admins(alpha, beta, widget, settings):
    url = base(widget) + "try/"
    assert host_client(alpha.host).get(url).status_code == 404
    with tenant_scope(alpha.tenant):
        admin, agent = AdminFactory(), UserFactory()
    assert signed_in_client(alpha, agent).get(url).status_code == 404
    page = signed_in_client(alpha, admin).get(url)
    assert page.status_code == 200
    assert f'<script src="/widget/{widget.public_id}.js" async></script>' in page.content.decode()
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    assert signed_in_client(beta, beta_admin).get(url).status_code == 404  # not beta's widget
    settings.DEBUG = True
    assert host_client(alpha.host).get(url).status_code == 200


def test_the_demo_seed_creates_an_embeddable_widget_for_its_own_host(alpha):
    call_command("seed_demo_content", "--slug", "alpha", "--port", "8123", stdout=None)
    with tenant_scope(alpha.tenant):
        widget = ChannelConnection.objects.get(provider="webchat")
        assert widget.is_active
        assert widget.status == ChannelConnection.Status.CONNECTED
        assert widget.details["allowed_origins"] == [f"http://{alpha.host}:8123"]
        # Something to work with in the dashboard: queues, shared quick replies, tags.
        assert set(Queue.objects.values_list("name", flat=True)) == {"Atendimento", "Financeiro"}
        assert set(QuickReply.objects.filter(owner=None).values_list("shortcode", flat=True)) == {
            "ola",
            "pix",
            "prazo",
        }
        assert Tag.objects.count() == 3
    policy = host_client(alpha.host).get(base(widget))["Content-Security-Policy"]
    assert f"frame-ancestors 'self' http://{alpha.host}:8123;" in policy


def test_a_widget_made_before_settings_were_copied_to_details_still_reads_them(alpha, widget):
    with tenant_scope(alpha.tenant):
        ChannelConnection.objects.filter(pk=widget.pk).update(details={})
    page = host_client(alpha.host).get(base(widget))
    assert "frame-ancestors 'self' https://loja.example.com;" in page["Content-Security-Policy"]
    assert "<title>Fale conosco</title>" in page.content.decode()
