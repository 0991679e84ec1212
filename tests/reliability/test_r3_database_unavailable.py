"""R3: PostgreSQL unavailable. Every request answers 503 ``service_unavailable`` (the API's error
shape, ``Retry-After``), never a 500, and nothing is half-written.

The requests run on a thread of their own whose database connection points at a closed port
(nothing listens there: the state of a stopped server), or whose backend is terminated in the
middle of a write, while the test's own connection and data are untouched.
"""

from __future__ import annotations

import socket
import uuid

import pytest
from django.db import connection

from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tests.reliability.support import admin_token, bearer_client, is_error_shape
from tests.support.concurrency import in_thread
from tickets.models import Message, Ticket, TicketEvent
from tickets.tests.factories import TicketFactory


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends


def _point_this_threads_connection_at(port: int) -> None:
    connection.close()
    connection.settings_dict = {**connection.settings_dict, "PORT": str(port), "HOST": "127.0.0.1"}


def test_with_postgresql_unreachable_every_request_answers_503_and_nothing_is_stored(
    alpha, report_figure
):
    token = admin_token(alpha)
    canary = f"R3 canary {uuid.uuid4().hex}"
    port = _closed_port()

    def requests_while_down() -> list[tuple[str, int, bool, str]]:
        _point_this_threads_connection_at(port)
        api = bearer_client(alpha.host, token)
        answers = []
        for label, response in [
            ("GET /healthz", api.get("/healthz")),
            ("GET /api/v1/me/", api.get("/api/v1/me/")),
            ("GET /api/v1/tickets/", api.get("/api/v1/tickets/")),
            (
                "POST /api/v1/contacts/",
                api.post("/api/v1/contacts/", {"name": canary}, content_type="application/json"),
            ),
            (
                "POST /api/v1/auth/token/",
                api.post(
                    "/api/v1/auth/token/",
                    {"email": alpha.admin_email, "password": alpha.admin_password},
                    content_type="application/json",
                ),
            ),
            ("GET /accounts/login/", api.get("/accounts/login/")),
        ]:
            not_api = label.startswith(("GET /healthz", "GET /accounts"))
            shaped = not_api or (
                is_error_shape(response) and response.json()["code"] == "service_unavailable"
            )
            answers.append((label, response.status_code, shaped, response.get("Retry-After", "")))
            if label == "GET /healthz":
                assert response.json()["checks"]["database"]["ok"] is False
        return answers

    answers = in_thread(requests_while_down)

    with tenant_scope(alpha.tenant):
        stored = Contact.objects.filter(name=canary).count()
    refused = sum(1 for _, status, shaped, _ in answers if status == 503 and shaped)
    report_figure(
        f"R3: PostgreSQL unreachable: {refused}/{len(answers)} requests answered 503 "
        f"(error shape on the API), 0 answered 500, {stored} rows written"
    )
    assert [(label, status, shaped) for label, status, shaped, _ in answers] == [
        (label, 503, True) for label, *_ in answers
    ]
    assert all(retry for label, _, _, retry in answers if label != "GET /healthz")
    assert stored == 0


def test_a_connection_killed_in_the_middle_of_a_write_leaves_nothing_half_written(
    alpha, monkeypatch, report_figure
):
    """The note's message row is written, then the backend dies before its timeline entry:
    the transaction is gone with it, the client gets 503, and neither row exists."""
    import tickets.events

    token = admin_token(alpha)
    tenant = alpha.tenant

    def create_ticket() -> tuple[int, str, int]:
        with tenant_scope(tenant):
            ticket = TicketFactory()
            return ticket.pk, str(ticket.public_id), ticket.events.count()

    ticket_id, public_id, events_before = in_thread(create_ticket)
    original = tickets.events.event_message
    killed = []

    def die_then_record(*, message: Message) -> TicketEvent:
        with connection.cursor() as cursor:
            killed.append(message.pk)
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return original(message=message)  # never reached: the connection is gone

    monkeypatch.setattr(tickets.events, "event_message", die_then_record)

    def add_note() -> tuple[int, bool]:
        response = bearer_client(alpha.host, token).post(
            f"/api/v1/tickets/{public_id}/notes/",
            {"body": "a note that must not survive"},
            content_type="application/json",
        )
        return response.status_code, is_error_shape(response)

    def rows_and_cleanup() -> tuple[int, int]:
        with tenant_scope(tenant):
            ticket = Ticket.objects.get(pk=ticket_id)
            notes = Message.objects.filter(ticket=ticket, is_note=True).count()
            events = TicketEvent.objects.filter(ticket=ticket).count() - events_before
            TicketEvent.objects.filter(ticket=ticket).delete()
            Message.objects.filter(ticket=ticket).delete()
            ticket.delete()
            ticket.contact.delete()
            ticket.connection.delete()
            return notes, events

    try:
        status, shaped = in_thread(add_note)
    finally:
        monkeypatch.setattr(tickets.events, "event_message", original)
        notes, events = in_thread(rows_and_cleanup)

    report_figure(
        f"R3: backend killed mid-write: HTTP {status}, {notes} note rows and {events} timeline "
        "rows left (nothing half-written)"
    )
    assert killed, "the write never reached the point where the connection dies"
    assert (status, shaped) == (503, True)
    assert (notes, events) == (0, 0)


@pytest.fixture(autouse=True)
def _no_stale_connection_in_this_thread():
    """The main thread's connection is never pointed elsewhere; make sure of it afterwards."""
    settings_before = dict(connection.settings_dict)
    yield
    assert connection.settings_dict["PORT"] == settings_before["PORT"]
