"""Admin pages for connections: a web chat created through the page shows its script tag, bad
input is shown next to its field and stores nothing, enable/disable go through the services,
agents are refused, and another tenant's connection is not reachable."""

from __future__ import annotations

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from connections.models import ChannelConnection
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory


def _admin(fixture):
    with tenant_scope(fixture.tenant):
        return AdminFactory()


def test_agents_are_refused(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    client = signed_in_client(alpha, agent)
    assert client.get("/manage/connections/").status_code == 403
    assert client.get("/manage/connections/new/webchat/").status_code == 403


def test_a_web_chat_created_on_the_page_shows_its_script_tag(alpha):
    client = signed_in_client(alpha, _admin(alpha))
    response = client.post(
        "/manage/connections/new/webchat/",
        {"name": "Loja", "allowed_origins": "https://loja.example.com", "title": "Fale conosco"},
    )
    assert response.status_code == 302
    with tenant_scope(alpha.tenant):
        widget = ChannelConnection.objects.get(name="Loja")
    assert widget.status == ChannelConnection.Status.CONNECTED
    page = client.get(response["Location"]).content.decode()
    assert f"/widget/{widget.public_id}.js" in page
    assert 'data-testid="connection-snippet"' in page
    listing = client.get("/manage/connections/").content.decode()
    assert "Loja" in listing


def test_an_invalid_origin_is_shown_next_to_its_field_and_nothing_is_stored(alpha):
    client = signed_in_client(alpha, _admin(alpha))
    response = client.post(
        "/manage/connections/new/webchat/", {"name": "Ruim", "allowed_origins": "not a url"}
    )
    assert response.status_code == 400
    assert 'class="form-row has-error"' in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert not ChannelConnection.objects.filter(name="Ruim").exists()


def test_a_telegram_form_asks_for_the_bot_token(alpha):
    client = signed_in_client(alpha, _admin(alpha))
    page = client.get("/manage/connections/new/telegram/").content.decode()
    assert 'name="bot_token"' in page
    assert 'type="password"' in page
    assert client.get("/manage/connections/new/fax/").status_code == 404


def test_disable_and_enable_go_through_the_services(alpha):
    client = signed_in_client(alpha, _admin(alpha))
    created = client.post(
        "/manage/connections/new/webchat/",
        {"name": "Loja", "allowed_origins": "https://loja.example.com", "title": "Oi"},
    )
    assert created.status_code == 302, created.content.decode()[-3000:]
    with tenant_scope(alpha.tenant):
        widget = ChannelConnection.objects.get(name="Loja")
    client.post(f"/manage/connections/{widget.public_id}/disable/")
    with tenant_scope(alpha.tenant):
        assert not ChannelConnection.objects.get(pk=widget.pk).is_active
    client.post(f"/manage/connections/{widget.public_id}/enable/")
    with tenant_scope(alpha.tenant):
        assert ChannelConnection.objects.get(pk=widget.pk).is_active


def test_another_tenants_connection_is_not_reachable(alpha, beta):
    with tenant_scope(beta.tenant):
        theirs = ConnectionFactory(name="Deles")
    client = signed_in_client(alpha, _admin(alpha))
    assert client.get(f"/manage/connections/{theirs.public_id}/").status_code == 404
    assert client.post(f"/manage/connections/{theirs.public_id}/disable/").status_code == 404
    assert "Deles" not in client.get("/manage/connections/").content.decode()


def test_the_web_chat_form_needs_only_a_name_and_picks_its_colour(alpha):
    client = signed_in_client(alpha, _admin(alpha))
    page = client.get("/manage/connections/new/webchat/").content.decode()
    assert 'type="color" name="color"' in page

    response = client.post(
        "/manage/connections/new/webchat/", {"name": "Só o nome", "color": "#aa3366"}
    )

    assert response.status_code == 302
    with tenant_scope(alpha.tenant):
        widget = ChannelConnection.objects.get(name="Só o nome")
    assert widget.credentials["color"] == "#aa3366"
    assert widget.credentials["allowed_origins"] == []


def test_the_web_chat_preview_page_fits_a_phone(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        widget = ConnectionFactory(provider="webchat", credentials={"allowed_origins": []})
    page = signed_in_client(alpha, admin).get(f"/widget/{widget.public_id}/try/")
    assert page.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in (
        page.content.decode()
    )


def test_whatsapp_by_qr_code_is_offered_only_where_a_gateway_is_configured(alpha, settings):
    client = signed_in_client(alpha, _admin(alpha))

    settings.EVOLUTION_API_URL = ""
    page = client.get("/manage/connections/").content.decode()
    assert "/manage/connections/new/whatsapp_qr/" not in page
    assert "/manage/connections/new/telegram/" in page
    assert client.get("/manage/connections/new/whatsapp_qr/").status_code == 404

    settings.EVOLUTION_API_URL = "http://127.0.0.1:9/evolution"
    page = client.get("/manage/connections/").content.decode()
    assert "/manage/connections/new/whatsapp_qr/" in page
    assert client.get("/manage/connections/new/whatsapp_qr/").status_code == 200
