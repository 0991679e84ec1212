"""The ticket panel's message actions (issue 18, items 5 and 10): edit, delete, forward, react
and the scheduled messages list with cancel, each through the messages services with their
permissions. The menu says what a change does to the customer's copy before the agent acts
(WhatsApp cannot edit or delete: "só aqui"), and the message says afterwards what happened.
Another tenant's host finds none of it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import ConnectionFactory, MessageFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _sent(ticket, agent, body="Seu pedido sai amanhã", **fields):
    values = {
        "direction": "out",
        "sender": "agent",
        "sender_user": agent,
        "sender_contact": None,
        "status": "delivered",
        "body": body,
    }
    return MessageFactory(ticket=ticket, **{**values, **fields})


@pytest.fixture
def desk(alpha):
    with tenant_scope(alpha.tenant):
        ana = UserFactory(name="Ana")
        telegram = ConnectionFactory(provider="telegram", name="Bot")
        whatsapp = ConnectionFactory(provider="whatsapp_cloud", name="WhatsApp")
        on_telegram = TicketFactory(
            connection=telegram, status=Ticket.Status.OPEN, assignee=ana, contact__name="Carla"
        )
        on_whatsapp = TicketFactory(
            connection=whatsapp, status=Ticket.Status.OPEN, assignee=ana, contact__name="Bruno"
        )
    return {
        "ana": ana,
        "client": signed_in_client(alpha, ana),
        "telegram": on_telegram,
        "whatsapp": on_whatsapp,
    }


def _url(ticket, message, action):
    return f"/tickets/{ticket.public_id}/messages/{message.public_id}/{action}/"


def _panel(client, ticket):
    response = client.get(f"/tickets/{ticket.public_id}/panel/", **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_menu_says_before_acting_whether_the_customer_copy_changes(alpha, desk):
    with tenant_scope(alpha.tenant):
        _sent(desk["telegram"], desk["ana"], provider_message_id="777:10")
        _sent(desk["whatsapp"], desk["ana"], provider_message_id="wamid.A")
    telegram = _panel(desk["client"], desk["telegram"])
    whatsapp = _panel(desk["client"], desk["whatsapp"])

    assert 'data-testid="message-actions"' in telegram
    assert "O cliente também vê o texto editado." in telegram
    assert "Apaga também para o cliente." in telegram
    assert "Apaga só aqui" not in telegram
    assert "Edita só aqui; o cliente continua vendo o original." in whatsapp
    assert "Apaga só aqui; o cliente continua vendo." in whatsapp
    # The deletion is confirmed with what it will (not) do on the channel.
    assert 'data-confirm="Apagar esta mensagem? Apaga só aqui; o cliente continua vendo."' in (
        whatsapp
    )


def test_a_telegram_message_older_than_48_hours_is_deleted_here_only(alpha, desk):
    with tenant_scope(alpha.tenant):
        _sent(
            desk["telegram"],
            desk["ana"],
            provider_message_id="777:13",
            sent_at=timezone.now() - timedelta(hours=49),
        )
    telegram = _panel(desk["client"], desk["telegram"])
    assert "Apaga só aqui; o cliente continua vendo." in telegram
    assert "Apaga também para o cliente." not in telegram


def test_an_edit_in_the_panel_says_whether_it_reached_the_customer(alpha, desk):
    client = desk["client"]
    with tenant_scope(alpha.tenant):
        on_whatsapp = _sent(desk["whatsapp"], desk["ana"], provider_message_id="wamid.B")
        on_telegram = _sent(desk["telegram"], desk["ana"], provider_message_id="777:11")

    form = client.get(_url(desk["whatsapp"], on_whatsapp, "edit"), **HTMX)
    assert 'data-testid="message-edit-form"' in form.content.decode()
    assert (
        client.post(_url(desk["whatsapp"], on_whatsapp, "edit"), {"body": ""}, **HTMX).status_code
        == 400
    )
    response = client.post(
        _url(desk["whatsapp"], on_whatsapp, "edit"), {"body": "Sai hoje"}, **HTMX
    )
    assert response.status_code == 200
    assert 'data-state="local"' in response.content.decode()
    response = client.post(
        _url(desk["telegram"], on_telegram, "edit"), {"body": "Sai hoje"}, **HTMX
    )
    assert 'data-state="pending"' in response.content.decode()
    with tenant_scope(alpha.tenant):
        on_whatsapp.refresh_from_db()
        on_telegram.refresh_from_db()
    assert (on_whatsapp.body, on_whatsapp.customer_copy) == ("Sai hoje", "local")
    assert (on_telegram.body, on_telegram.customer_copy) == ("Sai hoje", "pending")


def test_only_the_author_edits_and_deletes_and_nothing_changes_otherwise(alpha, desk):
    with tenant_scope(alpha.tenant):
        other = UserFactory()
        theirs = _sent(desk["telegram"], other, body="Do colega", provider_message_id="777:12")
    client = desk["client"]
    html = _panel(client, desk["telegram"])
    assert 'data-testid="message-edit"' not in html
    assert client.get(_url(desk["telegram"], theirs, "edit"), **HTMX).status_code == 409
    assert (
        client.post(_url(desk["telegram"], theirs, "edit"), {"body": "x"}, **HTMX).status_code
        == 409
    )
    response = client.post(_url(desk["telegram"], theirs, "delete"), **HTMX)
    assert response.status_code == 403
    assert response["X-Error-Message"]
    with tenant_scope(alpha.tenant):
        theirs.refresh_from_db()
    assert (theirs.body, theirs.deleted_at) == ("Do colega", None)


def test_delete_in_the_panel(alpha, desk):
    with tenant_scope(alpha.tenant):
        mine = _sent(desk["whatsapp"], desk["ana"], provider_message_id="wamid.C")
    response = desk["client"].post(_url(desk["whatsapp"], mine, "delete"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="message-customer-copy" data-state="local"' in html
    with tenant_scope(alpha.tenant):
        mine.refresh_from_db()
    assert mine.deleted_at is not None
    assert desk["client"].post(_url(desk["whatsapp"], mine, "delete"), **HTMX).status_code == 409


def test_react_to_a_customers_message_where_the_channel_offers_it(alpha, desk):
    client = desk["client"]
    with tenant_scope(alpha.tenant):
        received = MessageFactory(ticket=desk["telegram"], provider_message_id="777:20")
    html = _panel(client, desk["telegram"])
    assert html.count('data-testid="message-react-option"') == 6

    assert (
        client.post(_url(desk["telegram"], received, "react"), {"emoji": "😂"}, **HTMX).status_code
        == 400
    )
    response = client.post(_url(desk["telegram"], received, "react"), {"emoji": "👍"}, **HTMX)
    assert response.status_code == 200
    with tenant_scope(alpha.tenant):
        reaction = Message.objects.get(kind="reaction")
    assert (reaction.body, reaction.quoted_id, reaction.direction) == ("👍", received.pk, "out")
    changed = json.loads(response["HX-Trigger"])["tt:message-changed"]
    assert changed == {"message": str(reaction.public_id)}


def test_forward_a_message_to_another_open_ticket_found_by_search(alpha, desk):
    client = desk["client"]
    with tenant_scope(alpha.tenant):
        received = MessageFactory(ticket=desk["telegram"], body="Endereço: Rua A, 10")
        # A ticket of someone else is not offered: the agent cannot reply there.
        TicketFactory(status="open", assignee=UserFactory(), contact=ContactFactory(name="Bruna"))
    targets = client.get(f"/tickets/{desk['telegram'].public_id}/forward-targets/?q=Brun", **HTMX)
    html = targets.content.decode()
    assert html.count('data-testid="forward-target"') == 1
    assert str(desk["whatsapp"].public_id) in html

    response = client.post(
        _url(desk["telegram"], received, "forward"),
        {"ticket": str(desk["whatsapp"].public_id)},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Bruno" in json.loads(response["HX-Trigger"])["tt:notice"]["message"]
    with tenant_scope(alpha.tenant):
        copy = Message.objects.get(ticket=desk["whatsapp"], is_forwarded=True)
    assert (copy.body, copy.sender_user_id) == ("Endereço: Rua A, 10", desk["ana"].pk)
    bad = client.post(_url(desk["telegram"], received, "forward"), {"ticket": "nope"}, **HTMX)
    assert bad.status_code == 404


def test_the_scheduled_messages_are_listed_and_cancelled(alpha, desk):
    client = desk["client"]
    with tenant_scope(alpha.tenant):
        later = _sent(
            desk["telegram"],
            desk["ana"],
            body="Lembrete amanhã",
            status="queued",
            scheduled_at=timezone.now() + timedelta(days=1),
        )
    html = _panel(client, desk["telegram"])
    assert html.count('data-testid="scheduled-message"') == 1
    assert "Lembrete amanhã" in html

    response = client.post(
        f"/tickets/{desk['telegram'].public_id}/scheduled/{later.public_id}/cancel/", **HTMX
    )
    assert response.status_code == 200
    assert 'data-testid="scheduled-message"' not in response.content.decode()
    with tenant_scope(alpha.tenant):
        later.refresh_from_db()
    assert later.deleted_at is not None


def test_another_tenant_can_neither_see_nor_change_the_messages(alpha, beta, desk):
    with tenant_scope(alpha.tenant):
        mine = _sent(desk["telegram"], desk["ana"], provider_message_id="777:30")
        received = MessageFactory(ticket=desk["telegram"], provider_message_id="777:31")
    with tenant_scope(beta.tenant):
        intruder = AdminFactory()
        beta_ticket = TicketFactory(status="open", assignee=intruder)
    client = signed_in_client(beta, intruder)
    ticket = desk["telegram"]
    assert client.post(_url(ticket, mine, "edit"), {"body": "x"}, **HTMX).status_code == 404
    assert client.post(_url(ticket, mine, "delete"), **HTMX).status_code == 404
    assert client.post(_url(ticket, received, "react"), {"emoji": "👍"}, **HTMX).status_code == 404
    # Not through a ticket of their own either: the message is not on it.
    own = f"/tickets/{beta_ticket.public_id}/messages/{mine.public_id}/forward/"
    assert client.post(own, {"ticket": str(beta_ticket.public_id)}, **HTMX).status_code == 404
    with tenant_scope(alpha.tenant):
        mine.refresh_from_db()
        assert (mine.body, mine.deleted_at) == ("Seu pedido sai amanhã", None)
        assert not Message.objects.filter(kind="reaction").exists()
    with tenant_scope(beta.tenant):
        assert not Message.objects.filter(is_forwarded=True).exists()
