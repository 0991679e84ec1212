"""Admins manage channel connections over the API: credentials checked with the provider,
encrypted, masked; webhook URL and status shown; the tenant's channel limit respected."""

import json
import logging

import httpx
import pytest
import respx
from django.db import connection as db
from django.utils import translation
from django.utils.crypto import salted_hmac

from accounts.models import User
from accounts.tests.factories import UserFactory
from channels_integrations.domain_events import ConnectionStatusChanged
from channels_integrations.tests.sample_provider import API, sign
from channels_integrations.tests.support import post_webhook, sample_connection
from conftest import sign_in_api
from connections.models import ChannelConnection
from tenants.errors import ChannelAccountTaken
from tenants.models import ChannelRoute, Tenant
from tenants.tenancy import public_scope, tenant_scope
from tickets.tests.factories import ConnectionFactory, QueueFactory, TicketFactory

URL = "/api/v1/connections/"
SECRET = "sample-secret-9876"
STATUS_EVENTS: list[ConnectionStatusChanged] = []
RECORDING_SUBSCRIBERS = {ConnectionStatusChanged: [STATUS_EVENTS.append]}


@pytest.fixture
def admin_api(alpha, api_alpha, sample_providers):
    return sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)


@pytest.fixture
def agent_api(alpha, api_alpha, sample_providers):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    return sign_in_api(api_alpha, agent.email)


@pytest.fixture
def provider_api():
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{API}/check").mock(return_value=httpx.Response(200, json={"name": "Loja"}))
        mock.post(f"{API}/webhook").mock(return_value=httpx.Response(200, json={"ok": True}))
        yield mock


@pytest.fixture
def status_events(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = (
        "channels_integrations.tests.test_connection_admin_api.RECORDING_SUBSCRIBERS"
    )
    STATUS_EVENTS.clear()
    return STATUS_EVENTS


def _create(api, **overrides):
    body = {
        "provider": "sample",
        "name": "Loja",
        "credentials": {"secret": SECRET},
        "greeting_message": "Olá!",
        **overrides,
    }
    return api.post(URL, body, format="json")


def _stored(alpha):
    with tenant_scope(alpha.tenant):
        return list(ChannelConnection.objects.all())


def _routes():
    with public_scope():
        return list(ChannelRoute.objects.values_list("provider", "external_account_id"))


def test_an_admin_creates_a_connection_checked_routed_and_connected(
    alpha, admin_api, provider_api, status_events, settings, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Vendas")

    with django_capture_on_commit_callbacks(execute=True):
        response = _create(admin_api, default_queue=queue.pk)

    assert response.status_code == 201, response.content
    body = response.json()
    [connection] = _stored(alpha)
    token = connection.webhook_token
    assert len(token) >= 40
    assert body["webhook_url"] == f"{settings.WEBHOOK_BASE_URL}/webhooks/sample/{token}/"
    assert (body["status"], body["status_detail"]) == ("connected", "")
    assert body["credentials"] == {"secret": "••••9876", "account": ""}
    assert body["details"] == {"account_name": "Loja"}
    assert body["default_queue"] == {"id": queue.pk, "name": "Vendas"}
    assert SECRET not in response.content.decode()
    assert _routes() == [("sample", token)]
    assert provider_api.calls[-1].request.content == (
        b'{"url":"' + body["webhook_url"].encode() + b'"}'
    )
    assert {event.connection_id for event in status_events} == {connection.pk}
    with tenant_scope(alpha.tenant), db.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM connections_channelconnection")
        assert SECRET not in cursor.fetchone()[0]


def test_the_new_connection_receives_webhooks_at_once(alpha, admin_api, provider_api):
    _create(admin_api)
    [connection] = _stored(alpha)

    body = b'{"items": [{"id": "e1", "from": "chat-1", "text": "oi"}]}'
    assert post_webhook(connection, body, secret=SECRET).status_code == 200


def test_agents_cannot_manage_connections_and_never_see_credentials(alpha, agent_api, provider_api):
    with tenant_scope(alpha.tenant):
        existing = sample_connection(alpha.tenant)

    created = _create(agent_api)
    changed = agent_api.patch(f"{URL}{existing.public_id}/", {"name": "X"}, format="json")
    disabled = agent_api.post(f"{URL}{existing.public_id}/disable/")
    deleted = agent_api.delete(f"{URL}{existing.public_id}/")
    read = agent_api.get(f"{URL}{existing.public_id}/")

    for response in (created, changed, disabled, deleted):
        assert (response.status_code, response.json()["code"]) == (403, "admin_required")
    assert len(_stored(alpha)) == 1
    assert "credentials" not in read.json()
    assert "webhook_url" not in read.json()


def test_credentials_of_the_wrong_shape_are_400_and_the_provider_is_not_asked(
    alpha, admin_api, provider_api
):
    response = _create(admin_api, credentials={"secret": "short"})

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "secret" in response.json()["extra"]["fields"]["credentials"]
    assert provider_api.calls.call_count == 0
    assert _stored(alpha) == []


def test_credentials_the_provider_refuses_are_422_and_nothing_is_stored(
    alpha, admin_api, provider_api
):
    provider_api.post(f"{API}/check").mock(return_value=httpx.Response(401))

    response = _create(admin_api)

    assert response.status_code == 422
    assert response.json()["code"] == "credentials_rejected"
    assert response.json()["extra"]["fields"]["credentials"] == ["sample refused the secret"]
    assert _stored(alpha) == []
    assert _routes() == []


def test_a_provider_outage_is_503_and_nothing_is_stored(alpha, admin_api, provider_api):
    provider_api.post(f"{API}/check").mock(return_value=httpx.Response(502))

    response = _create(admin_api)

    assert (response.status_code, response.json()["code"]) == (503, "provider_unreachable")
    assert _stored(alpha) == []


def test_an_unavailable_provider_or_bad_queue_is_a_field_error(alpha, admin_api, provider_api):
    unknown = _create(admin_api, provider="carrier-pigeon")
    no_queue = _create(admin_api, default_queue=999999)

    with translation.override(unknown["Content-Language"]):  # the tenant's language
        expected = translation.gettext("This kind of channel is not available.")
    assert unknown.json()["extra"]["fields"] == {"provider": [expected]}
    assert "default_queue" in no_queue.json()["extra"]["fields"]
    assert _stored(alpha) == []


def test_a_refused_webhook_registration_shows_as_an_error_with_its_reason(
    alpha, admin_api, provider_api
):
    provider_api.post(f"{API}/webhook").mock(return_value=httpx.Response(400))

    response = _create(admin_api)

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["status_detail"]) == (
        "error",
        "sample refused the webhook",
    )
    provider_api.post(f"{API}/webhook").mock(return_value=httpx.Response(200))
    checked = admin_api.post(f"{URL}{response.json()['id']}/check/")
    assert (checked.json()["status"], checked.json()["status_detail"]) == ("connected", "")


def _set_max_channels(alpha, value):
    with public_scope():  # save(): the change reaches the app's host cache, as the platform's does
        tenant = Tenant.objects.get(pk=alpha.tenant.pk)
        tenant.max_channels = value
        tenant.save(update_fields=["max_channels"])


def test_the_tenants_channel_limit_counts_active_connections(alpha, admin_api, provider_api):
    _set_max_channels(alpha, 1)
    first = _create(admin_api, name="Um")

    refused = _create(admin_api, name="Dois")
    admin_api.post(f"{URL}{first.json()['id']}/disable/")
    allowed = _create(admin_api, name="Três")
    enable_again = admin_api.post(f"{URL}{first.json()['id']}/enable/")

    assert first.status_code == 201
    assert (refused.status_code, refused.json()["code"]) == (409, "channel_limit_reached")
    assert refused.json()["extra"] == {"max_channels": 1}
    assert allowed.status_code == 201
    assert (enable_again.status_code, enable_again.json()["code"]) == (409, "channel_limit_reached")
    assert sorted(c.name for c in _stored(alpha)) == ["Três", "Um"]


def test_disabling_stops_webhooks_and_enabling_restores_them(alpha, admin_api, provider_api):
    created = _create(admin_api).json()
    [connection] = _stored(alpha)
    body = b'{"items": [{"id": "e1", "from": "chat-1", "text": "oi"}]}'

    disabled = admin_api.post(f"{URL}{created['id']}/disable/")
    refused = post_webhook(connection, body, secret=SECRET)
    enabled = admin_api.post(f"{URL}{created['id']}/enable/")
    accepted = post_webhook(connection, body, secret=SECRET)

    assert (disabled.json()["status"], disabled.json()["is_active"]) == ("disabled", False)
    assert refused.status_code == 404
    assert (enabled.json()["status"], enabled.json()["is_active"]) == ("connected", True)
    assert accepted.status_code == 200
    unregister = [c for c in provider_api.calls if c.request.content == b'{"url":""}']
    assert len(unregister) == 1


def test_an_admin_changes_name_and_credentials_which_are_checked_again(
    alpha, admin_api, provider_api
):
    created = _create(admin_api).json()

    changed = admin_api.patch(
        f"{URL}{created['id']}/",
        {"name": "Loja Centro", "credentials": {"secret": "another-secret-4321"}},
        format="json",
    )
    refused = admin_api.patch(
        f"{URL}{created['id']}/", {"credentials": {"secret": "x"}}, format="json"
    )

    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["credentials"]["secret"]) == (
        "Loja Centro",
        "••••4321",
    )
    assert refused.status_code == 400
    [connection] = _stored(alpha)
    assert connection.credentials["secret"] == "another-secret-4321"


def test_a_connection_with_tickets_is_disabled_not_deleted(alpha, admin_api, provider_api):
    kept = _create(admin_api, name="Com tickets").json()
    gone = _create(admin_api, name="Sem tickets").json()
    with tenant_scope(alpha.tenant):
        TicketFactory(connection=ChannelConnection.objects.get(public_id=kept["id"]))

    in_use = admin_api.delete(f"{URL}{kept['id']}/")
    deleted = admin_api.delete(f"{URL}{gone['id']}/")

    assert (in_use.status_code, in_use.json()["code"]) == (409, "connection_in_use")
    assert deleted.status_code == 204
    assert [c.name for c in _stored(alpha)] == ["Com tickets"]
    assert len(_routes()) == 1


def test_an_account_connected_at_another_tenant_is_refused(alpha, beta, admin_api, provider_api):
    sample_connection(beta.tenant, shared=True, account="page-1")

    response = _create(
        admin_api, provider="sample_shared", credentials={"secret": SECRET, "account": "page-1"}
    )

    assert (response.status_code, response.json()["code"]) == (409, "channel_account_taken")
    assert _stored(alpha) == []


# An account connected elsewhere gets one generic refusal, whoever holds it (this tenant,
# another one), so a tenant admin learns nothing about other tenants; each refusal is written
# to the audit logger with a keyed hash of the account id.
GENERIC = "This account cannot be connected here."
GENERIC_PT_BR = "Esta conta não pode ser conectada aqui."  # the tenants' language


def _connect_page(api, account: str):
    body = {
        "provider": "sample_shared",
        "name": "Página",
        "credentials": {"secret": "sample-secret-9876", "account": account},
    }
    return api.post(URL, body, format="json")


def test_an_account_held_elsewhere_and_one_held_here_get_the_same_generic_refusal(
    alpha, beta, admin_api, provider_api
):
    sample_connection(beta.tenant, shared=True, account="page-beta")
    assert _connect_page(admin_api, "page-alpha").status_code == 201

    elsewhere = _connect_page(admin_api, "page-beta")
    here = _connect_page(admin_api, "page-alpha")

    for response in (elsewhere, here):
        assert response.status_code == 409
        assert response.json() == {
            "code": "channel_account_taken",
            "message": GENERIC_PT_BR,
            "extra": {},
        }


def test_each_refusal_is_audit_logged_without_the_raw_account_id(
    alpha, beta, admin_api, provider_api, caplog
):
    sample_connection(beta.tenant, shared=True, account="page-beta")
    with tenant_scope(alpha.tenant):
        admin_id = User.objects.get(email=alpha.admin_email).pk

    with caplog.at_level(logging.WARNING, logger="tiktickets.audit"):
        _connect_page(admin_api, "page-beta")

    [record] = [r for r in caplog.records if r.name == "tiktickets.audit"]
    assert record.levelno == logging.WARNING
    assert record.audit_event == "channel_account_taken"
    assert record.tenant_schema == "alpha"
    assert record.user_id == admin_id
    assert record.provider == "sample_shared"
    assert (
        record.account_hash
        == salted_hmac("tiktickets.audit", "page-beta", algorithm="sha256").hexdigest()
    )
    assert "page-beta" not in record.getMessage()
    assert "page-beta" not in str(vars(record))


def test_the_message_names_nobody():
    with translation.override("en"):
        assert ChannelAccountTaken().message == GENERIC


def test_the_audit_logger_is_configured_to_keep_warnings(settings):
    assert settings.LOGGING["loggers"]["tiktickets.audit"]["level"] in ("INFO", "WARNING")


def test_a_shared_url_connection_shows_the_shared_webhook_url(
    alpha, admin_api, provider_api, settings
):
    response = _create(
        admin_api, provider="sample_shared", credentials={"secret": SECRET, "account": "page-9"}
    )

    assert response.json()["webhook_url"] == f"{settings.WEBHOOK_BASE_URL}/webhooks/sample-shared/"
    assert ("sample_shared", "page-9") in _routes()


def test_the_webhook_signature_uses_the_stored_secret(alpha, admin_api, provider_api):
    _create(admin_api)
    [connection] = _stored(alpha)
    body = b'{"items": []}'

    assert sign(SECRET, body) != sign("other", body)
    assert post_webhook(connection, body, secret="other").status_code == 403


def test_a_connection_whose_provider_is_not_installed_answers_409_and_can_still_be_disabled(
    alpha, admin_api
):
    """A row left by a provider this installation no longer ships: edits that need the
    provider (credentials, enable, check) are refused with 409, never a 500; plain edits and
    disabling still work."""
    with tenant_scope(alpha.tenant):
        retired = ConnectionFactory(provider="retired_provider", name="Old")
    path = f"{URL}{retired.public_id}/"
    for method, suffix, body in [
        ("PATCH", "", {"credentials": {"token": "x"}}),
        ("POST", "enable/", {}),
        ("POST", "check/", {}),
    ]:
        response = admin_api.generic(
            method, path + suffix, json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 409, (method, suffix, response.content)
        assert response.json()["code"] == "provider_not_installed"
        assert response.json()["extra"] == {"provider": "retired_provider"}

    renamed = admin_api.patch(path, {"name": "Antigo", "unknown": 1}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Antigo"
    assert admin_api.post(path + "disable/").json()["is_active"] is False
    with tenant_scope(alpha.tenant):
        retired.refresh_from_db()
        assert retired.credentials == {}
        assert retired.is_active is False
