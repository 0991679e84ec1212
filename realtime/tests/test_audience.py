"""The websocket audience of a ticket is the visibility rule of the API, turned around.

For every combination of the settings that hide tickets, and tickets in every relevant shape,
a user hears a ticket's events (is in one of its audience groups) exactly when the ticket is in
``tickets_visible_to(user)``.
"""

from __future__ import annotations

import itertools

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from contacts.tests.factories import ContactFactory
from realtime.groups import audience_groups, subscriptions_for
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.selectors import ticket_audience, tickets_visible_to
from tickets.tests.factories import ConnectionFactory, QueueFactory, TicketFactory

SETTINGS = (
    "hide_tickets_assigned_to_others",
    "hide_tickets_of_other_wallets",
    "hide_tickets_without_queue",
)


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=3)))
def test_audience_groups_match_the_visibility_selector(alpha, flags):
    with tenant_scope(alpha.tenant):
        tenant_settings_update(tenant=alpha.tenant, values=dict(zip(SETTINGS, flags, strict=True)))
        sales, support = QueueFactory(), QueueFactory()
        ana = UserFactory(queues=[sales])
        bia = UserFactory(queues=[sales, support])
        caio = UserFactory(queues=[])
        admin = AdminFactory()
        users = [ana, bia, caio, admin]
        owned = ContactFactory()
        owned.owners.set([bia])
        free = ContactFactory()
        tickets = []
        for contact, queue, assignee in itertools.product(
            [owned, free], [sales, support, None], [None, ana, bia, caio]
        ):
            tickets.append(
                TicketFactory(
                    contact=contact,
                    connection=ConnectionFactory(),  # one active ticket per connection
                    queue=queue,
                    assignee=assignee,
                    status=Ticket.Status.CLOSED if assignee is None else Ticket.Status.OPEN,
                )
            )

        for user in users:
            subscribed = set(subscriptions_for(user))
            visible = set(tickets_visible_to(user).values_list("pk", flat=True))
            for ticket in tickets:
                hears = not subscribed.isdisjoint(audience_groups(ticket_audience(ticket)))
                assert hears == (ticket.pk in visible), (user, ticket, flags)
