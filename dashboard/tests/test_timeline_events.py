"""The ticket's timeline in the panel: every kind of TicketEvent renders with the facts its
writer stored (destination queue and agent, note, tag, merged contact...), the panel shows a
transfer's destination and note, and another tenant's panel shows none of it."""

from __future__ import annotations

from datetime import timedelta

from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.tests.factories import UserFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets import events
from tickets.models import TicketEvent
from tickets.tests.factories import MessageFactory, QueueFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
Kind = TicketEvent.Kind


def _events_of_every_kind(ticket, support, sales, ana, bruno):
    """One event of each kind, written by tickets.events as the services write them."""
    message = MessageFactory(ticket=ticket, body="Oi")
    written = [
        events.event_ticket_created(ticket=ticket, by=None),
        events.event_ticket_accepted(ticket=ticket, by=ana),
        events.event_ticket_transferred(
            ticket=ticket,
            by=ana,
            from_queue=support,
            to_queue=sales,
            from_agent=ana,
            to_agent=bruno,
            note="Cliente quer desconto",
        ),
        events.event_ticket_returned(ticket=ticket, by=bruno, from_agent=bruno),
        events.event_ticket_closed(ticket=ticket, by=ana),
        events.event_ticket_closed(ticket=ticket, by=None, automatic=True),
        events.event_ticket_reopened(ticket=ticket, by=None, reason="customer_message"),
        events.event_message(message=message),
        events.event_message(
            message=MessageFactory(ticket=ticket, direction="out", sender="agent")
        ),
        events.event_message(
            message=MessageFactory(ticket=ticket, is_note=True, direction="out", sender="agent")
        ),
        events.event_message_edited(message=message, by=ana),
        events.event_message_deleted(message=message, by=ana),
        events.event_tag_changed(ticket=ticket, by=ana, tag_id=1, tag_name="VIP", added=True),
        events.event_tag_changed(ticket=ticket, by=ana, tag_id=2, tag_name="Atacado", added=False),
        events.event_contact_merged(
            ticket=ticket, by=ana, merged_contact={"name": "Joana Duplicada", "phone": ""}
        ),
        events.event_ticket_deleted(ticket=ticket, by=ana),
        events.event_ticket_restored(ticket=ticket, by=ana),
        events.event_ticket_auto_assigned(
            ticket=ticket, agent=bruno, queue=sales, mode="round_robin"
        ),
        events.event_bot_step(
            ticket=ticket, step="attached", flow={"id": "f1", "name": "Menu"}, version=3
        ),
    ]
    return {event.kind: event for event in written}


# What each kind must show besides its label and actor.
DETAILS = {
    Kind.CREATED: ["Suporte"],
    Kind.ACCEPTED: ["Suporte"],
    Kind.TRANSFERRED: ["Vendas", "Bruno Vendas", "Cliente quer desconto"],
    Kind.RETURNED: ["Bruno Vendas"],
    Kind.REOPENED: ["cliente"],
    Kind.TAG_ADDED: ["VIP"],
    Kind.TAG_REMOVED: ["Atacado"],
    Kind.CONTACT_MERGED: ["Joana Duplicada"],
    Kind.AUTO_ASSIGNED: ["Bruno Vendas", "Vendas"],
    Kind.BOT: ["Menu", "3"],
}


def test_every_event_kind_renders_its_label_actor_and_details(alpha):
    with tenant_scope(alpha.tenant):
        support, sales = QueueFactory(name="Suporte"), QueueFactory(name="Vendas")
        ana = UserFactory(name="Ana Lima", queues=[support])
        bruno = UserFactory(name="Bruno Vendas", queues=[sales])
        ticket = TicketFactory(queue=support)
        by_kind = _events_of_every_kind(ticket, support, sales, ana, bruno)
        assert set(by_kind) == set(Kind.values), "a new kind needs a line in this test"
        with translation.override("pt-br"):
            for kind, event in by_kind.items():
                html = render_to_string("tickets/partials/_timeline_event.html", {"event": event})
                assert str(event.get_kind_display()) in html, kind
                if event.actor is not None:
                    assert event.actor.name in html, kind
                for detail in DETAILS.get(Kind(kind), []):
                    assert detail in html, (kind, detail, html)


def test_dates_show_the_year_only_when_it_is_not_the_current_one(alpha):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory()
        recent = events.event_ticket_created(ticket=ticket, by=None)
        old = events.event_ticket_created(ticket=ticket, by=None)
        TicketEvent.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=400)
        )
        old.refresh_from_db()
        year = timezone.localtime(old.created_at).year
        html_old = render_to_string("tickets/partials/_timeline_event.html", {"event": old})
        html_recent = render_to_string("tickets/partials/_timeline_event.html", {"event": recent})
    assert f"/{year} " in html_old
    assert f"/{timezone.localtime().year} " not in html_recent


def test_the_panel_shows_where_a_ticket_went_and_why(alpha, beta):
    with tenant_scope(alpha.tenant):
        support, sales = QueueFactory(name="Suporte"), QueueFactory(name="Vendas")
        ana = UserFactory(name="Ana Lima", queues=[support, sales])
        bruno = UserFactory(name="Bruno Vendas", queues=[sales])
        ticket = TicketFactory(queue=support, status="open", assignee=ana)
        MessageFactory(ticket=ticket, body="Quero falar com vendas")
    with tenant_scope(beta.tenant):
        beta_agent = UserFactory(name="Beta Agente")
        beta_ticket = TicketFactory(status="open", assignee=beta_agent)
        MessageFactory(ticket=beta_ticket, body="Outro cliente")
    client = signed_in_client(alpha, ana)

    response = client.post(
        f"/tickets/{ticket.public_id}/transfer/",
        {"queue": sales.pk, "agent": bruno.pk, "note": "Pediu orçamento de atacado"},
        **HTMX,
    )

    assert response.status_code == 200
    html = client.get(f"/tickets/{ticket.public_id}/panel/", **HTMX).content.decode()
    entry = html[html.index('data-kind="transferred"') :].split("</li>")[0]
    assert "Vendas" in entry
    assert "Bruno Vendas" in entry
    assert "Pediu orçamento de atacado" in entry
    beta_html = signed_in_client(beta, beta_agent).get(
        f"/tickets/{beta_ticket.public_id}/panel/", **HTMX
    )
    assert "Pediu orçamento" not in beta_html.content.decode()
