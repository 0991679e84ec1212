"""Merging two contacts moves identities, tickets, messages, tags and owners to the survivor."""

import pytest

from accounts.errors import AdminRequired
from accounts.tests.factories import AdminFactory, UserFactory
from contacts.models import Contact, ContactIdentity
from contacts.tests.factories import ContactFactory, ContactIdentityFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.errors import MergeConflictActiveTickets, MergeSameContact
from tickets.models import Message, Ticket, TicketEvent
from tickets.services.contact_merge import contact_merge
from tickets.tests.factories import MessageFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def test_everything_moves_to_the_survivor_and_the_merged_contact_is_gone(in_alpha):
    admin = AdminFactory()
    survivor = ContactFactory(name="Ana", phone="", email="")
    merged = ContactFactory(name="Ana T", email="ana@example.com", custom_attributes={"cpf": "1"})
    survivor_tag, merged_tag = TagFactory(), TagFactory()
    survivor.tags.add(survivor_tag)
    merged.tags.add(merged_tag, survivor_tag)
    owner = UserFactory()
    merged.owners.add(owner)
    identity = ContactIdentityFactory(contact=merged, provider="telegram")
    closed = TicketFactory(contact=merged, status=Ticket.Status.CLOSED)
    active = TicketFactory(contact=merged)
    message = MessageFactory(ticket=active)
    phone = merged.phone

    contact_merge(survivor=survivor, merged=merged, by=admin)

    assert not Contact.objects.filter(pk=merged.pk).exists()
    survivor.refresh_from_db()
    assert (survivor.phone, survivor.email) == (phone, "ana@example.com")
    assert survivor.custom_attributes == {"cpf": "1"}
    assert ContactIdentity.objects.get(pk=identity.pk).contact_id == survivor.pk
    assert set(Ticket.objects.filter(contact=survivor).values_list("pk", flat=True)) == {
        closed.pk,
        active.pk,
    }
    assert Message.objects.get(pk=message.pk).sender_contact_id == survivor.pk
    assert set(survivor.tags.all()) == {survivor_tag, merged_tag}
    assert list(survivor.owners.all()) == [owner]
    merged_events = TicketEvent.objects.filter(kind=TicketEvent.Kind.CONTACT_MERGED)
    assert {event.ticket_id for event in merged_events} == {closed.pk, active.pk}
    assert merged_events.first().data["merged_contact"]["phone"] == phone


def test_active_tickets_on_the_same_connection_block_the_merge(in_alpha):
    survivor, merged = ContactFactory(), ContactFactory()
    first = TicketFactory(contact=survivor)
    TicketFactory(contact=merged, connection=first.connection)

    with pytest.raises(MergeConflictActiveTickets):
        contact_merge(survivor=survivor, merged=merged, by=AdminFactory())
    assert Contact.objects.filter(pk=merged.pk).exists()


def test_active_tickets_on_different_connections_merge_fine(in_alpha):
    survivor, merged = ContactFactory(), ContactFactory()
    TicketFactory(contact=survivor)
    TicketFactory(contact=merged)
    contact_merge(survivor=survivor, merged=merged, by=AdminFactory())
    assert Ticket.objects.filter(contact=survivor).count() == 2


def test_only_admins_merge_and_never_a_contact_into_itself(in_alpha):
    contact = ContactFactory()
    with pytest.raises(AdminRequired):
        contact_merge(survivor=contact, merged=ContactFactory(), by=UserFactory())
    with pytest.raises(MergeSameContact):
        contact_merge(survivor=contact, merged=contact, by=AdminFactory())
