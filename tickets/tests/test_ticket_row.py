"""The fast inbox row is exactly what the documented serializer would produce."""

from __future__ import annotations

from django.utils import timezone

from accounts.tests.factories import UserFactory
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.api.ticket_serializers import TicketOutputSerializer, ticket_row
from tickets.models import Ticket
from tickets.selectors import ticket_get_for_event
from tickets.tests.factories import QueueFactory, TicketFactory


def test_ticket_row_equals_the_serializer_output(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        agent = UserFactory(queues=[queue])
        tagged = ContactFactory()
        tagged.tags.set([TagFactory(name="VIP"), TagFactory(name="Atacado")])
        tickets = [
            TicketFactory(),
            TicketFactory(
                contact=tagged,
                queue=queue,
                assignee=agent,
                status=Ticket.Status.OPEN,
                unread_count=3,
                last_message_preview="Oi",
                answered=True,
            ),
            TicketFactory(status=Ticket.Status.CLOSED),
        ]
        Ticket.objects.filter(pk=tickets[0].pk).update(last_message_at=timezone.now())

        for ticket in tickets:
            loaded = ticket_get_for_event(ticket.pk)
            assert loaded is not None
            assert ticket_row(loaded) == TicketOutputSerializer(loaded).data
