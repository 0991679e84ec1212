"""The inbox page read with SQL kept per shape of the query (``ticket_inbox_page``): for every
filter, role and visibility setting, the same rows as the queryset it stands for, whatever
request compiled the kept SQL, in whichever tenant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_api_client, sign_in_api
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.selectors import ticket_inbox_rows, ticket_list_for_inbox
from tickets.selectors.tickets import _compiled_page, ticket_inbox_page
from tickets.tests.factories import MessageFactory, QueueFactory, TicketFactory

ORDER = ("-last_message_at", "-id")
HIDE = (
    "hide_tickets_without_queue",
    "hide_tickets_assigned_to_others",
    "hide_tickets_of_other_wallets",
)


def _world() -> dict[str, Any]:
    """Tickets on two queues, with and without assignee, tags, wallet owners, unread messages,
    searchable names, phones and message text, two days of creation and a tie of activity."""
    sales, support = QueueFactory(), QueueFactory()
    agent = UserFactory(queues=[sales])
    other = UserFactory(queues=[support])
    admin = AdminFactory()
    vip = TagFactory(name="VIP")
    now = timezone.now()
    tickets = [
        TicketFactory(queue=sales, contact=ContactFactory(name="Joana Prado")),
        TicketFactory(queue=sales, status=Ticket.Status.OPEN, assignee=agent, unread_count=2),
        TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=other),
        TicketFactory(queue=support, contact=ContactFactory(phone="+5521987650000")),
        TicketFactory(queue=None, status=Ticket.Status.CLOSED),
        TicketFactory(queue=None, status=Ticket.Status.OPEN, assignee=other, unread_count=1),
        TicketFactory(queue=support),
    ]
    tickets[2].contact.tags.add(vip)
    tickets[3].contact.owners.add(agent)
    tickets[5].contact.owners.add(other)
    MessageFactory(ticket=tickets[4], body="Quero o reembolso da assinatura")
    MessageFactory(ticket=tickets[2], body="o reembolso chegou")
    for index, ticket in enumerate(tickets[:6]):
        # tickets 2 and 3 share their last activity (the keyset cursor's offset)
        moment = now - timedelta(minutes=2 if index == 3 else index)
        Ticket.objects.filter(pk=ticket.pk).update(last_message_at=moment)
    Ticket.objects.filter(pk=tickets[0].pk).update(created_at=now - timedelta(days=3))
    return {
        "sales": sales,
        "support": support,
        "agent": agent,
        "other": other,
        "admin": admin,
        "vip": vip,
        "tickets": tickets,
        "today": timezone.localdate(),
    }


def _filter_sets(world: dict[str, Any]) -> list[dict[str, Any]]:
    tickets, today = world["tickets"], world["today"]
    return [
        {},
        {"status": ["open"]},
        {"status": ["pending", "closed"]},
        {"scope": "mine"},
        {"scope": "queues"},
        {"queue_ids": [world["sales"].pk]},
        {"queue_ids": [world["sales"].pk, world["support"].pk], "status": ["open"]},
        {"tag_ids": [world["vip"].pk]},
        {"connection_ids": [tickets[2].connection.public_id]},
        {"assignee": "me"},
        {"assignee": "unassigned"},
        {"assignee": world["other"].pk},
        {"unread_only": True},
        {"created_from": today, "created_to": today},
        {"created_to": today - timedelta(days=2)},
        {"search": "joana"},
        {"search": "98765"},
        {"search": tickets[1].protocol.lower()},
        {"search": "reembolso"},
        {"search": "50% off_"},
    ]


def _expected(user, filters, *, reverse=False, after=None, offset=0, limit=100):
    rows = ticket_inbox_rows(ticket_list_for_inbox(user=user, **filters))
    rows = rows.order_by(*(field.lstrip("-") for field in ORDER) if reverse else ORDER)
    if after is not None:
        rows = rows.filter(**{f"last_message_at__{after[0]}": after[1]})
    return list(rows[offset : offset + limit])


@pytest.fixture
def world(alpha):
    with tenant_scope(alpha.tenant):
        yield _world()


@pytest.mark.parametrize("who", ["admin", "agent"])
@pytest.mark.parametrize("hidden", [(), HIDE, HIDE[:1], HIDE[1:2], HIDE[2:]])
def test_every_filter_reads_the_rows_of_the_queryset(alpha, world, who, hidden):
    if hidden:
        tenant_settings_update(tenant=alpha.tenant, values=dict.fromkeys(hidden, True))
    user = world[who]
    for filters in _filter_sets(world):
        expected = _expected(user, filters)
        assert ticket_inbox_page(user=user, **filters, limit=100) == expected, filters
    # at least some filters found something, and the hidden settings hid something
    assert _expected(user, {})


def test_keyset_steps_read_the_rows_of_the_queryset(world):
    admin = world["admin"]
    moments = sorted(
        Ticket.objects.exclude(last_message_at=None).values_list("last_message_at", flat=True)
    )
    position = str(moments[2])  # as the paginator's cursor carries it
    for reverse in (False, True):
        for after in (None, ("lt", position), ("gt", position)):
            for offset, limit in ((0, 3), (1, 2), (2, 41)):
                page = {"reverse": reverse, "after": after, "offset": offset, "limit": limit}
                expected = _expected(admin, {"status": ["pending", "open"]}, **page)
                got = ticket_inbox_page(user=admin, status=["pending", "open"], **page)
                assert got == expected, page


def test_a_kept_shape_answers_each_requests_own_values(world):
    """The second request of a shape reuses the first one's SQL (no compilation) with its own
    user and values: another agent, another status, another search."""
    agent, other = world["agent"], world["other"]
    first = {"status": ["open"], "search": "reembolso"}
    second = {"status": ["closed"], "search": "assinatura"}
    assert ticket_inbox_page(user=agent, **first) == _expected(agent, first)
    compiled = _compiled_page.cache_info()

    for user, filters in ((other, first), (agent, second), (other, second)):
        assert ticket_inbox_page(user=user, **filters) == _expected(user, filters)

    after = _compiled_page.cache_info()
    assert after.misses == compiled.misses
    assert after.hits == compiled.hits + 3
    assert {row["t_public_id"] for row in ticket_inbox_page(user=other, **first)} == {
        world["tickets"][2].public_id
    }


def test_a_shape_kept_in_one_tenant_reads_the_other_tenants_rows(alpha, beta):
    with tenant_scope(alpha.tenant):
        alpha_world = _world()
        alpha_rows = ticket_inbox_page(user=alpha_world["admin"], status=["open"])
    with tenant_scope(beta.tenant):
        beta_world = _world()
        beta_rows = ticket_inbox_page(user=beta_world["admin"], status=["open"])
        assert beta_rows == _expected(beta_world["admin"], {"status": ["open"]})
    assert {row["t_public_id"] for row in alpha_rows}.isdisjoint(
        {row["t_public_id"] for row in beta_rows}
    )
    assert beta_rows


def test_the_api_pages_forward_and_back_through_ties(alpha, world):
    """``next`` and ``previous`` links (cursor positions, offsets on a tie of activity, the
    reversed order) walk the same rows as the queryset."""
    api = sign_in_api(host_api_client(alpha.host), world["admin"].email)
    expected = [str(row["t_public_id"]) for row in _expected(world["admin"], {})]

    pages, url = [], "/api/v1/tickets/?page_size=2"
    while url:
        response = api.get(url)
        assert response.status_code == 200, (url, response.content)
        body = response.json()
        pages.append([row["public_id"] for row in body["results"]])
        url = body["next"]
    assert [public_id for page in pages for public_id in page] == expected

    back, url = [], body["previous"]
    while url:
        body = api.get(url).json()
        back.insert(0, [row["public_id"] for row in body["results"]])
        url = body["previous"]
    assert [public_id for page in back for public_id in page] == expected[: -len(pages[-1])]
