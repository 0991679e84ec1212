"""The ticket panel: who may open it, only its assigned agent's opening marks it read, the
history with notes and the timeline, the composer (reply, note, quick reply, quote, file, errors
kept visible), the actions through the services, two tenants, and the queries the panel
costs."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import MessageFactory, QueueFactory, QuickReplyFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def desk(alpha):
    with tenant_scope(alpha.tenant):
        support, sales = QueueFactory(name="Suporte"), QueueFactory(name="Vendas")
        ana = UserFactory(queues=[support], name="Ana Lima")
        bruno = UserFactory(queues=[sales])
        ticket = TicketFactory(queue=support, unread_count=2)
        MessageFactory(ticket=ticket, body="Meu pedido não chegou")
    return {"ana": ana, "bruno": bruno, "support": support, "sales": sales, "ticket": ticket}


def _panel(client, ticket, **extra):
    return client.get(f"/tickets/{ticket.public_id}/panel/", **HTMX, **extra)


def test_peeking_at_a_waiting_ticket_shows_the_history_and_keeps_it_unread(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    response = _panel(client, desk["ticket"])
    html = response.content.decode()
    assert response.status_code == 200
    assert "Meu pedido não chegou" in html
    assert 'data-testid="ticket-accept"' in html
    assert 'data-testid="composer-input"' not in html  # pending: accept first
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=desk["ticket"].pk).unread_count == 2
        assert Message.objects.get(ticket=desk["ticket"]).read_at is None


def test_only_the_assigned_agent_opening_it_reads_it(alpha, desk):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        Ticket.objects.filter(pk=desk["ticket"].pk).update(status="open", assignee=desk["ana"])
    signed_in_client(alpha, admin).get(f"/tickets/{desk['ticket'].public_id}/panel/", **HTMX)
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=desk["ticket"].pk).unread_count == 2  # the admin peeked
    _panel(signed_in_client(alpha, desk["ana"]), desk["ticket"])
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=desk["ticket"].pk).unread_count == 0
        assert Message.objects.get(ticket=desk["ticket"]).read_at is not None


def test_accepting_after_a_peek_reads_the_conversation(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    _panel(client, desk["ticket"])
    accepted = client.post(f"/tickets/{desk['ticket'].public_id}/accept/", **HTMX)
    assert accepted.status_code == 200
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=desk["ticket"].pk).unread_count == 0
        assert Message.objects.get(ticket=desk["ticket"]).read_at is not None


def test_a_plain_visit_goes_to_the_inbox_with_the_ticket_open(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    response = client.get(f"/tickets/{desk['ticket'].public_id}/panel/")
    assert response.status_code == 302
    assert response["Location"] == f"/?ticket={desk['ticket'].public_id}"


def test_an_agent_outside_the_queue_and_another_tenant_get_nothing_of_it(alpha, beta, desk):
    bruno = signed_in_client(alpha, desk["bruno"])
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    beta_client = signed_in_client(beta, beta_admin)
    for client in (bruno, beta_client):
        html = _panel(client, desk["ticket"]).content.decode()
        assert 'data-testid="panel-gone"' in html
        assert "Meu pedido" not in html
        accept = client.post(f"/tickets/{desk['ticket'].public_id}/accept/", **HTMX)
        assert accept.status_code == 404
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=desk["ticket"].pk).status == Ticket.Status.PENDING


def test_accept_reply_note_and_close_go_through_the_services(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    ticket = desk["ticket"]
    accepted = client.post(f"/tickets/{ticket.public_id}/accept/", **HTMX)
    assert 'data-status="open"' in accepted.content.decode()
    assert 'data-testid="composer-input"' in accepted.content.decode()

    reply = client.post(f"/tickets/{ticket.public_id}/messages/", {"body": "Vou verificar"}, **HTMX)
    note = client.post(
        f"/tickets/{ticket.public_id}/messages/", {"body": "cliente VIP", "note": "1"}, **HTMX
    )
    assert 'data-from="agent"' in reply.content.decode()
    assert 'data-from="note"' in note.content.decode()

    closed = client.post(f"/tickets/{ticket.public_id}/close/", **HTMX)
    assert 'data-status="closed"' in closed.content.decode()
    assert 'data-testid="timeline-event" data-kind="accepted"' in closed.content.decode()
    assert 'data-testid="timeline-event" data-kind="closed"' in closed.content.decode()
    with tenant_scope(alpha.tenant):
        sent = Message.objects.filter(ticket=ticket, sender=Message.Sender.AGENT)
        assert {(m.body, m.is_note) for m in sent} >= {
            ("Vou verificar", False),
            ("cliente VIP", True),
        }
        assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.CLOSED


def test_a_refused_action_answers_its_status_and_message_and_changes_nothing(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    ticket = desk["ticket"]
    # Sending on a pending ticket: the service refuses (409), the message is in the header.
    refused = client.post(f"/tickets/{ticket.public_id}/messages/", {"body": "oi"}, **HTMX)
    assert refused.status_code == 409
    assert unquote(refused["X-Error-Message"])
    empty = client.post(f"/tickets/{ticket.public_id}/accept/", **HTMX)
    assert empty.status_code == 200
    blank = client.post(f"/tickets/{ticket.public_id}/messages/", {"body": "  "}, **HTMX)
    assert blank.status_code == 400
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(ticket=ticket, sender=Message.Sender.AGENT).exists()


def test_a_file_the_service_refuses_stores_nothing(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    ticket = desk["ticket"]
    client.post(f"/tickets/{ticket.public_id}/accept/", **HTMX)
    bad = SimpleUploadedFile("run.exe", b"MZ\x90\x00" * 10, content_type="application/x-msdownload")
    response = client.post(f"/tickets/{ticket.public_id}/messages/", {"file": bad}, **HTMX)
    assert response.status_code == 400
    good = SimpleUploadedFile("nota.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    sent = client.post(f"/tickets/{ticket.public_id}/messages/", {"file": good}, **HTMX)
    assert sent.status_code == 200
    assert "nota.pdf" in sent.content.decode()
    with tenant_scope(alpha.tenant):
        files = Message.objects.filter(ticket=ticket, sender=Message.Sender.AGENT)
        assert [m.media_name for m in files] == ["nota.pdf"]


def test_quick_replies_are_rendered_for_the_ticket_and_quoting_keeps_the_quote(alpha, desk):
    with tenant_scope(alpha.tenant):
        QuickReplyFactory(shortcode="ola", body="Olá {{contact.first_name}}, aqui é {{agent.name}}")
        QuickReplyFactory(shortcode="pix", body="Chave pix")
        first = Message.objects.get(ticket=desk["ticket"])
    client = signed_in_client(alpha, desk["ana"])
    ticket = desk["ticket"]
    options = client.get(f"/tickets/{ticket.public_id}/quick-replies/?q=ol", **HTMX)
    html = options.content.decode()
    assert 'data-shortcut="ola"' in html
    assert 'data-shortcut="pix"' not in html
    assert "aqui é Ana Lima" in html
    client.post(f"/tickets/{ticket.public_id}/accept/", **HTMX)
    quoted = client.post(
        f"/tickets/{ticket.public_id}/messages/",
        {"body": "Sobre isso", "quoted": str(first.public_id)},
        **HTMX,
    )
    assert "Meu pedido não chegou" in quoted.content.decode()  # the quote is shown


def test_transfer_to_a_queue_and_agent_with_the_services_rules(alpha, desk):
    with tenant_scope(alpha.tenant):
        carla = UserFactory(queues=[desk["support"], desk["sales"]], name="Carla")
    client = signed_in_client(alpha, desk["ana"])
    ticket = desk["ticket"]
    client.post(f"/tickets/{ticket.public_id}/accept/", **HTMX)
    nothing = client.post(f"/tickets/{ticket.public_id}/transfer/", {}, **HTMX)
    assert nothing.status_code == 400
    moved = client.post(
        f"/tickets/{ticket.public_id}/transfer/",
        {"queue": desk["sales"].pk, "agent": carla.pk},
        **HTMX,
    )
    # Ana is not in Vendas: the ticket left her inbox
    assert 'data-testid="panel-gone"' in moved.content.decode()
    with tenant_scope(alpha.tenant):
        after = Ticket.objects.get(pk=ticket.pk)
        assert (after.queue_id, after.assignee_id) == (desk["sales"].pk, carla.pk)


@pytest.mark.parametrize("count", [5, 60])
def test_the_panel_costs_the_same_queries_with_few_or_many_messages(
    alpha, desk, count, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(
            queue=desk["support"], status=Ticket.Status.OPEN, assignee=desk["ana"]
        )
        previous = None
        for i in range(count):
            previous = MessageFactory(ticket=ticket, body=f"m{i}", quoted=previous)
    client = signed_in_client(alpha, desk["ana"])
    client.get("/")
    # session, user, ticket (+ contact tags), messages, timeline events, agents and queues for
    # the transfer dialog, the scheduled messages' list (the search path is already the
    # tenant's)
    with django_assert_num_queries(9):
        response = _panel(client, ticket)
    assert response.content.decode().count('data-testid="message"') == min(count, 40)
