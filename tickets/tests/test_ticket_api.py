"""Tickets over HTTP: list (filters, keyset, pinned queries), detail, outbound create, actions,
timeline, contact merge; bad input is a coded 4xx that stores nothing; tenants are isolated."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_api_client, sign_in_api
from contacts.models import Contact
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.models import Ticket, TicketEvent
from tickets.tests.factories import ConnectionFactory, MessageFactory, QueueFactory, TicketFactory


@pytest.fixture
def world(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        agent = UserFactory(queues=[queue])
    sign_in_api(api_alpha, agent.email)
    return alpha, api_alpha, agent, queue


def _url(ticket, action=""):
    return f"/api/v1/tickets/{ticket.public_id}/" + (f"{action}/" if action else "")


def test_the_list_rows_carry_contact_connection_queue_assignee_and_tags(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        tag = TagFactory(name="vip")
        ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
        ticket.contact.tags.add(tag)

    response = api.get("/api/v1/tickets/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["public_id"] == str(ticket.public_id)
    assert row["contact"] == {
        "public_id": str(ticket.contact.public_id),
        "name": ticket.contact.name,
        "phone": ticket.contact.phone,
    }
    assert row["connection"]["public_id"] == str(ticket.connection.public_id)
    assert row["queue"] == {"id": queue.pk, "name": queue.name, "color": queue.color}
    assert row["assignee"]["id"] == agent.pk
    assert row["tags"] == [{"id": tag.pk, "name": "vip", "color": tag.color}]
    assert "id" not in row


def test_the_list_is_newest_activity_first_and_pages_with_a_cursor(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        tickets = [TicketFactory(queue=queue) for _ in range(3)]

    first = api.get("/api/v1/tickets/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    seen = [row["public_id"] for row in first["results"] + second["results"]]
    assert seen == [str(t.public_id) for t in reversed(tickets)]


def test_a_ticket_opened_without_a_message_is_paged_like_any_other(world):
    """The inbox order's key is never NULL: a ticket created without ``last_message_at`` takes
    its opening time, so a page ending on it still gives a ``next`` the API accepts."""
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        older = TicketFactory(queue=queue)
        quiet = Ticket.objects.create(
            protocol="P-QUIET", contact=ContactFactory(), connection=older.connection, queue=queue
        )
    assert quiet.last_message_at is not None

    seen, url, params = [], "/api/v1/tickets/", {"page_size": 1}
    while url:
        response = api.get(url, params)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["public_id"] for row in body["results"]]
        url, params = body["next"], None
    assert seen == [str(quiet.public_id), str(older.public_id)]


def test_list_filters_are_applied(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        mine = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
        waiting = TicketFactory(queue=queue, unread_count=3)

    def ids(**params):
        return {row["public_id"] for row in api.get("/api/v1/tickets/", params).json()["results"]}

    assert ids(status="open") == {str(mine.public_id)}
    assert ids(assignee="unassigned") == {str(waiting.public_id)}
    assert ids(unread="true") == {str(waiting.public_id)}
    assert ids(scope="mine") == {str(mine.public_id)}
    assert ids(status=["open", "pending"]) == {str(mine.public_id), str(waiting.public_id)}


@pytest.mark.parametrize(
    "params",
    [
        {"status": "closing"},
        {"scope": "everything"},
        {"assignee": "someone"},
        {"queue": "abc"},
        {"connection": "not-a-uuid"},
        {"created_from": "2024-13-01"},
        {"created_from": "2024-05-02", "created_to": "2024-05-01"},
        {"unread": "maybe"},
    ],
)
def test_bad_list_filters_answer_400_with_the_field(world, params):
    _, api, _, _ = world
    response = api.get("/api/v1/tickets/", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["extra"]["fields"]) & set(params)


def _count_queries(api, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, params)
    assert response.status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_1_and_40_rows(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        for i in range(40):
            ticket = TicketFactory(queue=queue, unread_count=i)
            ticket.contact.tags.add(TagFactory())

    one = _count_queries(api, "/api/v1/tickets/", {"page_size": 1})
    forty = _count_queries(api, "/api/v1/tickets/", {"page_size": 40, "search": "a"})
    plain_forty = _count_queries(api, "/api/v1/tickets/", {"page_size": 40})

    assert one == plain_forty == forty
    # user, the tickets page with its tags (the tenant comes from the host cache; the
    # search_path is set only when the connection's session has another one).
    assert one == 2


def test_list_and_detail_query_counts_are_pinned(world, django_assert_num_queries):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
        ticket.contact.tags.add(TagFactory())
    baseline = _count_queries(api, "/api/v1/tickets/", {"page_size": 1})

    with django_assert_num_queries(baseline):
        api.get("/api/v1/tickets/", {"page_size": 40})
    # the detail reads its ticket and, apart, the contact's tags (the list has them in its query)
    with django_assert_num_queries(baseline + 1):
        assert api.get(_url(ticket)).status_code == 200


def test_the_detail_says_what_the_caller_may_do(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(queue=queue)

    body = api.get(_url(ticket)).json()

    assert body["can"]["accept"] is True
    assert body["can"]["close"] is False
    assert body["can"]["delete"] is False
    assert body["contact"]["public_id"] == str(ticket.contact.public_id)


def test_accept_then_close_then_reopen_over_http(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(queue=queue, unread_count=2)

    accepted = api.post(_url(ticket, "accept"))
    again = api.post(_url(ticket, "accept"))
    read = api.post(_url(ticket, "mark-read"))
    closed = api.post(_url(ticket, "close"))
    reclosed = api.post(_url(ticket, "close"))
    reopened = api.post(_url(ticket, "reopen"))

    assert accepted.status_code == 200
    assert accepted.json()["status"] == "open"
    assert again.status_code == 409
    assert again.json()["code"] == "ticket_already_accepted"
    assert read.json()["unread_count"] == 0
    assert closed.json()["status"] == "closed"
    assert reclosed.status_code == 409
    assert reclosed.json()["code"] == "invalid_ticket_transition"
    assert reopened.json()["status"] == "open"
    timeline = api.get(_url(ticket, "events")).json()["results"]
    assert [e["kind"] for e in timeline] == ["accepted", "closed", "reopened"]
    assert timeline[0]["actor"]["id"] == agent.pk


def test_transfer_and_return_over_http_with_validation(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        colleague = UserFactory(queues=[queue])
        outsider = UserFactory()
        ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)

    nothing = api.post(_url(ticket, "transfer"), {}, format="json")
    unknown = api.post(_url(ticket, "transfer"), {"agent": 999999}, format="json")
    not_member = api.post(_url(ticket, "transfer"), {"agent": outsider.pk}, format="json")
    bad_type = api.post(_url(ticket, "transfer"), {"queue": "sales"}, format="json")
    moved = api.post(_url(ticket, "transfer"), {"agent": colleague.pk}, format="json")

    assert (nothing.status_code, nothing.json()["code"]) == (400, "nothing_to_transfer")
    assert unknown.status_code == 400
    assert "agent" in unknown.json()["extra"]["fields"]
    assert (not_member.status_code, not_member.json()["code"]) == (422, "agent_not_in_queue")
    assert bad_type.status_code == 400
    assert moved.status_code == 200
    assert moved.json()["assignee"]["id"] == colleague.pk
    with tenant_scope(alpha.tenant):
        assert TicketEvent.objects.filter(ticket=ticket).count() == 1


def test_return_to_queue_over_http(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)
    response = api.post(_url(ticket, "return"))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["assignee"]) == ("pending", None)


def test_outbound_create_over_http_and_the_409_with_the_existing_ticket(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        contact, conn = ContactFactory(), ConnectionFactory()
    body = {"contact": str(contact.public_id), "connection": str(conn.public_id)}

    created = api.post("/api/v1/tickets/", {**body, "queue": queue.pk}, format="json")
    duplicate = api.post("/api/v1/tickets/", body, format="json")

    assert created.status_code == 201
    assert (created.json()["status"], created.json()["assignee"]["id"]) == ("open", agent.pk)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "active_ticket_exists"
    assert duplicate.json()["extra"] == {"ticket_id": created.json()["public_id"]}


@pytest.mark.parametrize(
    ("payload", "status_code"),
    [
        ({}, 400),
        ({"contact": "x", "connection": "y"}, 400),
        ({"contact": str(uuid.uuid4()), "connection": "CONN"}, 404),
        ({"contact": "CONTACT", "connection": str(uuid.uuid4())}, 400),
        ({"contact": "CONTACT", "connection": "CONN", "queue": 999999}, 400),
    ],
)
def test_bad_outbound_create_input_stores_nothing(world, payload, status_code):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        contact, conn = ContactFactory(), ConnectionFactory()
    payload = {
        key: {"CONTACT": str(contact.public_id), "CONN": str(conn.public_id)}.get(value, value)
        for key, value in payload.items()
    }

    response = api.post("/api/v1/tickets/", payload, format="json")

    assert response.status_code == status_code
    assert set(response.json()) == {"code", "message", "extra"}
    with tenant_scope(alpha.tenant):
        assert not Ticket.objects.exists()


def test_tags_over_http_change_the_contacts_tags(world):
    alpha, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        tag = TagFactory()
        ticket = TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=agent)

    ok = api.post(_url(ticket, "tags"), {"tag_ids": [tag.pk]}, format="json")
    bad = api.post(_url(ticket, "tags"), {"tag_ids": ["x"]}, format="json")

    assert ok.status_code == 200
    assert [t["id"] for t in ok.json()] == [tag.pk]
    assert bad.status_code == 400
    with tenant_scope(alpha.tenant):
        assert list(ticket.contact.tags.values_list("pk", flat=True)) == [tag.pk]


def test_delete_and_restore_are_for_admins(world, alpha):
    _, api, agent, queue = world
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        ticket = TicketFactory(queue=queue, status=Ticket.Status.CLOSED)
    admin_api = sign_in_api(host_api_client(alpha.host), admin.email)

    refused = api.delete(_url(ticket))
    deleted = admin_api.delete(_url(ticket))
    hidden = api.get(_url(ticket))
    restored = admin_api.post(_url(ticket, "restore"))

    assert (refused.status_code, refused.json()["code"]) == (403, "admin_required")
    assert deleted.status_code == 200
    assert deleted.json()["deleted"] is True
    assert hidden.status_code == 404
    assert restored.status_code == 200
    assert restored.json()["deleted"] is False


def test_merge_over_http_is_admin_only(world, alpha):
    _, api, agent, _ = world
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        survivor, merged = ContactFactory(), ContactFactory()
        TicketFactory(contact=merged)
    admin_api = sign_in_api(host_api_client(alpha.host), admin.email)
    url = f"/api/v1/contacts/{survivor.public_id}/merge/"

    refused = api.post(url, {"merged": str(merged.public_id)}, format="json")
    bad = admin_api.post(url, {"merged": "nope"}, format="json")
    missing = admin_api.post(url, {"merged": str(uuid.uuid4())}, format="json")
    merged_ok = admin_api.post(url, {"merged": str(merged.public_id)}, format="json")

    assert refused.status_code == 403
    assert bad.status_code == 400
    assert missing.status_code == 404
    assert merged_ok.status_code == 200
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.filter(pk=merged.pk).exists()
        assert Ticket.objects.filter(contact=survivor).count() == 1


def test_a_ticket_of_alpha_is_404_at_beta_and_never_listed_there(alpha, beta, api_beta):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(status=Ticket.Status.CLOSED)
        MessageFactory(ticket=ticket, body="fatura atrasada")
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    sign_in_api(api_beta, beta_admin.email)

    assert api_beta.get(_url(ticket)).status_code == 404
    assert api_beta.post(_url(ticket, "reopen")).status_code == 404
    assert api_beta.get("/api/v1/tickets/", {"search": "fatura"}).json()["results"] == []
    assert api_beta.get("/api/v1/tickets/").json()["results"] == []


def test_anonymous_callers_are_refused(api_alpha):
    assert api_alpha.get("/api/v1/tickets/").status_code == 401
