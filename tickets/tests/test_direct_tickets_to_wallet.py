"""``direct_tickets_to_wallet``: a new ticket of a wallet contact is reserved for its first active
owner (lowest id), still pending; off, without owners, or for a ticket that already exists,
nothing is reserved; each tenant's setting acts on its own tickets only."""

from __future__ import annotations

import pytest

from accounts.tests.factories import UserFactory
from contacts.tests.factories import ContactFactory
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.errors import TicketActionForbidden
from tickets.models import Ticket
from tickets.selectors import tickets_visible_to
from tickets.services.messages import ReceivedMessage, message_receive
from tickets.services.tickets import ticket_accept, ticket_close
from tickets.tests.factories import ConnectionFactory, QueueFactory


def _wallet_on(fixture, on: bool = True) -> None:
    tenant_settings_update(tenant=fixture.tenant, values={"direct_tickets_to_wallet": on})


def _receive(contact, connection, body: str = "Oi") -> Ticket:
    message, _ = message_receive(
        received=ReceivedMessage(connection=connection, contact=contact, body=body)
    )
    return message.ticket


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


@pytest.fixture
def support(in_alpha):
    queue = QueueFactory(name="Suporte")
    return {"queue": queue, "connection": ConnectionFactory(default_queue=queue)}


def test_off_a_wallet_contacts_new_ticket_is_left_for_anyone(in_alpha, support):
    owner = UserFactory(queues=[support["queue"]])
    contact = ContactFactory()
    contact.owners.add(owner)

    ticket = _receive(contact, support["connection"])

    assert (ticket.status, ticket.assignee_id) == (Ticket.Status.PENDING, None)


def test_on_a_wallet_contacts_new_ticket_is_reserved_for_its_owner_and_stays_pending(
    in_alpha, support
):
    _wallet_on(in_alpha)
    owner = UserFactory(queues=[support["queue"]])
    contact = ContactFactory()
    contact.owners.add(owner)

    ticket = _receive(contact, support["connection"])

    assert (ticket.status, ticket.assignee_id) == (Ticket.Status.PENDING, owner.pk)
    assert ticket.queue_id == support["queue"].pk


def test_on_a_contact_without_owners_gets_an_unreserved_ticket(in_alpha, support):
    _wallet_on(in_alpha)

    ticket = _receive(ContactFactory(), support["connection"])

    assert ticket.assignee_id is None


def test_on_with_several_owners_the_first_active_one_gets_it(in_alpha, support):
    _wallet_on(in_alpha)
    first, second, third = (UserFactory() for _ in range(3))
    first.is_active = False
    first.save(update_fields=["is_active"])
    contact = ContactFactory()
    contact.owners.add(third, second, first)

    ticket = _receive(contact, support["connection"])

    assert ticket.assignee_id == second.pk


def test_on_a_wallet_of_inactive_owners_only_reserves_nothing(in_alpha, support):
    _wallet_on(in_alpha)
    gone = UserFactory(is_active=False)
    contact = ContactFactory()
    contact.owners.add(gone)

    ticket = _receive(contact, support["connection"])

    assert ticket.assignee_id is None


def test_on_an_existing_ticket_is_not_taken_from_whoever_has_it(in_alpha, support):
    taker = UserFactory(queues=[support["queue"]])
    owner = UserFactory(queues=[support["queue"]])
    contact = ContactFactory()
    ticket = _receive(contact, support["connection"])
    ticket_accept(ticket=ticket, by=taker)
    contact.owners.add(owner)
    _wallet_on(in_alpha)

    again = _receive(contact, support["connection"], body="Mais uma coisa")

    assert again.pk == ticket.pk
    assert again.assignee_id == taker.pk


def test_on_the_next_ticket_after_a_close_goes_to_the_owner(in_alpha, support):
    _wallet_on(in_alpha)
    owner = UserFactory(queues=[support["queue"]])
    contact = ContactFactory()
    contact.owners.add(owner)
    first = _receive(contact, support["connection"])
    ticket_close(ticket=first, by=None)

    second = _receive(contact, support["connection"])

    assert second.pk != first.pk
    assert second.assignee_id == owner.pk


def test_two_agents_each_get_their_own_wallets_ticket_and_cannot_take_the_others(in_alpha, support):
    # given two agents of the same queue, each with one contact in their wallet
    _wallet_on(in_alpha)
    ana, bruno = UserFactory(queues=[support["queue"]]), UserFactory(queues=[support["queue"]])
    of_ana, of_bruno = ContactFactory(), ContactFactory()
    of_ana.owners.add(ana)
    of_bruno.owners.add(bruno)

    # when both contacts write
    for_ana = _receive(of_ana, support["connection"])
    for_bruno = _receive(of_bruno, support["connection"])

    # then each ticket waits for its own agent: the other sees it in the queue but cannot take it
    assert (for_ana.assignee_id, for_bruno.assignee_id) == (ana.pk, bruno.pk)
    with pytest.raises(TicketActionForbidden):
        ticket_accept(ticket=Ticket.objects.get(pk=for_ana.pk), by=bruno)
    with pytest.raises(TicketActionForbidden):
        ticket_accept(ticket=Ticket.objects.get(pk=for_bruno.pk), by=ana)
    assert ticket_accept(ticket=Ticket.objects.get(pk=for_ana.pk), by=ana).assignee_id == ana.pk
    assert ticket_accept(ticket=Ticket.objects.get(pk=for_bruno.pk), by=bruno).status == "open"
    # and when the tenant hides others' tickets, each sees only their own
    tenant_settings_update(tenant=in_alpha.tenant, values={"hide_tickets_assigned_to_others": True})
    assert set(tickets_visible_to(ana).values_list("pk", flat=True)) == {for_ana.pk}
    assert set(tickets_visible_to(bruno).values_list("pk", flat=True)) == {for_bruno.pk}


def test_the_setting_of_one_tenant_does_not_reserve_the_other_tenants_tickets(alpha, beta):
    with tenant_scope(alpha.tenant):
        _wallet_on(alpha)
    with tenant_scope(beta.tenant):
        owner = UserFactory()
        contact = ContactFactory()
        contact.owners.add(owner)

        ticket = _receive(contact, ConnectionFactory(default_queue=QueueFactory()))

        assert ticket.assignee_id is None
    with tenant_scope(alpha.tenant):
        owner = UserFactory()
        contact = ContactFactory()
        contact.owners.add(owner)
        assert _receive(contact, ConnectionFactory()).assignee_id == owner.pk
