"""Connecting a number by QR code: the gateway's instance is created with this connection's
webhook and secret header, QR codes reach the tenant's admins, the scan connects it, drops are
recorded; forged and replayed webhooks store nothing."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from accounts.tests.factories import AdminFactory
from audit.models import AuditEntry
from channels_integrations.models import ConnectionSessionEntry, InboundEvent
from channels_integrations.providers.whatsapp_qr.provider import SECRET_HEADER
from channels_integrations.providers.whatsapp_qr.tests.support import (
    GLOBAL_KEY,
    instance_of,
    qr_connection,
    webhooks_processed,
)
from channels_integrations.services.connections import connection_webhook_url
from channels_integrations.services.sessions import (
    connection_qr_current,
    connection_session_action,
)
from channels_integrations.tasks import connections_calls_apply_task
from conftest import host_client
from connections.models import ChannelConnection
from core.exceptions import ApplicationError
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope


def test_creating_the_connection_creates_its_instance_with_webhook_and_secret(
    alpha, gateway, django_capture_on_commit_callbacks
):
    connection = qr_connection(alpha.tenant)

    instance = gateway.evolution.instances[instance_of(connection)]
    credentials = connection.credentials
    assert instance.token == credentials["instance_token"]
    assert instance.webhook_url == connection_webhook_url(connection)
    assert connection.webhook_token in instance.webhook_url
    assert instance.webhook_headers == {SECRET_HEADER: credentials["webhook_secret"]}
    [create] = [r for r in gateway.requests if r.method == "create"]
    assert create.body["groupsIgnore"] is True
    assert connection.status == ChannelConnection.Status.PENDING
    # Only creation used the global key: the stored credentials hold the instance's own token.
    assert GLOBAL_KEY not in json.dumps(credentials)


def test_qr_codes_then_the_scan_connect_the_number(
    alpha, gateway, django_capture_on_commit_callbacks
):
    connection = qr_connection(alpha.tenant)
    name = instance_of(connection)
    assert webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks) == [200]
    with tenant_scope(alpha.tenant):
        first = connection_qr_current(connection_id=connection.pk)
    assert first["image"].startswith("data:image/png;base64,")
    assert first["count"] == 1

    instance = gateway.evolution.instances[name]
    qr = gateway.evolution._qr(instance)  # noqa: SLF001 - the next turn of the refresh cycle
    gateway.evolution.post_raw(name, "qrcode.updated", {"qrcode": {"instance": name, **qr}})
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        second = connection_qr_current(connection_id=connection.pk)
        stored = InboundEvent.objects.filter(kind="session").values_list("item", flat=True)
        assert all(item["qr_image"] == "" for item in stored)  # never kept with the event
    assert second["image"] != first["image"]
    assert second["count"] == 2

    gateway.evolution.scan(name, number="5511988887777", profile_name="Loja da Ana")
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        connection.refresh_from_db()
        assert connection.status == ChannelConnection.Status.CONNECTED
        assert connection.details["number"] == "5511988887777"
        assert connection.details["profile_name"] == "Loja da Ana"
        assert connection_qr_current(connection_id=connection.pk) is None
        [entry] = ConnectionSessionEntry.objects.filter(connection=connection, state="open")
        assert entry.number == "5511988887777"


def test_a_replaced_session_is_an_error_with_its_reason_in_the_history(
    alpha, gateway, django_capture_on_commit_callbacks
):
    connection = qr_connection(alpha.tenant)
    name = instance_of(connection)
    gateway.evolution.scan(name)
    gateway.evolution.replace(name)
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)

    with tenant_scope(alpha.tenant):
        connection.refresh_from_db()
        assert connection.status == ChannelConnection.Status.ERROR
        assert "WhatsApp Web" in connection.status_detail  # the replacing session, not a drop
        states = list(
            ConnectionSessionEntry.objects.filter(connection=connection)
            .order_by("id")
            .values_list("state", "reason")
        )
    assert states[-2:] == [("open", ""), ("closed", "replaced")]


def test_forged_webhooks_are_403_and_unknown_tokens_404_with_nothing_stored(
    alpha, gateway, django_capture_on_commit_callbacks
):
    connection = qr_connection(alpha.tenant)
    gateway.evolution.held.clear()
    name = instance_of(connection)
    with tenant_scope(alpha.tenant):
        entries = ConnectionSessionEntry.objects.count()
    body = json.dumps(
        {"event": "connection.update", "instance": name, "data": {"state": "open"}}
    ).encode()
    client = host_client("localhost")
    path = f"/webhooks/whatsapp_qr/{connection.webhook_token}/"
    missing = client.post(path, data=body, content_type="application/json")
    wrong = client.post(
        path, data=body, content_type="application/json", HTTP_X_TIKTICKETS_WEBHOOK_SECRET="x"
    )
    other_instance = client.post(
        path,
        data=body.replace(name.encode(), b"tt-someone-else"),
        content_type="application/json",
        HTTP_X_TIKTICKETS_WEBHOOK_SECRET=connection.credentials["webhook_secret"],
    )
    unknown = client.post(
        "/webhooks/whatsapp_qr/" + "x" * 43 + "/",
        data=body,
        content_type="application/json",
        HTTP_X_TIKTICKETS_WEBHOOK_SECRET=connection.credentials["webhook_secret"],
    )

    assert [r.status_code for r in (missing, wrong, other_instance)] == [403, 403, 403]
    assert missing.json()["code"] == "webhook_forbidden"
    assert unknown.status_code == 404
    with tenant_scope(alpha.tenant):
        assert not InboundEvent.objects.exists()
        assert ConnectionSessionEntry.objects.count() == entries
        assert ChannelConnection.objects.get().status == ChannelConnection.Status.PENDING


def test_admin_actions_reconnect_with_a_pairing_code_restart_and_log_out(
    alpha, gateway, django_capture_on_commit_callbacks
):
    admin = None
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        earlier = set(AuditEntry.objects.values_list("pk", flat=True))
    connection = qr_connection(alpha.tenant, admin=admin)
    name = instance_of(connection)
    with tenant_scope(alpha.tenant):
        connection_session_action(
            connection=connection, by=admin, action="reconnect", number="+55 11 98888-7777"
        )
        qr = connection_qr_current(connection_id=connection.pk)
    assert qr["pairing_code"]
    [connect] = [r for r in gateway.requests if r.method == "connect"]
    gateway.evolution.scan(name)
    webhooks_processed(gateway, alpha.tenant, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        connection_session_action(connection=connection, by=admin, action="logout")
        connection.refresh_from_db()
        assert connection.status == ChannelConnection.Status.ERROR
        assert gateway.evolution.instances[name].number == ""
        entry = ConnectionSessionEntry.objects.filter(connection=connection).first()
        assert (entry.state, entry.reason, entry.actor_id) == ("closed", "logged_out", admin.pk)
        # Each action is in the audit log; the pairing phone's number is not.
        recorded = (
            AuditEntry.objects.filter(action="connection.session_action")
            .exclude(pk__in=earlier)
            .order_by("id")
        )
        assert [(e.actor_id, e.object_id, e.extra) for e in recorded] == [
            (str(admin.pk), str(connection.pk), {"action": "reconnect", "pairing_code": True}),
            (str(admin.pk), str(connection.pk), {"action": "logout", "pairing_code": False}),
        ]
        assert "98888" not in str([(e.changes, e.extra, e.object_label) for e in recorded])


@override_settings(EVOLUTION_API_URL="")
def test_without_a_gateway_the_connection_is_refused_with_nothing_stored(alpha):
    with pytest.raises(ApplicationError) as refused:
        qr_connection(alpha.tenant)

    assert refused.value.code == "credentials_rejected"
    with tenant_scope(alpha.tenant):
        assert not ChannelConnection.objects.exists()


def test_the_tenants_call_settings_reach_the_gateway(
    alpha, gateway, published, django_capture_on_commit_callbacks
):
    connection = qr_connection(alpha.tenant)
    name = instance_of(connection)
    assert gateway.evolution.instances[name].settings["rejectCall"] is False

    with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        tenant_settings_update(
            tenant=alpha.tenant,
            values={"reject_calls": True, "call_reject_message": "Só por mensagem, por favor."},
        )
    assert [task for task, _, _ in published] == [
        "channels_integrations.tasks.connections_calls_apply_task"
    ]
    with tenant_scope(alpha.tenant):
        assert connections_calls_apply_task.apply().get() == 1

    settings = gateway.evolution.instances[name].settings
    assert (settings["rejectCall"], settings["msgCall"], settings["groupsIgnore"]) == (
        True,
        "Só por mensagem, por favor.",
        True,
    )


def test_a_setting_that_is_not_about_calls_does_not_bother_the_gateway(
    alpha, gateway, published, django_capture_on_commit_callbacks
):
    qr_connection(alpha.tenant)
    with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
        tenant_settings_update(tenant=alpha.tenant, values={"farewell_on_close": False})
    assert published == []
