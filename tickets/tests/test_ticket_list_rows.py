"""The inbox list is built from plain values (no model instances) and answers the very bytes the
documented serializer and DRF's JSON renderer produced, in a fixed, small number of queries."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_api_client, sign_in_api
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.api.ticket_serializers import TicketOutputSerializer
from tickets.models import Ticket
from tickets.selectors import ticket_list_for_inbox
from tickets.tests.factories import QueueFactory, TicketFactory


@pytest.fixture
def inbox(alpha):
    """Tickets with every optional part of a row, and with none of them."""
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Suporte ✓", color="#ff0000")
        admin = AdminFactory()
        agent = UserFactory(queues=[queue], name="Ana Lúcia")
        nameless = UserFactory(queues=[queue], name="")
        tagged = ContactFactory(name='Zé "Aspas" da Silva', phone="5511999990001")
        tagged.tags.set([TagFactory(name="VIP"), TagFactory(name="Atacado")])
        full = TicketFactory(
            contact=tagged,
            queue=queue,
            assignee=agent,
            status=Ticket.Status.OPEN,
            unread_count=3,
            last_message_preview="Olá,\u2028tudo bem? <b>ok</b>",
            answered=True,
            is_outbound=True,
        )
        Ticket.objects.filter(pk=full.pk).update(last_message_at=timezone.now())
        bare = TicketFactory()
        by_email = TicketFactory(queue=queue, assignee=nameless, status=Ticket.Status.OPEN)
    return alpha, admin, agent, [full, bare, by_email]


def _old_answer(alpha, user) -> bytes:
    """What the list answered before: model instances through ``TicketOutputSerializer``,
    in the paginator's envelope, rendered by DRF's ``JSONRenderer``."""
    with tenant_scope(alpha.tenant):
        tickets = list(ticket_list_for_inbox(user=user).order_by("-last_message_at", "-id"))
        rows = TicketOutputSerializer(tickets, many=True).data
    return JSONRenderer().render({"next": None, "previous": None, "results": rows})


@pytest.mark.parametrize("who", ["admin", "agent"])
def test_the_list_answers_the_bytes_of_the_serializer(inbox, who):
    alpha, admin, agent, tickets = inbox
    user = admin if who == "admin" else agent
    api = sign_in_api(host_api_client(alpha.host), user.email)

    response = api.get("/api/v1/tickets/")

    assert response.status_code == 200
    expected = _old_answer(alpha, user)
    assert response.content == expected
    # the rows are all there, the one with every part included
    body = response.json()
    assert {row["public_id"] for row in body["results"]} >= {str(t.public_id) for t in tickets}
    full = next(r for r in body["results"] if r["public_id"] == str(tickets[0].public_id))
    assert full["queue"] is not None
    assert full["assignee"] is not None
    assert [tag["name"] for tag in full["tags"]] == ["Atacado", "VIP"]
    assert b"\\u2028" in response.content


def test_a_later_page_answers_the_bytes_of_the_serializer(inbox):
    alpha, admin, _agent, _tickets = inbox
    api = sign_in_api(host_api_client(alpha.host), admin.email)

    # (the ticket without a last message comes first: NULLs lead a descending order)
    first = api.get("/api/v1/tickets/", {"page_size": 2}).json()
    second = api.get(first["next"])

    with tenant_scope(alpha.tenant):
        ordered = list(ticket_list_for_inbox(user=admin).order_by("-last_message_at", "-id"))
        expected = JSONRenderer().render(TicketOutputSerializer(ordered[2:4], many=True).data)
    assert second.status_code == 200
    assert second.content.split(b'"results":', 1)[1] == expected + b"}"


@pytest.mark.parametrize("who", ["admin", "agent"])
def test_the_list_costs_at_most_six_queries(inbox, who, django_assert_num_queries):
    alpha, admin, agent, _tickets = inbox
    user = admin if who == "admin" else agent
    api = sign_in_api(host_api_client(alpha.host), user.email)

    # the user (with the role the visibility rule needs) and the page of rows with their tags;
    # the tenant comes from the process's host cache (warmed by the sign-in) and the
    # connection's search_path is already the tenant's (the sign-in set it); the agent's
    # queues are a subquery of the page's query
    with django_assert_num_queries(2):
        page = api.get("/api/v1/tickets/", {"page_size": 40})
    assert page.status_code == 200
    assert len(page.json()["results"]) >= 2
