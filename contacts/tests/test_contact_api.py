"""The contact API: create, read, change, tag, assign, block and delete, with clean errors."""

import uuid

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from contacts.models import Contact, ContactAttributeDefinition
from contacts.tests.factories import AttributeDefinitionFactory, ContactFactory, TagFactory
from tenants.tenancy import tenant_scope


@pytest.fixture
def admin(in_alpha):
    return AdminFactory()


@pytest.fixture
def agent(in_alpha):
    return UserFactory()


@pytest.fixture
def as_admin(api_alpha, admin):
    return sign_in_api(api_alpha, admin.email)


@pytest.fixture
def as_agent(api_alpha, agent):
    return sign_in_api(api_alpha, agent.email)


def test_create_returns_the_contact_with_its_phone_in_e164(as_admin, agent):
    tag = TagFactory(name="Lead")

    response = as_admin.post(
        "/api/v1/contacts/",
        {
            "name": "Maria",
            "phone": "(11) 98765-4321",
            "email": "maria@example.com",
            "tag_ids": [tag.pk],
            "owner_ids": [agent.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "+5511987654321"
    assert [t["name"] for t in body["tags"]] == ["Lead"]
    assert [o["id"] for o in body["owners"]] == [agent.pk]
    assert Contact.objects.get(public_id=body["public_id"]).name == "Maria"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"phone": "11987654321"}, "name"),
        ({"name": "M", "phone": "12ab"}, "phone"),
        ({"name": "M", "email": "nope"}, "email"),
        ({"name": "M", "tag_ids": [999_999]}, "tag_ids"),
        ({"name": "M", "owner_ids": ["x"]}, "owner_ids"),
        ({"name": "M", "custom_attributes": {"unknown": 1}}, "custom_attributes.unknown"),
        ({"name": "M", "custom_attributes": {"score": "ten"}}, "custom_attributes.score"),
        ({"name": "M", "custom_attributes": ["not", "a", "dict"]}, "custom_attributes"),
        ({"name": "x" * 151}, "name"),
    ],
)
def test_bad_input_is_a_400_with_the_field_and_nothing_is_stored(as_admin, payload, field):
    AttributeDefinitionFactory(key="score", type=ContactAttributeDefinition.Type.NUMBER)

    response = as_admin.post("/api/v1/contacts/", payload, format="json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] in {"validation_error", "invalid_phone"}
    assert field in body["extra"]["fields"]
    assert not Contact.objects.exists()


def test_a_duplicate_phone_is_a_409(as_admin):
    ContactFactory(phone="+5511987654321")

    response = as_admin.post(
        "/api/v1/contacts/", {"name": "Twin", "phone": "11987654321"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "contact_phone_exists"
    assert Contact.objects.count() == 1


def test_retrieve_shows_identities_tags_and_owners(as_agent):
    contact = ContactFactory(name="Ana")
    contact.identities.create(provider="telegram", external_id="42", display_name="ana")

    response = as_agent.get(f"/api/v1/contacts/{contact.public_id}/")

    assert response.status_code == 200
    assert response.json()["identities"] == [
        {"provider": "telegram", "external_id": "42", "display_name": "ana"}
    ]


def test_a_contact_in_another_agents_wallet_is_404_for_an_agent(as_agent):
    contact = ContactFactory()
    contact.owners.add(UserFactory())

    for response in (
        as_agent.get(f"/api/v1/contacts/{contact.public_id}/"),
        as_agent.patch(f"/api/v1/contacts/{contact.public_id}/", {"name": "X"}),
        as_agent.get(f"/api/v1/contacts/{uuid.uuid4()}/"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "contact_not_found"
    contact.refresh_from_db()
    assert contact.name != "X"


def test_update_changes_only_the_given_fields(as_agent):
    contact = ContactFactory(name="Ana", email="a@example.com", notes="old")

    response = as_agent.patch(
        f"/api/v1/contacts/{contact.public_id}/",
        {"notes": "new", "phone": "+55 21 99876-5432"},
        format="json",
    )

    assert response.status_code == 200, response.content
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.notes, contact.phone) == (
        "Ana",
        "a@example.com",
        "new",
        "+5521998765432",
    )


def test_a_bad_update_changes_nothing(as_agent):
    contact = ContactFactory(name="Ana", phone="+5511987654321")

    response = as_agent.patch(
        f"/api/v1/contacts/{contact.public_id}/",
        {"name": "Bia", "phone": "123"},
        format="json",
    )

    assert response.status_code == 400
    contact.refresh_from_db()
    assert (contact.name, contact.phone) == ("Ana", "+5511987654321")


def test_tags_and_owners_are_set_and_returned(as_agent, agent):
    contact = ContactFactory()
    tag = TagFactory(name="VIP")

    tags = as_agent.post(
        f"/api/v1/contacts/{contact.public_id}/tags/", {"tag_ids": [tag.pk]}, format="json"
    )
    owners = as_agent.post(
        f"/api/v1/contacts/{contact.public_id}/owners/", {"owner_ids": [agent.pk]}, format="json"
    )

    assert tags.status_code == 200
    assert [t["name"] for t in tags.json()["tags"]] == ["VIP"]
    assert owners.status_code == 200
    assert [o["id"] for o in owners.json()["owners"]] == [agent.pk]
    assert [t["name"] for t in owners.json()["tags"]] == ["VIP"]


def test_unknown_tags_are_a_400_and_keep_the_old_tags(as_agent):
    contact = ContactFactory()
    old = TagFactory()
    contact.tags.add(old)

    response = as_agent.post(
        f"/api/v1/contacts/{contact.public_id}/tags/", {"tag_ids": [999_999]}, format="json"
    )

    assert response.status_code == 400
    assert list(contact.tags.all()) == [old]


def test_block_and_unblock(as_agent):
    contact = ContactFactory()

    blocked = as_agent.post(f"/api/v1/contacts/{contact.public_id}/block/")
    contact.refresh_from_db()
    assert blocked.status_code == 200
    assert blocked.json()["is_blocked"] is True
    assert contact.is_blocked

    unblocked = as_agent.post(f"/api/v1/contacts/{contact.public_id}/unblock/")
    contact.refresh_from_db()
    assert unblocked.json()["is_blocked"] is False
    assert not contact.is_blocked


def test_only_admins_delete(as_agent, api_alpha):
    contact = ContactFactory()

    response = as_agent.delete(f"/api/v1/contacts/{contact.public_id}/")

    assert response.status_code == 403
    assert response.json()["code"] == "admin_required"
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_an_admin_deletes_a_contact_without_tickets(as_admin):
    contact = ContactFactory()

    response = as_admin.delete(f"/api/v1/contacts/{contact.public_id}/")

    assert response.status_code == 204
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_a_contact_with_tickets_cannot_be_deleted(as_admin):
    # tickets sit above contacts; only this test reaches up to create a ticket
    from tickets.tests.factories import TicketFactory

    ticket = TicketFactory()

    response = as_admin.delete(f"/api/v1/contacts/{ticket.contact.public_id}/")

    assert response.status_code == 409
    assert response.json()["code"] == "contact_has_tickets"
    assert Contact.objects.filter(pk=ticket.contact.pk).exists()


def test_unauthenticated_is_401(api_alpha, in_alpha):
    assert api_alpha.get("/api/v1/contacts/").status_code == 401
    assert api_alpha.post("/api/v1/contacts/", {"name": "x"}).status_code == 401
    with tenant_scope(in_alpha.tenant):
        assert not Contact.objects.exists()
