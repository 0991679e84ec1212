"""The inbox page at ``/``: tabs, scopes, filters, search, keyset pages, the live row fragment,
what an agent outside a queue sees, two tenants, and the queries a page costs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_client, signed_in_client
from contacts.tests.factories import ContactFactory, TagFactory
from core.redis import redis_client
from dashboard.inbox.views import PAGE_SIZE
from tenants.tenancy import redis_key, tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _row_ids(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"', 1)[0] for part in html.split('data-ticket-id="')[1:]]


@pytest.fixture
def desk(alpha):
    """Queue Suporte with agent Ana; queue Vendas with Bruno; tickets in each."""
    with tenant_scope(alpha.tenant):
        support, sales = QueueFactory(name="Suporte"), QueueFactory(name="Vendas")
        ana, bruno = UserFactory(queues=[support]), UserFactory(queues=[sales])
        admin = AdminFactory()
        now = timezone.now()
        waiting = TicketFactory(queue=support, last_message_at=now - timedelta(minutes=5))
        mine = TicketFactory(
            queue=support, status=Ticket.Status.OPEN, assignee=ana, last_message_at=now
        )
        sales_ticket = TicketFactory(queue=sales, last_message_at=now - timedelta(minutes=1))
    return {
        "ana": ana,
        "bruno": bruno,
        "admin": admin,
        "support": support,
        "waiting": waiting,
        "mine": mine,
        "sales": sales_ticket,
    }


def test_the_inbox_needs_a_signed_in_user(alpha):
    response = host_client(alpha.host).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_tabs_show_each_status_with_counts_and_an_agent_sees_only_their_queues(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])

    pending = client.get("/?tab=pending")
    opened = client.get("/?tab=open")

    assert _row_ids(pending) == [str(desk["waiting"].public_id)]
    assert _row_ids(opened) == [str(desk["mine"].public_id)]
    page = pending.content.decode()
    assert 'data-testid="inbox-count-pending">1<' in page
    assert 'data-testid="inbox-count-open">1<' in page
    assert str(desk["sales"].public_id) not in page  # Vendas is not Ana's queue


def test_an_admin_sees_every_queue_and_scopes_narrow_it(alpha, desk):
    client = signed_in_client(alpha, desk["admin"])
    assert set(_row_ids(client.get("/?tab=pending"))) == {
        str(desk["waiting"].public_id),
        str(desk["sales"].public_id),
    }
    assert _row_ids(client.get("/?tab=pending&scope=mine")) == []
    ana = signed_in_client(alpha, desk["ana"])
    assert _row_ids(ana.get("/?tab=open&scope=mine")) == [str(desk["mine"].public_id)]


def test_filters_and_search_narrow_the_list(alpha, desk):
    with tenant_scope(alpha.tenant):
        vip = TagFactory(name="VIP")
        maria = ContactFactory(name="Maria Quitéria")
        maria.tags.add(vip)
        tagged = TicketFactory(queue=desk["support"], contact=maria, unread_count=2)
    client = signed_in_client(alpha, desk["admin"])

    assert _row_ids(client.get(f"/?tab=pending&tag={vip.pk}")) == [str(tagged.public_id)]
    assert _row_ids(client.get("/?tab=pending&q=Quitéria")) == [str(tagged.public_id)]
    assert _row_ids(client.get("/?tab=pending&unread=1")) == [str(tagged.public_id)]
    by_queue = _row_ids(client.get(f"/?tab=pending&queue={desk['support'].pk}"))
    assert set(by_queue) == {str(tagged.public_id), str(desk["waiting"].public_id)}
    # htmx asks for the list only
    fragment = client.get("/?tab=pending&q=Quitéria", **HTMX)
    assert "<html" not in fragment.content.decode()
    assert _row_ids(fragment) == [str(tagged.public_id)]


def test_load_more_walks_the_whole_list_once_in_inbox_order(alpha, desk):
    with tenant_scope(alpha.tenant):
        start = timezone.now() - timedelta(hours=2)
        extra = [
            TicketFactory(queue=desk["support"], last_message_at=start + timedelta(seconds=i))
            for i in range(PAGE_SIZE + 5)
        ]
        # two tickets with the same activity time and one older than all the others
        same = start + timedelta(seconds=3)
        extra += [TicketFactory(queue=desk["support"], last_message_at=same)]
        extra += [TicketFactory(queue=desk["support"], last_message_at=start - timedelta(days=1))]
    client = signed_in_client(alpha, desk["ana"])
    seen: list[str] = []
    response = client.get("/?tab=pending")
    while True:
        seen += _row_ids(response)
        html = response.content.decode()
        if 'class="load-more"' not in html:
            break
        next_url = html.split('class="load-more" hx-get="', 1)[1].split('"', 1)[0]
        assert 'data-testid="inbox-load-more"' in html  # a button: reachable by keyboard too
        response = client.get(next_url.replace("&amp;", "&"), **HTMX)
    expected = {str(t.public_id) for t in extra} | {str(desk["waiting"].public_id)}
    assert len(seen) == len(expected)
    assert set(seen) == expected
    assert seen[0] == str(desk["waiting"].public_id)  # the newest activity first
    assert seen[-1] == str(extra[-1].public_id)  # the oldest last


def test_the_row_fragment_follows_the_filters_and_the_agents_visibility(alpha, desk):
    ana = signed_in_client(alpha, desk["ana"])
    bruno = signed_in_client(alpha, desk["bruno"])
    waiting = desk["waiting"].public_id

    row = ana.get(f"/inbox/rows/{waiting}/?tab=pending", **HTMX)
    assert row.status_code == 200
    assert f'data-ticket-id="{waiting}"' in row.content.decode()
    assert ana.get(f"/inbox/rows/{waiting}/?tab=open", **HTMX).status_code == 204
    assert bruno.get(f"/inbox/rows/{waiting}/?tab=pending", **HTMX).status_code == 204


def test_another_tenants_tickets_never_appear(alpha, beta, desk):
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
        beta_ticket = TicketFactory()
    alpha_client = signed_in_client(alpha, desk["admin"])
    beta_client = signed_in_client(beta, beta_admin)

    assert str(beta_ticket.public_id) not in alpha_client.get("/?tab=pending").content.decode()
    assert alpha_client.get(f"/inbox/rows/{beta_ticket.public_id}/", **HTMX).status_code == 204
    assert _row_ids(beta_client.get("/?tab=pending")) == [str(beta_ticket.public_id)]


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_and_the_list_cost_the_same_queries_for_3_or_30_rows(
    alpha, desk, count, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        tags = [TagFactory(), TagFactory()]
        for _ in range(count):
            contact = ContactFactory()
            contact.tags.set(tags)
            TicketFactory(
                queue=desk["support"],
                contact=contact,
                status=Ticket.Status.OPEN,
                assignee=desk["ana"],
                unread_count=1,
            )
    client = signed_in_client(alpha, desk["ana"])
    client.get("/")  # warm the session
    # session, user, rows, contact tags, one capped count per tab (3), then the filter
    # pickers: queues (and whether their business hours are open), tags, connections; the
    # agents a bulk transfer may pick; the user's saved filters (the search path is already
    # the tenant's)
    with django_assert_num_queries(13):
        page = client.get("/?tab=open")
    assert len(_row_ids(page)) == count + 1
    # session, user, rows, contact tags, the three tab counts
    with django_assert_num_queries(7):
        client.get("/?tab=open", **HTMX)


def test_tab_counts_stop_at_the_cap_and_disappear_while_searching(alpha, desk, monkeypatch):
    from dashboard.inbox import views as inbox_views

    monkeypatch.setattr(inbox_views, "COUNT_CAP", 2)
    with tenant_scope(alpha.tenant):
        for _ in range(3):
            TicketFactory(queue=desk["support"])
    client = signed_in_client(alpha, desk["ana"])
    page = client.get("/?tab=pending").content.decode()
    assert 'data-testid="inbox-count-pending">2+<' in page
    assert 'data-testid="inbox-count-open">1<' in page
    searching = client.get("/?tab=pending&q=Maria").content.decode()
    assert 'data-testid="inbox-count-pending"' not in searching


def test_the_page_carries_the_live_event_id_it_was_read_at(alpha, desk):
    with tenant_scope(alpha.tenant):
        redis_client().set(redis_key("realtime", "seq"), 1042)
    client = signed_in_client(alpha, desk["admin"])

    page = client.get("/")
    fragment = client.get("/", HTTP_HX_REQUEST="true")

    assert 'data-last-event-id="1042"' in page.content.decode()
    assert "data-last-event-id" not in fragment.content.decode()
