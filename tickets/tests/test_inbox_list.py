"""The inbox selector: scopes, filters and search (name, phone, protocol, message text)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.selectors import ticket_list_for_inbox
from tickets.tests.factories import MessageFactory, QueueFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def _ids(queryset):
    return {ticket.pk for ticket in queryset}


def test_scopes_mine_and_queues(in_alpha):
    queue = QueueFactory()
    agent = UserFactory(queues=[queue])
    mine = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    waiting = TicketFactory(queue=queue)
    assigned_elsewhere = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)

    assert _ids(ticket_list_for_inbox(user=agent, scope="mine")) == {
        mine.pk,
        assigned_elsewhere.pk,
    }
    assert _ids(ticket_list_for_inbox(user=agent, scope="queues")) == {mine.pk, waiting.pk}


def test_filters_status_queue_assignee_unread_tag_and_connection(in_alpha):
    admin = AdminFactory()
    sales, support = QueueFactory(), QueueFactory()
    tag = TagFactory()
    a = TicketFactory(queue=sales, unread_count=2)
    b = TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=admin)
    c = TicketFactory(status=Ticket.Status.CLOSED)
    c.contact.tags.add(tag)

    def ids(**filters):
        return _ids(ticket_list_for_inbox(user=admin, **filters))

    assert ids(status=["pending", "open"]) == {a.pk, b.pk}
    assert ids(queue_ids=[sales.pk]) == {a.pk}
    assert ids(assignee="me") == {b.pk}
    assert ids(assignee=admin.pk) == {b.pk}
    assert ids(assignee="unassigned") == {a.pk, c.pk}
    assert ids(unread_only=True) == {a.pk}
    assert ids(tag_ids=[tag.pk]) == {c.pk}
    assert ids(connection_ids=[b.connection.public_id]) == {b.pk}


def test_date_range_is_inclusive_of_both_days(in_alpha):
    admin = AdminFactory()
    old, new = TicketFactory(), TicketFactory()
    Ticket.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate()

    assert _ids(ticket_list_for_inbox(user=admin, created_from=today, created_to=today)) == {new.pk}
    assert _ids(ticket_list_for_inbox(user=admin, created_to=today - timedelta(days=5))) == {old.pk}


def test_search_finds_name_phone_protocol_and_message_text(in_alpha):
    admin = AdminFactory()
    by_name = TicketFactory(contact=ContactFactory(name="Joana Prado"))
    by_phone = TicketFactory(contact=ContactFactory(phone="+5521987650000"))
    by_text = TicketFactory()
    MessageFactory(ticket=by_text, body="Preciso cancelar minhas assinaturas hoje")
    other = TicketFactory(contact=ContactFactory(name="Zé"))
    MessageFactory(ticket=other, body="bom dia")

    def search(term):
        return _ids(ticket_list_for_inbox(user=admin, search=term))

    assert search("joana") == {by_name.pk}
    assert search("(21) 98765") == {by_phone.pk}
    assert search(by_text.protocol) == {by_text.pk}
    # Full-text search with Portuguese stemming: "assinatura" finds "assinaturas".
    assert search("assinatura") == {by_text.pk}
    assert other.pk not in search("cancelar")


def test_search_ignores_deleted_messages(in_alpha):
    admin = AdminFactory()
    ticket = TicketFactory()
    MessageFactory(ticket=ticket, body="segredo guardado", deleted_at=timezone.now())
    assert _ids(ticket_list_for_inbox(user=admin, search="segredo")) == set()
