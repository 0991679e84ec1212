"""Tags through the API: everyone reads, admins write; names are unique regardless of case."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from contacts.models import Tag
from contacts.tests.factories import ContactFactory, TagFactory


@pytest.fixture
def as_admin(api_alpha, in_alpha):
    return sign_in_api(api_alpha, AdminFactory().email)


@pytest.fixture
def as_agent(api_alpha, in_alpha):
    return sign_in_api(api_alpha, UserFactory().email)


def test_everyone_lists_tags_by_name_and_may_ask_for_active_ones(as_agent):
    TagFactory(name="Zeta")
    TagFactory(name="Alpha")
    TagFactory(name="Off", is_active=False)

    every = as_agent.get("/api/v1/tags/").json()
    active = as_agent.get("/api/v1/tags/", {"active": "true"}).json()

    assert [t["name"] for t in every] == ["Alpha", "Off", "Zeta"]
    assert [t["name"] for t in active] == ["Alpha", "Zeta"]


def test_an_admin_creates_updates_and_deletes_a_tag(as_admin):
    created = as_admin.post("/api/v1/tags/", {"name": "VIP", "color": "#112233"})
    assert created.status_code == 201, created.content
    tag_id = created.json()["id"]
    contact = ContactFactory()
    contact.tags.add(tag_id)

    updated = as_admin.patch(f"/api/v1/tags/{tag_id}/", {"is_active": False})
    assert updated.status_code == 200
    assert updated.json() == {"id": tag_id, "name": "VIP", "color": "#112233", "is_active": False}

    deleted = as_admin.delete(f"/api/v1/tags/{tag_id}/")
    assert deleted.status_code == 204
    assert not Tag.objects.exists()
    assert not contact.tags.exists()


def test_a_duplicate_name_is_a_409(as_admin):
    TagFactory(name="VIP")

    response = as_admin.post("/api/v1/tags/", {"name": "vip"})

    assert response.status_code == 409
    assert response.json()["code"] == "tag_exists"
    assert Tag.objects.count() == 1


def test_bad_input_is_a_400_and_stores_nothing(as_admin):
    response = as_admin.post("/api/v1/tags/", {"name": "", "color": "blue"})

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) >= {"name"}
    assert not Tag.objects.exists()


def test_agents_may_not_write_tags(as_agent):
    tag = TagFactory(name="VIP")

    responses = [
        as_agent.post("/api/v1/tags/", {"name": "New"}),
        as_agent.patch(f"/api/v1/tags/{tag.pk}/", {"name": "X"}),
        as_agent.delete(f"/api/v1/tags/{tag.pk}/"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert {r.json()["code"] for r in responses} == {"admin_required"}
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]


def test_an_unknown_tag_is_a_404(as_admin):
    response = as_admin.patch("/api/v1/tags/999999/", {"name": "X"})
    assert response.status_code == 404
    assert response.json()["code"] == "tag_not_found"
