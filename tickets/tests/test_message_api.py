"""Messages over HTTP: list (keyset, deleted hidden, notes), send, notes, edit, delete,
forward, schedule and cancel; bad input answers a coded 4xx and stores nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from tenants.tenancy import tenant_scope
from tickets.models import Message, MessageEdit, Ticket
from tickets.services.messages import message_delete, message_send, note_add
from tickets.tests.factories import MessageFactory, QueueFactory, TicketFactory


@pytest.fixture
def world(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)
    sign_in_api(api_alpha, agent.email)
    return alpha, api_alpha, agent, ticket


def _url(ticket, suffix="messages"):
    return f"/api/v1/tickets/{ticket.public_id}/{suffix}/"


def test_the_list_is_newest_first_with_notes_and_deleted_bodies_hidden(world):
    alpha, api, agent, ticket = world
    with tenant_scope(alpha.tenant):
        first = MessageFactory(ticket=ticket, body="primeira")
        sent = message_send(ticket=ticket, by=agent, body="apagar isto")
        message_delete(message=sent, by=agent)
        note = note_add(ticket=ticket, by=agent, body="nota")

    response = api.get(_url(ticket))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [m["id"] for m in results] == [
        str(note.public_id),
        str(sent.public_id),
        str(first.public_id),
    ]
    assert results[0]["is_note"] is True
    assert (results[1]["deleted"], results[1]["body"]) == (True, "")
    assert results[2]["body"] == "primeira"
    with tenant_scope(alpha.tenant):
        assert Message.objects.get(pk=sent.pk).body == "apagar isto"


def test_pages_follow_the_cursor_and_the_before_filter(world):
    alpha, api, _, ticket = world
    with tenant_scope(alpha.tenant):
        messages = [MessageFactory(ticket=ticket, body=f"m{i}") for i in range(5)]

    page1 = api.get(_url(ticket), {"page_size": 2}).json()
    page2 = api.get(page1["next"]).json()
    older = api.get(_url(ticket), {"before": str(messages[2].public_id)}).json()

    assert [m["body"] for m in page1["results"]] == ["m4", "m3"]
    assert [m["body"] for m in page2["results"]] == ["m2", "m1"]
    assert [m["body"] for m in older["results"]] == ["m1", "m0"]


@pytest.mark.parametrize("page_size", [1, 40])
def test_the_list_costs_the_same_queries_for_any_page_size(
    world, page_size, django_assert_num_queries
):
    alpha, api, agent, ticket = world
    with tenant_scope(alpha.tenant):
        original = MessageFactory(ticket=ticket)
        for i in range(45):
            if i % 3 == 0:
                message_send(ticket=ticket, by=agent, body=f"r{i}", quoted=original)
            else:
                MessageFactory(ticket=ticket)

    # user, ticket, one page of messages (the tenant from the host cache, its search_path
    # already the connection's)
    with django_assert_num_queries(3):
        response = api.get(_url(ticket), {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_an_agent_sends_json_and_gets_the_message_back(world):
    alpha, api, _, ticket = world
    with tenant_scope(alpha.tenant):
        original = MessageFactory(ticket=ticket, body="pergunta")

    response = api.post(
        _url(ticket), {"body": "resposta", "quoted": str(original.public_id)}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["body"], body["direction"], body["status"]) == ("resposta", "out", "queued")
    assert body["quoted"] == {
        "id": str(original.public_id),
        "preview": "pergunta",
        "deleted": False,
    }


def test_a_quote_of_another_ticket_is_400_and_nothing_is_stored(world):
    alpha, api, _, ticket = world
    with tenant_scope(alpha.tenant):
        elsewhere = MessageFactory()

    response = api.post(
        _url(ticket), {"body": "x", "quoted": str(elsewhere.public_id)}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "quoted_message_invalid"
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"body": ""}, 400, "message_empty"),
        ({"body": "x", "quoted": "not-a-uuid"}, 400, "validation_error"),
        ({"body": "x", "scheduled_at": "amanhã"}, 400, "validation_error"),
        ({"body": "x" * 5000}, 400, "message_too_long"),
        ({"body": "x", "scheduled_at": "2001-01-01T00:00:00Z"}, 422, "scheduled_at_in_past"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_nothing_stored(world, payload, status, code):
    alpha, api, _, ticket = world

    response = api.post(_url(ticket), payload, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(ticket=ticket).exists()


def test_sending_on_someone_elses_ticket_is_403_and_on_an_invisible_one_404(world):
    alpha, api, _, _ = world
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        agent2 = UserFactory(queues=[queue])
        theirs = TicketFactory(status=Ticket.Status.OPEN, assignee=agent2, queue=queue)
        hidden = TicketFactory(
            status=Ticket.Status.OPEN, assignee=UserFactory(), queue=QueueFactory()
        )
    sign_in_api(api, agent2.email)
    api2 = api

    assert api2.post(_url(hidden), {"body": "x"}, format="json").status_code == 404
    assert api2.get(_url(hidden)).status_code == 404
    world_ticket = world[3]
    # visible (no queue yet) but assigned to someone else
    forbidden = api2.post(_url(world_ticket), {"body": "x"}, format="json")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "ticket_not_assigned_to_you")
    assert api2.post(_url(theirs), {"body": "x"}, format="json").status_code == 201


def test_a_note_is_added_on_a_closed_ticket(world):
    alpha, api, agent, _ = world
    with tenant_scope(alpha.tenant):
        closed = TicketFactory(status=Ticket.Status.CLOSED, assignee=agent)

    response = api.post(_url(closed, "notes"), {"body": "registro"}, format="json")

    assert response.status_code == 201
    assert response.json()["is_note"] is True


def test_edit_then_read_the_history(world):
    alpha, api, agent, ticket = world
    with tenant_scope(alpha.tenant):
        message = message_send(ticket=ticket, by=agent, body="v1")

    edited = api.patch(f"/api/v1/messages/{message.public_id}/", {"body": "v2"}, format="json")
    history = api.get(f"/api/v1/messages/{message.public_id}/edits/")

    assert edited.status_code == 200
    assert edited.json()["body"] == "v2"
    assert [e["previous_body"] for e in history.json()] == ["v1"]


def test_editing_someone_elses_message_is_403_and_keeps_the_text(world):
    alpha, api, _, ticket = world
    with tenant_scope(alpha.tenant):
        message = message_send(ticket=ticket, by=AdminFactory(), body="do admin")

    response = api.patch(f"/api/v1/messages/{message.public_id}/", {"body": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "message_action_forbidden"
    with tenant_scope(alpha.tenant):
        assert not MessageEdit.objects.exists()


def test_delete_answers_204_and_a_second_delete_409(world):
    alpha, api, agent, ticket = world
    with tenant_scope(alpha.tenant):
        message = message_send(ticket=ticket, by=agent, body="x")

    assert api.delete(f"/api/v1/messages/{message.public_id}/").status_code == 204
    again = api.delete(f"/api/v1/messages/{message.public_id}/")
    assert (again.status_code, again.json()["code"]) == (409, "message_already_deleted")


def test_forward_to_another_of_my_tickets(world):
    alpha, api, agent, ticket = world
    with tenant_scope(alpha.tenant):
        source = MessageFactory(ticket=ticket, body="encaminhar")
        target = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)

    response = api.post(
        f"/api/v1/messages/{source.public_id}/forward/",
        {"ticket": str(target.public_id)},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["is_forwarded"] is True
    assert response.json()["ticket"] == str(target.public_id)


def test_schedule_then_cancel(world):
    alpha, api, _, ticket = world
    when = (timezone.now() + timedelta(hours=2)).isoformat()

    created = api.post(_url(ticket), {"body": "mais tarde", "scheduled_at": when}, format="json")
    message_id = created.json()["id"]
    cancelled = api.post(f"/api/v1/messages/{message_id}/cancel-schedule/")
    again = api.post(f"/api/v1/messages/{message_id}/cancel-schedule/")

    assert created.status_code == 201
    assert created.json()["dispatched_at"] is None
    assert cancelled.status_code == 200
    assert cancelled.json()["deleted"] is True
    assert again.status_code == 409


def test_alphas_messages_are_404_at_beta(world, beta, api_beta):
    alpha, _, agent, ticket = world
    with tenant_scope(alpha.tenant):
        message = message_send(ticket=ticket, by=agent, body="segredo")
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory(email=agent.email)
    sign_in_api(api_beta, beta_admin.email)

    assert api_beta.get(_url(ticket)).status_code == 404
    assert api_beta.get(f"/api/v1/messages/{message.public_id}/edits/").status_code == 404
    assert api_beta.delete(f"/api/v1/messages/{message.public_id}/").status_code == 404
    with tenant_scope(alpha.tenant):
        assert Message.objects.get(pk=message.pk).deleted_at is None
