"""The contact side panel next to a ticket: who may open it, what it shows, and every edit going
through the contacts services (errors next to their field, nothing stored on a refusal)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.factories import UserFactory
from conftest import signed_in_client
from contacts.models import Contact, ContactAttributeDefinition
from contacts.tests.factories import ContactFactory, ContactIdentityFactory, TagFactory
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import ConnectionFactory, QueueFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(ticket: Ticket, action: str = "") -> str:
    return f"/contact-panel/{ticket.public_id}/{action + '/' if action else ''}"


@pytest.fixture
def world(alpha):
    """A queue with an agent in it, an outsider agent, and a contact with a ticket in the queue
    plus earlier tickets (one in another queue the agent does not belong to)."""
    with tenant_scope(alpha.tenant):
        queue, other_queue = QueueFactory(name="Vendas"), QueueFactory(name="Financeiro")
        agent = UserFactory(name="Ana Agente", queues=[queue])
        outsider = UserFactory(name="Otto Outsider", queues=[other_queue])
        admin = User.objects.get(email=alpha.admin_email)
        connection = ConnectionFactory()
        contact = ContactFactory(
            name="Maria Cliente", phone="+5511912345678", email="maria@example.com"
        )
        ContactIdentityFactory(contact=contact, provider="telegram", display_name="maria_tg")
        ticket = TicketFactory(contact=contact, connection=connection, queue=queue)
        earlier = TicketFactory(
            contact=contact, connection=connection, queue=queue, status=Ticket.Status.CLOSED
        )
        hidden = TicketFactory(
            contact=contact, connection=connection, queue=other_queue, status="closed"
        )
    return {
        "queue": queue,
        "agent": agent,
        "outsider": outsider,
        "admin": admin,
        "connection": connection,
        "contact": contact,
        "ticket": ticket,
        "earlier": earlier,
        "hidden": hidden,
    }


@pytest.fixture
def agent_client(alpha, world) -> Client:
    return signed_in_client(alpha, world["agent"])


@pytest.fixture
def admin_client(alpha, world) -> Client:
    return signed_in_client(alpha, world["admin"], alpha.admin_password)


def _contact(alpha, world) -> Contact:
    with tenant_scope(alpha.tenant):
        return Contact.objects.get(pk=world["contact"].pk)


# ----------------------------------------------------------------------------- access


def test_an_agent_who_sees_the_ticket_gets_the_panel_fragment(agent_client, world):
    response = agent_client.get(_url(world["ticket"]), **HTMX)

    assert response.status_code == 200
    assert response.templates[0].name == "tickets/partials/_contact_panel.html"
    content = response.content.decode()
    assert 'data-testid="contact-panel"' in content
    assert "Maria Cliente" in content
    assert "+5511912345678" in content
    assert "maria@example.com" in content
    assert "maria_tg" in content
    # The channel is named for people, not by its stored key.
    assert '<span class="badge">Telegram</span> maria_tg' in content


def test_without_htmx_the_panel_is_a_page(agent_client, world):
    response = agent_client.get(_url(world["ticket"]))

    assert response.status_code == 200
    assert "tickets/contact_panel.html" in [t.name for t in response.templates]


def test_an_agent_who_may_not_see_the_ticket_gets_404_everywhere(alpha, world):
    client = signed_in_client(alpha, world["outsider"])

    assert client.get(_url(world["ticket"]), **HTMX).status_code == 404
    response = client.post(_url(world["ticket"], "notes"), {"notes": "sneaky"}, **HTMX)

    assert response.status_code == 404
    assert _contact(alpha, world).notes == ""


def test_an_anonymous_visitor_is_sent_to_sign_in(client_alpha, world):
    response = client_alpha.get(_url(world["ticket"]))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_ticket_of_another_tenant_is_not_found(alpha, beta, world):
    # given: a ticket in tenant beta, and alpha's admin signed in on alpha
    with tenant_scope(beta.tenant):
        foreign = TicketFactory(contact=ContactFactory(name="Beto de Beta"))
    client = signed_in_client(alpha, world["admin"], alpha.admin_password)

    # then: alpha's panel neither shows it nor finds beta's contacts to merge
    assert client.get(_url(foreign), **HTMX).status_code == 404
    found = client.get(_url(world["ticket"], "merge/search"), {"q": "Beto"}, **HTMX)
    assert found.status_code == 200
    assert "Beto de Beta" not in found.content.decode()


# ----------------------------------------------------------------------------- contents


def test_previous_tickets_list_only_the_other_tickets_the_agent_may_see(agent_client, world):
    response = agent_client.get(_url(world["ticket"]), **HTMX)

    shown = [t.public_id for t in response.context["previous_tickets"]]
    assert shown == [world["earlier"].public_id]
    content = response.content.decode()
    assert f'href="/?ticket={world["earlier"].public_id}"' in content
    assert str(world["hidden"].public_id) not in content


def test_previous_tickets_are_the_latest_ten_newest_first(alpha, admin_client, world):
    with tenant_scope(alpha.tenant):
        for _ in range(11):
            TicketFactory(contact=world["contact"], connection=world["connection"], status="closed")
        expected = list(
            Ticket.objects.filter(contact=world["contact"])
            .exclude(pk=world["ticket"].pk)
            .order_by("-created_at", "-id")
            .values_list("public_id", flat=True)[:10]
        )

    response = admin_client.get(_url(world["ticket"]), **HTMX)

    assert [t.public_id for t in response.context["previous_tickets"]] == expected


def test_ticket_dates_are_shown_in_the_tenants_time_zone(alpha, admin_client, world):
    with public_scope():  # saved (not update()): the app processes' host cache hears of it
        tenant = Tenant.objects.get(pk=alpha.tenant.pk)
        tenant.time_zone = "Asia/Tokyo"
        tenant.save(update_fields=["time_zone"])
    with tenant_scope(alpha.tenant):
        Ticket.objects.filter(pk=world["earlier"].pk).update(
            created_at=datetime(2024, 5, 1, 20, 30, tzinfo=UTC)
        )

    content = admin_client.get(_url(world["ticket"]), **HTMX).content.decode()

    assert 'datetime="2024-05-02T05:30:00+09:00"' in content


def test_the_merge_section_is_for_admins_only(agent_client, admin_client, world):
    agent_page = agent_client.get(_url(world["ticket"]), **HTMX).content.decode()
    admin_page = admin_client.get(_url(world["ticket"]), **HTMX).content.decode()

    assert 'data-testid="contact-merge"' not in agent_page
    assert 'data-testid="contact-merge"' in admin_page
    assert agent_client.get(_url(world["ticket"], "merge/search"), {"q": "Ma"}).status_code == 403


def test_the_fragment_costs_a_fixed_number_of_queries(
    alpha, admin_client, world, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        tags = [TagFactory(), TagFactory()]
        world["contact"].tags.set(tags)
        world["contact"].owners.set([world["agent"]])
        ContactAttributeDefinition.objects.create(key="cpf", label="CPF")
        for _ in range(5):
            TicketFactory(contact=world["contact"], connection=world["connection"], status="closed")
    admin_client.get(_url(world["ticket"]), **HTMX)  # warm the tenant settings cache

    # session, user, ticket (+contact), the contact's tags, owners and identities, active tags,
    # attribute definitions, active users, previous tickets (queue and assignee joined); the
    # tenant from the host cache, its search_path already the connection's
    with django_assert_num_queries(10):
        response = admin_client.get(_url(world["ticket"]), **HTMX)

    assert response.status_code == 200
    assert len(response.context["previous_tickets"]) == 7


# ----------------------------------------------------------------------------- edits


def test_editing_the_details_saves_through_the_service(alpha, agent_client, world):
    response = agent_client.post(
        _url(world["ticket"], "details"),
        {"name": " Maria Souza ", "phone": "(11) 98888-7777", "email": "MS@Example.com"},
        **HTMX,
    )

    assert response.status_code == 200
    contact = _contact(alpha, world)
    assert (contact.name, contact.phone, contact.email) == (
        "Maria Souza",
        "+5511988887777",
        "ms@example.com",
    )
    assert "Maria Souza" in response.content.decode()


def test_an_invalid_phone_is_shown_next_to_the_field_and_nothing_changes(
    alpha, agent_client, world
):
    response = agent_client.post(
        _url(world["ticket"], "details"),
        {"name": "Renamed", "phone": "12", "email": ""},
        **HTMX,
    )

    assert response.status_code == 400
    assert response["X-Form-Invalid"] == "1"
    form = response.context["details_form"]
    assert list(form.errors) == ["phone"]
    assert 'class="field-error" id="cp-phone-error"' in response.content.decode()
    contact = _contact(alpha, world)
    assert (contact.name, contact.phone) == ("Maria Cliente", "+5511912345678")
    assert ">Maria Cliente<" in response.content.decode()  # not the refused name


def test_a_phone_of_another_contact_lands_on_the_phone_field(alpha, agent_client, world):
    with tenant_scope(alpha.tenant):
        ContactFactory(phone="+5511977776666")

    response = agent_client.post(
        _url(world["ticket"], "details"),
        {"name": "Maria", "phone": "+5511977776666", "email": ""},
        **HTMX,
    )

    assert response.status_code == 400
    assert list(response.context["details_form"].errors) == ["phone"]
    assert _contact(alpha, world).phone == "+5511912345678"


def test_an_empty_name_is_refused_by_the_form(alpha, agent_client, world):
    response = agent_client.post(
        _url(world["ticket"], "details"), {"name": "", "phone": "", "email": ""}, **HTMX
    )

    assert response.status_code == 400
    assert list(response.context["details_form"].errors) == ["name"]
    assert _contact(alpha, world).name == "Maria Cliente"


def test_notes_are_saved(alpha, agent_client, world):
    response = agent_client.post(
        _url(world["ticket"], "notes"), {"notes": "Prefers calls after 6pm."}, **HTMX
    )

    assert response.status_code == 200
    assert _contact(alpha, world).notes == "Prefers calls after 6pm."


def test_tags_are_replaced_through_contact_tags_set(alpha, agent_client, world):
    with tenant_scope(alpha.tenant):
        vip, late = TagFactory(name="vip"), TagFactory(name="late")
        world["contact"].tags.set([late])

    response = agent_client.post(_url(world["ticket"], "tags"), {"tag_ids": [vip.pk]}, **HTMX)

    assert response.status_code == 200
    with tenant_scope(alpha.tenant):
        assert list(_contact(alpha, world).tags.values_list("name", flat=True)) == ["vip"]
    assert 'data-testid="contact-tag"' in response.content.decode()


def test_an_unknown_tag_is_refused_next_to_the_tags_and_nothing_changes(alpha, agent_client, world):
    with tenant_scope(alpha.tenant):
        kept = TagFactory(name="kept")
        world["contact"].tags.set([kept])

    response = agent_client.post(
        _url(world["ticket"], "tags"), {"tag_ids": [kept.pk, 999999]}, **HTMX
    )

    assert response.status_code == 400
    assert list(response.context["tags_form"].errors) == ["tag_ids"]
    assert "999999" in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert list(_contact(alpha, world).tags.all()) == [kept]


def test_owners_are_replaced_through_contact_owners_set(alpha, agent_client, world):
    response = agent_client.post(
        _url(world["ticket"], "owners"), {"owner_ids": [world["agent"].pk]}, **HTMX
    )

    assert response.status_code == 200
    with tenant_scope(alpha.tenant):
        assert list(_contact(alpha, world).owners.all()) == [world["agent"]]


def test_an_inactive_owner_is_refused(alpha, agent_client, world):
    with tenant_scope(alpha.tenant):
        gone = UserFactory(is_active=False)

    response = agent_client.post(_url(world["ticket"], "owners"), {"owner_ids": [gone.pk]}, **HTMX)

    assert response.status_code == 400
    assert list(response.context["owners_form"].errors) == ["owner_ids"]
    with tenant_scope(alpha.tenant):
        assert not _contact(alpha, world).owners.exists()


@pytest.fixture
def definitions(alpha):
    with tenant_scope(alpha.tenant):
        kind = ContactAttributeDefinition.Type
        ContactAttributeDefinition.objects.create(key="cpf", label="CPF", type=kind.TEXT)
        ContactAttributeDefinition.objects.create(key="age", label="Age", type=kind.NUMBER)
        ContactAttributeDefinition.objects.create(key="since", label="Since", type=kind.DATE)
        ContactAttributeDefinition.objects.create(key="vip", label="VIP", type=kind.BOOLEAN)
        ContactAttributeDefinition.objects.create(
            key="plan", label="Plan", type=kind.CHOICE, choices=["basic", "pro"]
        )


def test_custom_attributes_are_saved_with_their_kinds(alpha, agent_client, world, definitions):
    page = agent_client.get(_url(world["ticket"]), **HTMX).content.decode()
    assert 'type="date"' in page
    assert 'data-testid="contact-attribute-plan"' in page

    response = agent_client.post(
        _url(world["ticket"], "attributes"),
        {
            "custom_attributes.cpf": "123.456.789-00",
            "custom_attributes.age": "42",
            "custom_attributes.since": "2023-02-01",
            "custom_attributes.vip": "true",
            "custom_attributes.plan": "pro",
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert _contact(alpha, world).custom_attributes == {
        "cpf": "123.456.789-00",
        "age": 42,
        "since": "2023-02-01",
        "vip": True,
        "plan": "pro",
    }


def test_an_empty_attribute_input_clears_its_value(alpha, agent_client, world, definitions):
    with tenant_scope(alpha.tenant):
        Contact.objects.filter(pk=world["contact"].pk).update(
            custom_attributes={"cpf": "1", "plan": "basic"}
        )

    agent_client.post(
        _url(world["ticket"], "attributes"),
        {"custom_attributes.cpf": "", "custom_attributes.plan": "basic"},
        **HTMX,
    )

    assert _contact(alpha, world).custom_attributes == {"plan": "basic"}


def test_a_value_that_does_not_fit_its_attribute_is_refused_next_to_it(
    alpha, agent_client, world, definitions
):
    response = agent_client.post(
        _url(world["ticket"], "attributes"),
        {"custom_attributes.age": "many", "custom_attributes.plan": "gold"},
        **HTMX,
    )

    assert response.status_code == 400
    errors = response.context["attributes_form"].errors
    assert sorted(errors) == ["custom_attributes.age", "custom_attributes.plan"]
    assert _contact(alpha, world).custom_attributes == {}


def test_block_and_unblock(alpha, agent_client, world):
    blocked = agent_client.post(_url(world["ticket"], "block"), **HTMX)
    assert blocked.status_code == 200
    assert 'data-testid="contact-unblock"' in blocked.content.decode()
    assert _contact(alpha, world).is_blocked

    unblocked = agent_client.post(_url(world["ticket"], "unblock"), **HTMX)
    assert 'data-testid="contact-block"' in unblocked.content.decode()
    assert not _contact(alpha, world).is_blocked


def test_a_group_is_named_a_group_and_blocked_as_one(alpha, agent_client, world):
    """A group chat has no phone or e-mail of its own; its panel says it is a group and its
    block button and confirmation speak of the group, in the agent's language."""
    with tenant_scope(alpha.tenant):
        group = ContactFactory(name="Equipe Vendas", phone="", email="", is_group=True)
        ticket = TicketFactory(contact=group, connection=world["connection"], queue=world["queue"])

    content = agent_client.get(_url(ticket), HTTP_ACCEPT_LANGUAGE="pt-br", **HTMX).content.decode()
    assert 'data-testid="contact-group"' in content
    assert "Conversa em grupo" in content
    assert "Sem telefone" not in content
    assert "Sem e-mail" not in content
    assert "Bloquear grupo" in content
    assert "Bloquear este grupo?" in content
    assert "Bloquear contato" not in content

    blocked = agent_client.post(_url(ticket, "block"), HTTP_ACCEPT_LANGUAGE="pt-br", **HTMX)
    assert "Desbloquear grupo" in blocked.content.decode()
    assert "Mensagens deste grupo não abrem tickets." in blocked.content.decode()
    with tenant_scope(alpha.tenant):
        assert Contact.objects.get(pk=group.pk).is_blocked
    # A person's panel keeps a person's wording.
    person = agent_client.get(_url(world["ticket"]), HTTP_ACCEPT_LANGUAGE="pt-br", **HTMX)
    assert "Bloquear contato" in person.content.decode()
    assert 'data-testid="contact-group"' not in person.content.decode()


def test_an_english_speaking_agent_reads_the_group_wording_in_english(alpha, agent_client, world):
    """The agent's own language decides the panel's: an agent who chose English reads the
    group's wording in English."""
    with tenant_scope(alpha.tenant):
        group = ContactFactory(name="Sales Team", phone="", email="", is_group=True)
        ticket = TicketFactory(contact=group, connection=world["connection"], queue=world["queue"])
        User.objects.filter(pk=world["agent"].pk).update(language="en")

    content = agent_client.get(_url(ticket), **HTMX).content.decode()
    assert "Group chat" in content
    assert "Block group" in content
    assert "Block this group?" in content
    assert "Conversa em grupo" not in content
    assert "No phone" not in content

    blocked = agent_client.post(_url(ticket, "block"), **HTMX).content.decode()
    assert "Unblock group" in blocked


def test_edits_need_post(agent_client, world):
    assert agent_client.get(_url(world["ticket"], "block")).status_code == 405


# ----------------------------------------------------------------------------- merge


def test_an_admin_finds_confirms_and_merges_a_duplicate(alpha, admin_client, world):
    # given: the same person written to us on another channel
    with tenant_scope(alpha.tenant):
        duplicate = ContactFactory(name="Maria C. (Instagram)", phone="", email="")
        ContactIdentityFactory(contact=duplicate, provider="instagram", display_name="maria.ig")
        their_ticket = TicketFactory(contact=duplicate, status="closed")

    # when: the admin searches, picks it and confirms
    found = admin_client.get(_url(world["ticket"], "merge/search"), {"q": "Instagram"}, **HTMX)
    assert f'data-contact-id="{duplicate.public_id}"' in found.content.decode()
    assert f'data-contact-id="{world["contact"].public_id}"' not in found.content.decode()
    confirm = admin_client.get(
        _url(world["ticket"], "merge"), {"merged": str(duplicate.public_id)}, **HTMX
    )
    assert confirm.status_code == 200
    assert 'data-testid="contact-merge-confirm"' in confirm.content.decode()
    merged = admin_client.post(
        _url(world["ticket"], "merge/confirm"), {"merged": str(duplicate.public_id)}, **HTMX
    )

    # then: the duplicate is gone, its channel and ticket belong to the ticket's contact, and
    # the whole panel is shown again
    assert merged.status_code == 200
    assert merged["HX-Retarget"] == "#contact-panel-content"
    assert "maria.ig" in merged.content.decode()
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.filter(pk=duplicate.pk).exists()
        their_ticket.refresh_from_db()
    assert their_ticket.contact_id == world["contact"].pk


def test_a_refused_merge_shows_the_services_error_and_merges_nothing(alpha, admin_client, world):
    # given: the duplicate also has an active ticket on the same connection
    with tenant_scope(alpha.tenant):
        duplicate = ContactFactory(name="Maria Dup")
        TicketFactory(contact=duplicate, connection=world["connection"])

    response = admin_client.post(
        _url(world["ticket"], "merge/confirm"), {"merged": str(duplicate.public_id)}, **HTMX
    )

    assert response.status_code == 400
    form = response.context["merge_form"]
    assert form.non_field_errors()
    assert form.non_field_errors()[0] in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert Contact.objects.filter(pk=duplicate.pk).exists()


def test_merging_an_unknown_contact_is_refused_next_to_the_field(alpha, admin_client, world):
    response = admin_client.post(
        _url(world["ticket"], "merge/confirm"),
        {"merged": "6b0c1d4e-0000-4000-8000-000000000000"},
        **HTMX,
    )

    assert response.status_code == 400
    form = response.context["merge_form"]
    assert list(form.errors) == ["__all__"]
    assert form.non_field_errors()[0] in response.content.decode()


def test_the_fragment_has_unique_ids_and_labelled_inputs(admin_client, world, definitions):
    content = admin_client.get(_url(world["ticket"]), **HTMX).content.decode()

    ids = re.findall(r'\sid="([^"]+)"', content)
    assert len(ids) == len(set(ids))
    for input_id in re.findall(r'<(?:input|textarea|select)[^>]*\sid="([^"]+)"', content):
        assert f'for="{input_id}"' in content, input_id
