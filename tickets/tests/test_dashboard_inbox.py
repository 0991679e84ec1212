"""The inbox page at ``/``: who may open it, what each tab, scope, filter and search lists, the
open ticket from the address, tenant isolation and the page's contract of test ids."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from tenants.services import tenant_settings_update
from tenants.tenancy import redis_key, tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import (
    AdminFactory,
    ConnectionFactory,
    ContactFactory,
    MessageFactory,
    QueueFactory,
    TagFactory,
    TicketFactory,
    UserFactory,
)

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def row_ids(response) -> list[str]:
    return re.findall(r'data-testid="inbox-row" data-ticket-id="([0-9a-f-]+)"', response.text)


def ids(*tickets: Ticket) -> list[str]:
    return [str(ticket.public_id) for ticket in tickets]


def get(client, user, **params):
    client.force_login(user)
    return client.get("/?" + urlencode(params, doseq=True))


def get_list(client, user, **params):
    client.force_login(user)
    return client.get("/?" + urlencode(params, doseq=True), **HTMX)


# ------------------------------------------------------------------ access


def test_an_anonymous_visitor_is_sent_to_sign_in(in_alpha, client_alpha):
    response = client_alpha.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("factory", [AdminFactory, UserFactory])
def test_the_page_opens_for_admins_and_agents_with_every_test_id(in_alpha, client_alpha, factory):
    response = get(client_alpha, factory())

    assert response.status_code == 200
    html = response.text
    assert '<section id="inbox-list" class="inbox-list" data-testid="inbox-list"' in html
    assert '<section id="ticket-panel" class="inbox-panel" data-testid="ticket-panel-slot"' in html
    for test_id in (
        "inbox-tab-pending",
        "inbox-tab-open",
        "inbox-tab-closed",
        "inbox-count-pending",
        "inbox-count-open",
        "inbox-count-closed",
        "inbox-scope-mine",
        "inbox-scope-queues",
        "inbox-scope-all",
        "inbox-search",
        "inbox-filter-queue",
        "inbox-filter-tag",
        "inbox-filter-connection",
        "inbox-filter-unread",
        "inbox-notify-toggle",
        "inbox-shortcuts",
    ):
        assert f'data-testid="{test_id}"' in html, test_id
    assert "js/inbox.js" in html
    assert response["Vary"].count("HX-Request") == 1


def test_a_row_shows_contact_preview_unread_assignee_channel_tags_and_waiting_time(
    in_alpha, client_alpha
):
    admin = AdminFactory(name="Rita Lobo")
    tag = TagFactory(name="vip", color="#123abc")
    contact = ContactFactory(name="Joana Prado")
    contact.tags.add(tag)
    connection = ConnectionFactory(provider="telegram", name="Bot")
    ticket = TicketFactory(
        contact=contact,
        connection=connection,
        status=Ticket.Status.OPEN,
        assignee=admin,
        unread_count=3,
        last_message_preview="Where is my order?",
    )

    html = get(client_alpha, admin, tab="open").text

    row = html[html.index(f'data-ticket-id="{ticket.public_id}"') :]
    row = row[: row.index("</li>")]
    assert 'data-status="open"' in row
    assert re.search(r'data-testid="inbox-row-contact">Joana Prado<', row)
    assert ">JP</span>" in row  # avatar initials
    assert re.search(r'data-testid="inbox-row-preview">Where is my order\?<', row)
    assert re.search(r'data-testid="inbox-row-unread"[^>]*>3<', row)
    assert re.search(r'data-testid="inbox-row-assignee">.*Rita Lobo<', row)
    assert 'data-provider="telegram"' in row
    assert 'role="img" aria-label="Telegram: Bot"' in row
    assert "--chip-color: #123abc" in row
    assert ">vip<" in row
    assert re.search(r'<time [^>]*datetime="[^"]+-03:00"', row)  # the tenant's zone


def test_the_unread_badge_is_absent_when_everything_is_read(in_alpha, client_alpha):
    admin = AdminFactory()
    TicketFactory(unread_count=0)

    assert 'data-testid="inbox-row-unread"' not in get(client_alpha, admin).text


# ------------------------------------------------------------------ tabs, scopes, filters


def test_tabs_list_their_status_and_count_every_tab(in_alpha, client_alpha):
    admin = AdminFactory()
    pending = TicketFactory()
    opened = TicketFactory(status=Ticket.Status.OPEN, assignee=admin)
    closed = TicketFactory(status=Ticket.Status.CLOSED)

    assert row_ids(get(client_alpha, admin)) == ids(pending)  # pending is the default tab
    assert row_ids(get(client_alpha, admin, tab="open")) == ids(opened)
    response = get(client_alpha, admin, tab="closed")
    assert row_ids(response) == ids(closed)
    for tab in ("pending", "open", "closed"):
        assert re.search(rf'data-testid="inbox-count-{tab}" data-count="1">1<', response.text)


def test_scopes_for_an_agent_mine_my_queues_and_all_they_may_see(in_alpha, client_alpha):
    sales, other = QueueFactory(), QueueFactory()
    agent = UserFactory(queues=[sales])
    colleague = UserFactory(queues=[sales])
    mine = TicketFactory(queue=sales, status=Ticket.Status.OPEN, assignee=agent)
    theirs = TicketFactory(queue=sales, status=Ticket.Status.OPEN, assignee=colleague)
    mine_elsewhere = TicketFactory(queue=other, status=Ticket.Status.OPEN, assignee=agent)
    TicketFactory(queue=other, status=Ticket.Status.OPEN, assignee=colleague)  # never visible

    def listed(scope):
        return set(row_ids(get(client_alpha, agent, tab="open", scope=scope)))

    assert listed("mine") == set(ids(mine, mine_elsewhere))
    assert listed("queues") == set(ids(mine, theirs))
    assert listed("all") == set(ids(mine, theirs, mine_elsewhere))


def test_an_admin_sees_every_queue_in_all_and_only_theirs_in_my_queues(in_alpha, client_alpha):
    sales, other = QueueFactory(), QueueFactory()
    admin = AdminFactory(queues=[sales])
    in_sales, in_other, unqueued = (
        TicketFactory(queue=sales),
        TicketFactory(queue=other),
        TicketFactory(),
    )

    assert set(row_ids(get(client_alpha, admin, scope="all"))) == set(
        ids(in_sales, in_other, unqueued)
    )
    assert row_ids(get(client_alpha, admin, scope="queues")) == ids(in_sales)


def test_filters_queue_tag_connection_and_unread(in_alpha, client_alpha):
    admin = AdminFactory()
    sales = QueueFactory()
    tag = TagFactory()
    by_queue = TicketFactory(queue=sales)
    tagged = TicketFactory()
    tagged.contact.tags.add(tag)
    unread = TicketFactory(unread_count=2)
    TicketFactory()

    assert row_ids(get(client_alpha, admin, queue=sales.pk)) == ids(by_queue)
    assert row_ids(get(client_alpha, admin, tag=tag.pk)) == ids(tagged)
    assert row_ids(get(client_alpha, admin, connection=unread.connection.public_id)) == ids(unread)
    assert row_ids(get(client_alpha, admin, unread="on")) == ids(unread)


def test_search_matches_contact_name_phone_and_message_text(in_alpha, client_alpha):
    admin = AdminFactory()
    by_name = TicketFactory(contact=ContactFactory(name="Joana Prado"))
    by_phone = TicketFactory(contact=ContactFactory(phone="+5511987650000"))
    by_text = TicketFactory()
    MessageFactory(ticket=by_text, body="o boleto venceu ontem")
    TicketFactory(contact=ContactFactory(name="Someone Else"))

    assert row_ids(get(client_alpha, admin, q="joana")) == ids(by_name)
    assert row_ids(get(client_alpha, admin, q="98765")) == ids(by_phone)
    assert row_ids(get(client_alpha, admin, q="boleto")) == ids(by_text)
    assert 'data-testid="inbox-empty"' in get(client_alpha, admin, q="nothing-like-it").text


def test_the_page_keeps_the_filters_of_its_address(in_alpha, client_alpha):
    admin = AdminFactory()
    queue = QueueFactory()
    tag = TagFactory()

    html = get(
        client_alpha, admin, tab="closed", scope="mine", queue=queue.pk, tag=tag.pk, q="boleto"
    ).text

    assert 'value="closed" id="inbox-tab-closed" checked' in html
    assert 'value="mine" id="inbox-scope-mine" checked' in html
    assert f'<option value="{queue.pk}" selected>' in html
    assert f'<option value="{tag.pk}" selected>' in html
    assert 'name="q" value="boleto"' in html


def test_malformed_filters_are_dropped_not_applied(in_alpha, client_alpha):
    admin = AdminFactory()
    ticket = TicketFactory()

    response = get(client_alpha, admin, tab="bogus", scope="everyone", queue="x", connection="1")

    assert response.status_code == 200
    assert row_ids(response) == ids(ticket)


def test_the_tenant_setting_hiding_others_tickets_applies_to_the_page(in_alpha, client_alpha):
    queue = QueueFactory()
    agent, colleague = UserFactory(queues=[queue]), UserFactory(queues=[queue])
    TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=colleague)
    tenant_settings_update(tenant=in_alpha.tenant, values={"hide_tickets_assigned_to_others": True})

    assert row_ids(get(client_alpha, agent, tab="open", scope="all")) == []


# ------------------------------------------------------------------ the open ticket


def test_the_address_opens_a_visible_ticket_and_highlights_its_row(in_alpha, client_alpha):
    admin = AdminFactory()
    ticket = TicketFactory()

    html = get(client_alpha, admin, ticket=ticket.public_id).text

    assert f'hx-get="/tickets/{ticket.public_id}/panel/" hx-trigger="load"' in html
    assert 'aria-current="true"' in html
    assert "inbox--panel-open" in html


def test_an_agent_outside_the_queue_never_sees_its_ticket(in_alpha, client_alpha):
    sales, support = QueueFactory(), QueueFactory()
    outsider = UserFactory(queues=[support])
    ticket = TicketFactory(queue=sales, unread_count=1)
    MessageFactory(ticket=ticket, body="segredo comercial")

    for scope in ("mine", "queues", "all"):
        for tab in ("pending", "open", "closed"):
            assert row_ids(get(client_alpha, outsider, scope=scope, tab=tab)) == []
    assert row_ids(get(client_alpha, outsider, q="segredo")) == []
    html = get(client_alpha, outsider, ticket=ticket.public_id).text
    assert 'data-testid="inbox-ticket-missing"' in html
    assert 'id="inbox-ticket" value=""' in html
    assert ticket.contact.name not in html
    assert "segredo" not in html
    assert 'data-testid="inbox-count-pending" data-count="0"' in html


# ------------------------------------------------------------------ tenants


def test_a_tenant_never_lists_another_tenants_tickets(alpha, beta, client_alpha):
    with tenant_scope(beta.tenant):
        foreign = TicketFactory(contact=ContactFactory(name="Beta Customer"))
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        own = TicketFactory(contact=ContactFactory(name="Alpha Customer"))

        response = get(client_alpha, admin)
        row = client_alpha.get(f"/inbox/rows/{foreign.public_id}/")
        opened = get(client_alpha, admin, ticket=foreign.public_id)

    assert row_ids(response) == ids(own)
    assert "Beta Customer" not in response.text
    assert row.status_code == 204
    assert 'data-testid="inbox-ticket-missing"' in opened.text
    assert "Beta Customer" not in opened.text


def test_the_page_carries_the_tenants_latest_live_event_id(in_alpha, client_alpha):
    from core.redis import redis_client

    redis_client().set(redis_key("realtime", "seq"), 1042)

    assert 'data-last-event-id="1042"' in get(client_alpha, AdminFactory()).text
