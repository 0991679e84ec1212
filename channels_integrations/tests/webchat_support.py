"""Helpers of the web chat tests: widgets made through the connection services, the visitor's
HTTP calls on the tenant host, the visitor's socket on the production ASGI application."""

from __future__ import annotations

import json
from typing import Any

from channels.routing import get_default_application
from channels.testing import WebsocketCommunicator

from accounts.models import User
from accounts.tests.factories import AdminFactory
from channels_integrations.services.connections import connection_create
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.support import process_all
from conftest import host_client
from connections.models import ChannelConnection
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.services.messages import message_send, note_add

application = get_default_application()
TIMEOUT = 2


def make_widget(tenant, *, greeting: str = "", **settings_: Any) -> ChannelConnection:
    with tenant_scope(tenant):
        return connection_create(
            by=User.objects.filter(role=User.Role.ADMIN).order_by("pk")[0],
            provider="webchat",
            name="Site",
            credentials=settings_,
            greeting_message=greeting,
        )


def base(connection) -> str:
    return f"/widget/{connection.public_id}/"


def start(fixture, connection, client=None, **data):
    body = {"name": "Maria Cliente", **data}
    return (client or host_client(fixture.host)).post(
        base(connection) + "api/start", json.dumps(body), content_type="application/json"
    )


def token_for(fixture, connection, **data) -> str:
    response = start(fixture, connection, **data)
    assert response.status_code == 201, response.content
    return str(response.json()["token"])


def post(fixture, connection, token, client=None, **data):
    return (client or host_client(fixture.host)).post(
        base(connection) + "api/messages",
        json.dumps(data),
        content_type="application/json",
        HTTP_X_VISITOR_TOKEN=token,
    )


def history(fixture, connection, token):
    return host_client(fixture.host).get(
        base(connection) + "api/messages", HTTP_X_VISITOR_TOKEN=token
    )


def process(fixture, capture=None) -> None:
    """Process every waiting event; with ``capture`` (django_capture_on_commit_callbacks) the
    after-commit work runs too: domain events (live pushes) and the greeting's dispatch."""
    if capture is None:
        process_all(fixture.tenant)
        return
    with capture(execute=True):
        process_all(fixture.tenant)


def visitor_socket(fixture, connection, token, *, origin: str | None = None, query: str = ""):
    headers = [(b"host", fixture.host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    path = f"/ws/widget/{connection.public_id}/?token={token}{query}"
    return WebsocketCommunicator(application, path, headers=headers)


def reply(fixture, ticket_id, body, capture, *, note=False):
    """An agent's reply (or note) on the ticket, committed: the outbound pipeline has a
    delivery for it, waiting for ``deliver``."""
    with tenant_scope(fixture.tenant), capture(execute=True):
        ticket = Ticket.objects.get(pk=ticket_id)
        agent = AdminFactory()
        if note:
            return note_add(ticket=ticket, by=agent, body=body)
        ticket.status = Ticket.Status.OPEN
        ticket.assignee = agent
        ticket.save()
        return message_send(ticket=ticket, by=agent, body=body)


def deliver(fixture, message) -> str:
    """Run the outbound delivery task of ``message`` for real, in this process."""
    with tenant_scope(fixture.tenant):
        message.refresh_from_db()
        return str(outbound_message_deliver_task.apply(args=(message.delivery.pk,)).get())


def ticket_of(fixture, contact_name: str) -> int:
    with tenant_scope(fixture.tenant):
        return Ticket.objects.get(contact__name=contact_name).pk
