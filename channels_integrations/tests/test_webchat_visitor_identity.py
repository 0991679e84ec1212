"""Who a web chat visitor is: the e-mail and phone typed into the widget describe the visitor and
never make them an existing contact, so nobody reads another customer's conversation (or
receives its replies) by typing that customer's phone number."""

from __future__ import annotations

import pytest

from channels_integrations.tests.webchat_support import (
    deliver,
    history,
    make_widget,
    post,
    process,
    reply,
    ticket_of,
    token_for,
)
from contacts.models import Contact, ContactIdentity
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.tests.factories import TicketFactory

PHONE = "(11) 98765-4321"
E164 = "+5511987654321"


@pytest.fixture
def widget(alpha):
    return make_widget(alpha.tenant, allowed_origins=["https://loja.example.com"])


def test_a_phone_already_anothers_never_opens_that_contacts_conversation(
    alpha, widget, django_capture_on_commit_callbacks
):
    # Given Ana's conversation, started with her phone, and a reply delivered to her
    ana = token_for(alpha, widget, name="Ana", phone=PHONE)
    post(alpha, widget, ana, client_id="cid-ana-0001", text="meu pedido 123")
    process(alpha)
    ana_ticket = ticket_of(alpha, "Ana")
    first = reply(alpha, ana_ticket, "Seu pedido sai hoje", django_capture_on_commit_callbacks)
    assert deliver(alpha, first) == "sent"

    # When someone else starts a conversation giving Ana's phone
    other = token_for(alpha, widget, name="Outra pessoa", phone=PHONE, email="x@example.com")

    # Then they are a contact of their own, the phone only noted for the agents
    with tenant_scope(alpha.tenant):
        ana_contact = Contact.objects.get(name="Ana")
        newcomer = Contact.objects.get(name="Outra pessoa")
        assert (ana_contact.phone, ana_contact.notes) == (E164, "")  # free then: hers
        assert (newcomer.phone, newcomer.email) == ("", "x@example.com")
        assert E164 in newcomer.notes
        assert ana_contact.identities.count() == 1
        assert newcomer.identities.get().provider == "webchat"
    # and they read nothing of Ana's, now or after Ana's next reply
    assert history(alpha, widget, other).json()["messages"] == []
    second = reply(alpha, ana_ticket, "Chegou?", django_capture_on_commit_callbacks)
    assert deliver(alpha, second) == "sent"
    assert history(alpha, widget, other).json()["messages"] == []
    bodies = [m["body"] for m in history(alpha, widget, ana).json()["messages"]]
    assert bodies == ["meu pedido 123", "Seu pedido sai hoje", "Chegou?"]


def test_a_reply_to_a_contact_who_is_no_visitor_fails_for_good(
    alpha, widget, django_capture_on_commit_callbacks
):
    """A ticket of the widget whose contact has no web chat identity (only a phone): there is
    nobody to push the reply to, and the agent sees it failed instead of a false "sent"."""
    with tenant_scope(alpha.tenant):
        contact = ContactFactory(phone=E164)
        ticket = TicketFactory(contact=contact, connection=widget)
        assert not ContactIdentity.objects.filter(contact=contact).exists()
    answer = reply(alpha, ticket.pk, "Olá", django_capture_on_commit_callbacks)
    assert deliver(alpha, answer) == "failed"
    with tenant_scope(alpha.tenant):
        answer.refresh_from_db()
        assert answer.status == Message.Status.FAILED
        assert answer.provider_message_id is None
