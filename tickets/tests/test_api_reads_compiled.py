"""The ticket detail and the messages page read with statements compiled once per process and
written without DRF's serializers: the same bytes as the documented serializers in each
tenant's time zone (agents and admins, every hiding setting), each tenant's own rows, and no
statement compiled once a shape has been read, in whichever tenant compiled it."""

from __future__ import annotations

import json
import zoneinfo
from datetime import timedelta
from typing import Any

import pytest
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_api_client, sign_in_api
from contacts.tests.factories import ContactFactory, TagFactory
from core.renderers import FastJSONRenderer
from tenants.models import Tenant
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.api.message_serializers import MessageOutputSerializer, message_row
from tickets.api.ticket_serializers import TicketDetailOutputSerializer
from tickets.models import Message, Ticket
from tickets.selectors import messages_of_ticket, ticket_detail_for_agent
from tickets.services.tickets import ticket_permissions
from tickets.tests.factories import MessageFactory, QueueFactory, TicketFactory
from tickets.tests.test_event_rows import media_root, messages, tickets  # noqa: F401  (fixtures)

# Neither is the settings' zone; Kolkata's offset has minutes, UTC is written with a "Z".
ZONES = {"alpha": "Asia/Kolkata", "beta": "UTC"}
HIDE = (
    "hide_tickets_without_queue",
    "hide_tickets_assigned_to_others",
    "hide_tickets_of_other_wallets",
)


def _in_zone(fixture: Any, name: str) -> None:
    Tenant.objects.filter(pk=fixture.tenant.pk).update(time_zone=ZONES[name])
    fixture.tenant.refresh_from_db()


def _world(fixture: Any, name: str) -> dict[str, Any]:
    """Tickets with every part of a detail and without them, in ``fixture``'s tenant."""
    _in_zone(fixture, name)
    with tenant_scope(fixture.tenant):
        queue = QueueFactory(name=f"Fila {name}")
        admin = AdminFactory()
        agent = UserFactory(queues=[queue], name=f"Agente {name}")
        other = UserFactory(queues=[queue], name="")
        contact = ContactFactory(
            name=f'Zé "{name}"',
            email=f"ze@{name}.example",
            avatar_url=f"https://{name}.example/a.png",
            is_blocked=True,
        )
        contact.tags.set([TagFactory(name="VIP"), TagFactory(name="Atacado")])
        contact.tags.add(TagFactory(name="Zona Sul", color="#00ff00"))
        now = timezone.now().replace(microsecond=123456)
        tickets = [
            TicketFactory(
                contact=contact,
                queue=queue,
                status=Ticket.Status.OPEN,
                assignee=agent,
                accepted_at=now - timedelta(hours=1),
                unread_count=2,
            ),
            TicketFactory(queue=queue, contact=ContactFactory(is_group=True)),
            TicketFactory(
                queue=queue,
                status=Ticket.Status.CLOSED,
                assignee=other,
                closed_by=other,
                closed_at=now - timedelta(minutes=5),
            ),
            TicketFactory(queue=None),
            TicketFactory(queue=queue, status=Ticket.Status.OPEN, assignee=other),
        ]
        contact.owners.add(agent)
        deleted = TicketFactory(
            queue=queue, status=Ticket.Status.CLOSED, deleted_at=now - timedelta(minutes=1)
        )
    return {
        "fixture": fixture,
        "admin": admin,
        "agent": agent,
        "tickets": [*tickets, deleted],
    }


def _expected_detail(fixture: Any, user: Any, ticket: Ticket) -> bytes | None:
    """The detail as the serializer wrote it, in the tenant's zone; None when not visible."""
    with (
        tenant_scope(fixture.tenant),
        timezone.override(zoneinfo.ZoneInfo(fixture.tenant.time_zone)),
    ):
        try:
            loaded = ticket_detail_for_agent(user=user, public_id=ticket.public_id)
        except Exception:  # noqa: BLE001  (TicketNotFound: the API answers 404)
            return None
        permissions = ticket_permissions(ticket=loaded, user=user)
        data = TicketDetailOutputSerializer(loaded, context={"permissions": permissions}).data
        return FastJSONRenderer().render(data)


@pytest.mark.parametrize("hidden", [(), HIDE[:1], HIDE[1:2], HIDE[2:], HIDE])
def test_every_detail_is_the_serializers_in_each_tenant(alpha, beta, hidden):
    worlds = [_world(alpha, "alpha"), _world(beta, "beta")]
    for world in worlds:
        fixture = world["fixture"]
        with tenant_scope(fixture.tenant):
            tenant_settings_update(
                tenant=fixture.tenant, values={key: key in hidden for key in HIDE}
            )
    for world in worlds:
        fixture = world["fixture"]
        for role in ("admin", "agent"):
            user = world[role]
            api = sign_in_api(host_api_client(fixture.host), user.email)
            for ticket in world["tickets"]:
                response = api.get(f"/api/v1/tickets/{ticket.public_id}/")
                expected = _expected_detail(fixture, user, ticket)
                if expected is None:
                    assert response.status_code == 404, (role, ticket)
                else:
                    assert response.status_code == 200, (role, ticket)
                    assert response.content == expected, (role, ticket)
    # the other tenant's tickets are not found
    api = sign_in_api(host_api_client(alpha.host), worlds[0]["admin"].email)
    for ticket in worlds[1]["tickets"]:
        assert api.get(f"/api/v1/tickets/{ticket.public_id}/").status_code == 404


def test_a_full_detail_shows_every_part(alpha):
    world = _world(alpha, "alpha")
    api = sign_in_api(host_api_client(alpha.host), world["admin"].email)
    full = api.get(f"/api/v1/tickets/{world['tickets'][0].public_id}/").json()
    closed = api.get(f"/api/v1/tickets/{world['tickets'][2].public_id}/").json()
    deleted = api.get(f"/api/v1/tickets/{world['tickets'][-1].public_id}/").json()

    assert [tag["name"] for tag in full["tags"]] == ["Atacado", "VIP", "Zona Sul"]
    assert full["contact"]["email"] == "ze@alpha.example"
    assert full["contact"]["is_blocked"] is True
    assert full["accepted_at"].endswith("+05:30")
    assert closed["closed_by"]["name"] == world["tickets"][2].closed_by.email  # no name
    assert deleted["deleted"] is True


def _messages(fixture: Any, name: str) -> Ticket:
    """A ticket whose messages have every kind of datetime, a tie on created_at, a quote."""
    _in_zone(fixture, name)
    with tenant_scope(fixture.tenant):
        agent = UserFactory(name=f"Agente {name}")
        ticket = TicketFactory.create(status=Ticket.Status.OPEN, assignee=agent)
        now = timezone.now().replace(microsecond=654321)
        first = MessageFactory(ticket=ticket, body=f"primeira {name}")
        rows = [first]
        for minutes in range(1, 6):
            rows.append(
                MessageFactory(
                    ticket=ticket,
                    direction=Message.Direction.OUTBOUND,
                    sender=Message.Sender.AGENT,
                    sender_user=agent,
                    sender_contact=None,
                    quoted=first,
                    body=f"resposta {minutes} {name}",
                    sent_at=now - timedelta(minutes=minutes),
                    delivered_at=now,
                )
            )
        Message.objects.filter(pk=rows[2].pk).update(created_at=rows[3].created_at)  # a tie
    return ticket


def _expected_page(fixture: Any, ticket: Ticket) -> list[dict[str, Any]]:
    with (
        tenant_scope(fixture.tenant),
        timezone.override(zoneinfo.ZoneInfo(fixture.tenant.time_zone)),
    ):
        data = MessageOutputSerializer(list(messages_of_ticket(ticket=ticket)), many=True).data
        return json.loads(FastJSONRenderer().render(data))


def test_every_messages_page_is_the_serializers_in_each_tenant(alpha, beta):
    for fixture, name in ((alpha, "alpha"), (beta, "beta")):
        ticket = _messages(fixture, name)
        expected = _expected_page(fixture, ticket)
        with tenant_scope(fixture.tenant):
            admin = AdminFactory()
        api = sign_in_api(host_api_client(fixture.host), admin.email)
        got, url = [], f"/api/v1/tickets/{ticket.public_id}/messages/?page_size=2"
        while url:
            response = api.get(url)
            assert response.status_code == 200
            got += response.json()["results"]
            url = response.json()["next"]
        assert got == expected
        assert len(got) == 6
        # backwards from the last page, and before a message
        previous = api.get(response.wsgi_request.get_full_path())
        assert previous.json()["previous"] is not None
        back = api.get(previous.json()["previous"]).json()["results"]
        assert back == expected[2:4]
        before = api.get(
            f"/api/v1/tickets/{ticket.public_id}/messages/", {"before": expected[1]["id"]}
        )
        assert before.json()["results"] == expected[2:]


class _Compilations:
    """Counts the SQL statements Django's compiler builds while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.models: list[Any] = []
        original = SQLCompiler.as_sql

        def counting(compiler: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
            self.models.append(compiler.query.model)
            return original(compiler, *args, **kwargs)

        monkeypatch.setattr(SQLCompiler, "as_sql", counting)


def test_a_detail_and_a_messages_page_compile_nothing_once_read(alpha, beta, monkeypatch):
    """Read once in alpha; beta's detail and pages are then bound into the kept statements,
    with beta's rows."""
    ticket = _messages(alpha, "alpha")
    with tenant_scope(alpha.tenant):
        alpha_admin = AdminFactory()
    alpha_api = sign_in_api(host_api_client(alpha.host), alpha_admin.email)
    first = alpha_api.get(f"/api/v1/tickets/{ticket.public_id}/messages/?page_size=2").json()
    alpha_api.get(first["next"])
    alpha_api.get(f"/api/v1/tickets/{ticket.public_id}/")

    beta_ticket = _messages(beta, "beta")
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    beta_api = sign_in_api(host_api_client(beta.host), beta_admin.email)
    beta_api.get("/api/v1/me/")  # the host and the search_path
    compiled = _Compilations(monkeypatch)

    detail = beta_api.get(f"/api/v1/tickets/{beta_ticket.public_id}/")
    page = beta_api.get(f"/api/v1/tickets/{beta_ticket.public_id}/messages/?page_size=2")
    second = beta_api.get(page.json()["next"])

    assert compiled.models == []
    assert detail.json()["public_id"] == str(beta_ticket.public_id)
    bodies = [row["body"] for row in page.json()["results"] + second.json()["results"]]
    assert len(bodies) == 4
    assert all(body.endswith(" beta") for body in bodies)
    assert detail.json()["accepted_at"] is None
    assert page.json()["results"][0]["created_at"].endswith("Z")  # beta writes UTC


def test_the_detail_costs_three_statements(alpha, django_assert_num_queries):
    world = _world(alpha, "alpha")
    api = sign_in_api(host_api_client(alpha.host), world["agent"].email)
    api.get("/api/v1/me/")  # the host and the search_path

    # the user, the ticket with its relations, the contact's tags
    with django_assert_num_queries(3):
        response = api.get(f"/api/v1/tickets/{world['tickets'][0].public_id}/")
    assert response.status_code == 200


def test_a_message_row_from_the_instance_is_the_serializers(alpha, messages):  # noqa: F811
    """Fresh instances (as a service returns them) and instances read back, every kind."""
    renderer = FastJSONRenderer()
    with tenant_scope(alpha.tenant):
        for message in messages:
            for instance in (message, Message.objects.get(pk=message.pk)):
                expected = renderer.render(MessageOutputSerializer(instance).data)
                assert renderer.render(message_row(instance)) == expected, message


@pytest.mark.parametrize(("fixture_name", "name"), [("alpha", "alpha"), ("beta", "beta")])
def test_a_note_answers_the_serializers_bytes(request, fixture_name, name):
    fixture = request.getfixturevalue(fixture_name)
    _in_zone(fixture, name)
    with tenant_scope(fixture.tenant):
        agent = UserFactory(name="")  # the sender's name falls back to the e-mail
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)
    api = sign_in_api(host_api_client(fixture.host), agent.email)

    response = api.post(
        f"/api/v1/tickets/{ticket.public_id}/notes/", {"body": " nota  "}, format="json"
    )

    assert response.status_code == 201
    with tenant_scope(fixture.tenant), timezone.override(zoneinfo.ZoneInfo(ZONES[name])):
        note = Message.objects.get(public_id=response.json()["id"])
        assert note.is_note
        expected = FastJSONRenderer().render(MessageOutputSerializer(note).data)
    assert response.content == expected
