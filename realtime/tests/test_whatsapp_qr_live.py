"""A WhatsApp QR connection's QR codes and session states reach that tenant's admins only: not
its agents, never another tenant; the QR code is never numbered nor replayed."""

from __future__ import annotations

import base64

from asgiref.sync import async_to_sync, sync_to_async

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.providers.base import InboundSession
from channels_integrations.services.sessions import connection_session_update
from realtime.tests.conftest import drain, open_socket, socket_for
from simulator import qr_png
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory

QR = "data:image/png;base64," + base64.b64encode(qr_png("2@ref,key,1")).decode()


def _session_events(events):
    return [e for e in events if e["type"] in ("connection.qr", "connection.session")]


def test_qr_codes_and_session_states_reach_only_this_tenants_admins(
    alpha, beta, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        admin, agent = AdminFactory(), UserFactory()
        connection = ConnectionFactory(provider="whatsapp_qr", name="WhatsApp loja")
    with tenant_scope(beta.tenant):
        other_admin = AdminFactory()
    sockets = [
        socket_for(alpha, admin),
        socket_for(alpha, agent),
        socket_for(beta, other_admin),
    ]

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            connection_session_update(
                connection=connection, item=InboundSession(event_id="", qr_image=QR, qr_count=1)
            )
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            connection_session_update(
                connection=connection,
                item=InboundSession(
                    event_id="", state="open", number="5511900000000", profile_name="Loja"
                ),
            )

    async def body():
        for socket in sockets:
            await open_socket(socket)
        await sync_to_async(produce)()
        seen = [_session_events(await drain(s)) for s in sockets]
        for socket in sockets:
            await socket.disconnect()
        return seen

    seen_admin, seen_agent, seen_other_tenant = async_to_sync(body)()

    qr, session = seen_admin
    assert qr["type"] == "connection.qr"
    assert qr["id"] is None  # never numbered, so never replayed
    assert qr["data"]["connection"]["public_id"] == str(connection.public_id)
    assert qr["data"]["connection"]["image"] == QR
    assert 0 < qr["data"]["connection"]["expires_in"] <= 60
    assert session["type"] == "connection.session"
    assert session["data"]["connection"]["state"] == "open"
    assert session["data"]["connection"]["number"] == "5511900000000"
    assert seen_agent == []
    assert seen_other_tenant == []
