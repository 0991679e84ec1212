"""The inbox search reads the tickets table once: the matching contacts are an array the ticket
row is compared with, the protocol is tested on the row. Fetching every ticket of every
matching contact before the page cost 27 of the 32 ms of a search for a word found in 3 % of the
contacts' names at 100k tickets (docs/performance.md, "The inbox list and search III")."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tests.support.plans import plan_nodes
from tickets.selectors import ticket_inbox_rows, ticket_list_for_inbox
from tickets.tests.factories import MessageFactory, TicketFactory


@pytest.fixture
def admin(alpha):
    with tenant_scope(alpha.tenant):
        for n in range(6):
            ticket = TicketFactory(contact=ContactFactory(name=f"Cliente {n} reembolso"))
            MessageFactory(ticket=ticket, body="Quero o reembolso da compra")
        TicketFactory(contact=ContactFactory(name="Outra pessoa"))
        yield AdminFactory()


@pytest.mark.parametrize("search", ["reembolso", "Cliente 3", "5511"])
def test_a_search_scans_the_tickets_table_once(admin, search):
    page = ticket_inbox_rows(ticket_list_for_inbox(user=admin, search=search))[:40]
    tickets_scans = [
        node for node in plan_nodes(page) if node.get("Relation Name") == "tickets_ticket"
    ]
    assert len(tickets_scans) == 1, [node["Node Type"] for node in tickets_scans]


def test_the_search_still_finds_by_name_protocol_and_text(admin):
    named = list(ticket_list_for_inbox(user=admin, search="cliente 3"))
    assert [ticket.contact.name for ticket in named] == ["Cliente 3 reembolso"]
    by_protocol = list(ticket_list_for_inbox(user=admin, search=named[0].protocol.lower()))
    assert by_protocol == named
    assert len(list(ticket_list_for_inbox(user=admin, search="compra"))) == 6
