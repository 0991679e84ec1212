"""The inbox's fragments: the list (filter changes and keyset "load more"), one live row (204
when it leaves the list), the tabs' counts, and query counts that do not grow with the rows."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tenants.tenancy import tenant_scope
from tickets import inbox_selectors
from tickets.models import Ticket
from tickets.tests.factories import (
    AdminFactory,
    QueueFactory,
    TagFactory,
    TicketFactory,
    UserFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
# Every request first resolves its host: search_path to public, the domain, search_path back.
TENANT = 3


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def row_ids(response) -> list[str]:
    return re.findall(r'data-testid="inbox-row" data-ticket-id="([0-9a-f-]+)"', response.text)


def next_page_url(response) -> str | None:
    found = re.search(r'data-testid="inbox-load-more" hx-get="([^"]+)"', response.text)
    return found.group(1).replace("&amp;", "&") if found else None


def ordered(tickets):
    """The inbox order: newest activity first, then the higher id."""
    return [
        str(t.public_id)
        for t in sorted(tickets, key=lambda t: (t.last_message_at, t.pk), reverse=True)
    ]


def busy_tenant(count: int, *, agent=None):
    """``count`` pending tickets in one queue, each with an unread count, an assignee, and a
    contact with two tags."""
    queue = QueueFactory()
    agent = agent or UserFactory(queues=[queue])
    tags = [TagFactory(), TagFactory()]
    base = timezone.now()
    tickets = []
    for i in range(count):
        ticket = TicketFactory(
            queue=queue,
            assignee=agent if i % 2 else None,
            unread_count=i % 3,
            last_message_at=base - timedelta(minutes=i),
            last_message_preview=f"message {i}",
        )
        ticket.contact.tags.add(*tags)
        tickets.append(ticket)
    return queue, agent, tickets


# ------------------------------------------------------------------ list fragment and pages


def test_htmx_gets_the_list_fragment_with_the_counts_out_of_band(in_alpha, client_alpha):
    admin = AdminFactory()
    ticket = TicketFactory()
    client_alpha.force_login(admin)

    response = client_alpha.get("/?tab=pending", **HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert row_ids(response) == [str(ticket.public_id)]
    assert (
        'id="inbox-count-pending" data-testid="inbox-count-pending" data-count="1"' in response.text
    )
    assert 'hx-swap-oob="true"' in response.text


def test_a_history_restore_request_gets_the_whole_page(in_alpha, client_alpha):
    client_alpha.force_login(AdminFactory())

    response = client_alpha.get("/", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)

    assert "<html" in response.text


def test_load_more_walks_every_ticket_once_in_inbox_order(in_alpha, client_alpha):
    admin = AdminFactory()
    _queue, _agent, tickets = busy_tenant(inbox_selectors.PAGE_SIZE + 5)
    # Two tickets with the same activity time straddle nothing: the id breaks the tie.
    same = tickets[0].last_message_at
    Ticket.objects.filter(pk__in=[tickets[1].pk, tickets[2].pk]).update(last_message_at=same)
    for ticket in tickets:
        ticket.refresh_from_db()
    client_alpha.force_login(admin)

    first = client_alpha.get("/?tab=pending", **HTMX)
    url = next_page_url(first)
    assert url is not None
    assert "cursor=" in url
    assert "tab=pending" in url
    second = client_alpha.get(url, **HTMX)

    assert len(row_ids(first)) == inbox_selectors.PAGE_SIZE
    assert row_ids(first) + row_ids(second) == ordered(tickets)
    assert next_page_url(second) is None
    assert "inbox-count" not in second.text  # later pages leave the counts alone


def test_a_page_of_a_cursor_costs_the_same_as_the_first(
    in_alpha, client_alpha, django_assert_num_queries
):
    admin = AdminFactory()
    busy_tenant(inbox_selectors.PAGE_SIZE * 2 + 1)
    client_alpha.force_login(admin)
    second = next_page_url(client_alpha.get("/", **HTMX))
    third = next_page_url(client_alpha.get(second, **HTMX))

    with django_assert_num_queries(TENANT + 4):  # session, user, tickets, contact tags
        response = client_alpha.get(third, **HTMX)

    assert len(row_ids(response)) == 1


def test_a_tampered_cursor_is_refused_with_a_message(in_alpha, client_alpha):
    client_alpha.force_login(AdminFactory())

    response = client_alpha.get("/?cursor=not-a-cursor", **HTMX)

    assert response.status_code == 400
    assert response["X-Error-Message"]


def test_tickets_without_activity_come_first_and_page_correctly(in_alpha, client_alpha):
    admin = AdminFactory()
    _q, _a, tickets = busy_tenant(inbox_selectors.PAGE_SIZE + 2)
    silent = tickets[-3:]
    Ticket.objects.filter(pk__in=[t.pk for t in silent]).update(last_message_at=None)
    client_alpha.force_login(admin)

    rows = []
    url = "/?tab=pending"
    while url:
        response = client_alpha.get(url, **HTMX)
        rows += row_ids(response)
        url = next_page_url(response)

    expected_silent = [str(t.public_id) for t in sorted(silent, key=lambda t: t.pk, reverse=True)]
    assert rows[:3] == expected_silent
    assert rows[3:] == ordered([t for t in tickets if t not in silent])


# ------------------------------------------------------------------ the live row


def test_the_row_fragment_renders_a_ticket_of_the_list(in_alpha, client_alpha):
    admin = AdminFactory()
    ticket = TicketFactory(last_message_preview="hello there")
    client_alpha.force_login(admin)

    response = client_alpha.get(f"/inbox/rows/{ticket.public_id}/?tab=pending", **HTMX)

    assert response.status_code == 200
    assert row_ids(response) == [str(ticket.public_id)]
    assert "hello there" in response.text


def test_the_row_fragment_is_204_once_the_ticket_leaves_the_filters(in_alpha, client_alpha):
    queue = QueueFactory()
    agent = UserFactory(queues=[queue])
    ticket = TicketFactory(queue=queue)
    client_alpha.force_login(agent)
    url = f"/inbox/rows/{ticket.public_id}/?"

    assert client_alpha.get(url + "tab=pending&scope=queues").status_code == 200
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.OPEN, assignee=agent)
    assert client_alpha.get(url + "tab=pending").status_code == 204
    assert client_alpha.get(url + "tab=open&scope=mine").status_code == 200
    assert client_alpha.get(url + "tab=open&unread=on").status_code == 204
    assert client_alpha.get(url + "tab=open&" + urlencode({"q": "nobody"})).status_code == 204


def test_the_row_fragment_is_204_for_a_ticket_the_agent_may_not_see(in_alpha, client_alpha):
    sales, support = QueueFactory(), QueueFactory()
    outsider = UserFactory(queues=[support])
    ticket = TicketFactory(queue=sales)
    client_alpha.force_login(outsider)

    for scope in ("mine", "queues", "all"):
        response = client_alpha.get(f"/inbox/rows/{ticket.public_id}/?scope={scope}")
        assert response.status_code == 204
        assert response.content == b""


def test_the_row_fragment_keeps_the_open_ticket_highlighted(in_alpha, client_alpha):
    admin = AdminFactory()
    ticket = TicketFactory()
    client_alpha.force_login(admin)

    response = client_alpha.get(f"/inbox/rows/{ticket.public_id}/?ticket={ticket.public_id}")

    assert 'aria-current="true"' in response.text
    assert f"ticket={ticket.public_id}" in response.text


# ------------------------------------------------------------------ counts


def test_the_counts_fragment_counts_each_tab_under_the_filters(in_alpha, client_alpha):
    queue = QueueFactory()
    agent = UserFactory(queues=[queue])
    TicketFactory(queue=queue)
    TicketFactory(queue=queue)
    TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    TicketFactory()  # no queue: in "all", not in "queues"
    client_alpha.force_login(agent)

    mine = client_alpha.get("/inbox/counts/?scope=queues").text
    everything = client_alpha.get("/inbox/counts/?scope=all").text

    assert 'data-testid="inbox-count-pending" data-count="2" hx-swap-oob="true">2<' in mine
    assert 'data-testid="inbox-count-open" data-count="1" hx-swap-oob="true">1<' in mine
    assert 'data-testid="inbox-count-closed" data-count="0" hx-swap-oob="true">0<' in mine
    assert 'data-testid="inbox-count-pending" data-count="3"' in everything


def test_a_count_stops_at_the_cap(in_alpha, client_alpha, monkeypatch):
    # The cap is a constant of the module; three tickets stand in for a thousand.
    monkeypatch.setattr(inbox_selectors, "COUNT_CAP", 2)
    admin = AdminFactory()
    for _ in range(4):
        TicketFactory()
    client_alpha.force_login(admin)

    html = client_alpha.get("/inbox/counts/").text

    assert 'data-testid="inbox-count-pending" data-count="3"' in html


# ------------------------------------------------------------------ pinned queries


@pytest.mark.parametrize("rows", [3, 30])
def test_the_page_costs_a_fixed_number_of_queries(
    in_alpha, client_alpha, django_assert_num_queries, rows
):
    _queue, agent, _tickets = busy_tenant(rows)
    client_alpha.force_login(agent)
    client_alpha.get("/")  # warm the tenant's caches

    # session, user, tickets, contact tags, 3 counts, queues, tags, connections
    with django_assert_num_queries(TENANT + 10):
        response = client_alpha.get("/?scope=all")

    assert len(row_ids(response)) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_fragment_costs_a_fixed_number_of_queries(
    in_alpha, client_alpha, django_assert_num_queries, rows
):
    admin = AdminFactory()
    busy_tenant(rows)
    client_alpha.force_login(admin)
    client_alpha.get("/", **HTMX)

    # session, user, tickets, contact tags, 3 counts
    with django_assert_num_queries(TENANT + 7):
        response = client_alpha.get("/?tab=pending&unread=on&scope=all", **HTMX)

    assert len(row_ids(response)) == len([i for i in range(rows) if i % 3])


def test_the_page_with_an_open_ticket_adds_one_query(
    in_alpha, client_alpha, django_assert_num_queries
):
    _queue, agent, tickets = busy_tenant(30)
    client_alpha.force_login(agent)
    client_alpha.get("/")

    with django_assert_num_queries(TENANT + 11):  # the page's + the open ticket
        client_alpha.get(f"/?ticket={tickets[0].public_id}")


def test_the_row_and_counts_fragments_cost_a_fixed_number_of_queries(
    in_alpha, client_alpha, django_assert_num_queries
):
    _queue, agent, tickets = busy_tenant(5)
    client_alpha.force_login(agent)
    client_alpha.get("/inbox/counts/")

    with django_assert_num_queries(TENANT + 4):  # session, user, ticket, contact tags
        client_alpha.get(f"/inbox/rows/{tickets[1].public_id}/")
    with django_assert_num_queries(TENANT + 5):  # session, user, 3 counts
        client_alpha.get("/inbox/counts/")
