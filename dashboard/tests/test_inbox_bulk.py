"""The inbox's bulk actions at ``/inbox/bulk/``: each selected ticket goes through the single
action's service and gets its own outcome; tickets of another tenant or out of the agent's
sight are refused one by one; bad input is a 400 with nothing done; a bulk of 20 costs a pinned
number of queries."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import QueueFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
URL = "/inbox/bulk/"


@pytest.fixture
def desk(alpha):
    """Ana works Suporte (two open tickets of hers, one waiting); Bruno works Vendas."""
    with tenant_scope(alpha.tenant):
        support, sales = QueueFactory(name="Suporte"), QueueFactory(name="Vendas")
        # In English (the tenant's language is pt-BR; one test reads the summary in it)
        ana = UserFactory(queues=[support], language="en")
        bruno = UserFactory(queues=[sales])
        admin = AdminFactory(language="en")
        mine = [
            TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=ana, unread_count=3)
            for _ in range(2)
        ]
        waiting = TicketFactory(queue=support)
        sales_ticket = TicketFactory(queue=sales, status=Ticket.Status.OPEN, assignee=bruno)
    return {
        "ana": ana,
        "bruno": bruno,
        "admin": admin,
        "support": support,
        "sales": sales,
        "mine": mine,
        "waiting": waiting,
        "sales_ticket": sales_ticket,
    }


def _post(client, action: str, tickets, **extra):
    data = {"action": action, "ticket": [str(t.public_id) for t in tickets], **extra}
    return client.post(URL, data, **HTMX)


def _status(fixture, ticket) -> str:
    with tenant_scope(fixture.tenant):
        ticket.refresh_from_db()
    return ticket.status


def test_close_closes_mine_and_refuses_the_others_one_by_one(alpha, beta, desk):
    with tenant_scope(beta.tenant):
        foreign = TicketFactory(status=Ticket.Status.OPEN, assignee=UserFactory())
    client = signed_in_client(alpha, desk["ana"])

    selection = [*desk["mine"], desk["waiting"], desk["sales_ticket"], foreign]
    response = _post(client, "close", selection)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "tt:bulk-done"
    html = response.content.decode()
    assert (
        "2 closed, 1 refused: You may not do this on this ticket., 2 refused: Ticket not found."
        in html
    )
    assert [_status(alpha, t) for t in desk["mine"]] == ["closed", "closed"]
    # not hers (waiting in her queue), not visible (Vendas), another tenant's: untouched
    assert _status(alpha, desk["waiting"]) == "pending"
    assert _status(alpha, desk["sales_ticket"]) == "open"
    assert _status(beta, foreign) == "open"
    # the refusals name the ticket she can see, and nothing of the ones she cannot
    assert html.count('data-testid="bulk-refused-row"') == 3
    assert desk["waiting"].protocol in html
    assert desk["sales_ticket"].protocol not in html
    assert foreign.protocol not in html
    # through the service: each closed ticket has its timeline entry
    with tenant_scope(alpha.tenant):
        closed = TicketEvent.objects.filter(kind=TicketEvent.Kind.CLOSED, actor=desk["ana"])
        assert closed.count() == 2


def test_accept_takes_the_waiting_tickets_and_refuses_those_already_open(alpha, desk):
    with tenant_scope(alpha.tenant):
        second = TicketFactory(queue=desk["support"])
    client = signed_in_client(alpha, desk["ana"])

    response = _post(client, "accept", [desk["waiting"], second, desk["mine"][0]])

    assert "2 accepted, 1 refused: Another agent accepted this ticket first." in (
        response.content.decode()
    )
    for ticket in (desk["waiting"], second):
        assert _status(alpha, ticket) == "open"
        assert ticket.assignee_id == desk["ana"].pk


def test_transfer_to_a_queue_and_to_an_agent(alpha, desk):
    client = signed_in_client(alpha, desk["admin"])

    response = _post(client, "transfer", desk["mine"], queue=desk["sales"].pk)
    assert "2 transferred" in response.content.decode()
    for ticket in desk["mine"]:
        assert _status(alpha, ticket) == "pending"
        assert (ticket.queue_id, ticket.assignee_id) == (desk["sales"].pk, None)

    response = _post(client, "transfer", desk["mine"], agent=desk["bruno"].pk)
    assert "2 transferred" in response.content.decode()
    for ticket in desk["mine"]:
        assert _status(alpha, ticket) == "open"
        assert ticket.assignee_id == desk["bruno"].pk


def test_tag_adds_the_tag_and_keeps_the_contacts_other_tags(alpha, desk):
    with tenant_scope(alpha.tenant):
        vip, old = TagFactory(name="VIP"), TagFactory(name="Antigo")
        desk["mine"][0].contact.tags.add(old)
        desk["mine"][1].contact.tags.add(vip)
    client = signed_in_client(alpha, desk["ana"])

    response = _post(client, "tag", desk["mine"], tag=vip.pk)

    assert "2 tagged" in response.content.decode()
    with tenant_scope(alpha.tenant):
        first = set(desk["mine"][0].contact.tags.values_list("name", flat=True))
        second = set(desk["mine"][1].contact.tags.values_list("name", flat=True))
        added = TicketEvent.objects.filter(kind=TicketEvent.Kind.TAG_ADDED)
        assert added.count() == 1  # the second contact already had it
    assert first == {"VIP", "Antigo"}
    assert second == {"VIP"}


def test_mark_read_zeroes_the_unread_counters(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])

    response = _post(client, "read", desk["mine"])

    assert "2 marked read" in response.content.decode()
    with tenant_scope(alpha.tenant):
        counts = Ticket.objects.filter(pk__in=[t.pk for t in desk["mine"]]).values_list(
            "unread_count", flat=True
        )
        assert list(counts) == [0, 0]


def test_the_summary_speaks_the_users_language(alpha, desk):
    with tenant_scope(alpha.tenant):
        desk["ana"].language = ""  # the tenant's: pt-BR
        desk["ana"].save(update_fields=["language"])
    client = signed_in_client(alpha, desk["ana"])

    response = _post(client, "close", [*desk["mine"], desk["waiting"]])

    assert "2 fechados, 1 recusado: " in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"action": "explode"}, "action"),
        ({"action": "close", "ticket": []}, "ticket"),
        ({"action": "transfer"}, "queue"),
        ({"action": "tag"}, "tag"),
        ({"action": "transfer", "queue": "999999"}, "queue"),
        ({"action": "transfer", "agent": "abc"}, "agent"),
        (
            {
                "action": "close",
                "ticket": [f"00000000-0000-0000-0000-{i:012d}" for i in range(101)],
            },
            "ticket",
        ),
    ],
    ids=["action", "none", "transfer-target", "tag-target", "queue", "agent", "too-many"],
)
def test_bad_input_is_a_400_and_nothing_is_done(alpha, desk, data, field):
    client = signed_in_client(alpha, desk["ana"])
    data.setdefault("ticket", [str(t.public_id) for t in desk["mine"]])

    response = client.post(URL, data, **HTMX)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bulk_invalid"
    assert body["extra"]["field"] == field
    assert body["message"]
    assert [_status(alpha, t) for t in desk["mine"]] == ["open", "open"]


def test_a_tag_or_queue_of_another_tenant_is_refused(alpha, beta, desk):
    with tenant_scope(beta.tenant):
        foreign_tag = TagFactory(name="Outro")
        foreign_queue = QueueFactory(name="Outra")
    client = signed_in_client(alpha, desk["admin"])
    # the same primary keys may exist in alpha; ids beyond alpha's are surely foreign
    response = _post(client, "tag", desk["mine"], tag=foreign_tag.pk + 10_000)
    assert response.status_code == 400
    response = _post(client, "transfer", desk["mine"], queue=foreign_queue.pk + 10_000)
    assert response.status_code == 400


def test_a_get_or_a_signed_out_user_does_nothing(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    assert client.get(URL).status_code == 405
    client.logout()
    response = _post(client, "close", desk["mine"])
    assert response.status_code == 302
    assert [_status(alpha, t) for t in desk["mine"]] == ["open", "open"]


@pytest.mark.parametrize("count", [10, 20])
def test_a_bulk_close_costs_a_pinned_number_of_queries(
    alpha, desk, count, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        tickets = [
            TicketFactory(
                queue=desk["support"],
                contact=ContactFactory(),
                status=Ticket.Status.OPEN,
                assignee=desk["ana"],
            )
            for _ in range(count)
        ]
    client = signed_in_client(alpha, desk["ana"])
    client.get("/inbox/counts/")  # warm the session
    # Session, user, the selection in one query (the search path is already the tenant's);
    # then per ticket what the single close costs: its transaction (a savepoint here, and its
    # release), the row lock, the update and the timeline entry. 103 for a bulk of 20.
    with django_assert_num_queries(3 + 5 * count):
        response = _post(client, "close", tickets)
    assert f"{count} closed" in response.content.decode()
