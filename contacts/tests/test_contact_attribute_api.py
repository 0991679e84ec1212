"""Custom attribute definitions through the API: everyone reads, admins write."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from contacts.models import ContactAttributeDefinition
from contacts.tests.factories import AttributeDefinitionFactory


@pytest.fixture
def as_admin(api_alpha, in_alpha):
    return sign_in_api(api_alpha, AdminFactory().email)


@pytest.fixture
def as_agent(api_alpha, in_alpha):
    return sign_in_api(api_alpha, UserFactory().email)


def test_an_admin_defines_changes_and_deletes_an_attribute(as_admin):
    created = as_admin.post(
        "/api/v1/contact-attributes/",
        {"key": "plan", "label": "Plan", "type": "choice", "choices": ["basic", "pro"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    definition_id = created.json()["id"]

    updated = as_admin.patch(
        f"/api/v1/contact-attributes/{definition_id}/",
        {"label": "Plano", "choices": ["basic", "pro", "max"]},
        format="json",
    )
    assert updated.status_code == 200
    assert updated.json()["choices"] == ["basic", "pro", "max"]
    assert as_admin.get("/api/v1/contact-attributes/").json()[0]["label"] == "Plano"

    deleted = as_admin.delete(f"/api/v1/contact-attributes/{definition_id}/")
    assert deleted.status_code == 204
    assert not ContactAttributeDefinition.objects.exists()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"key": "cpf", "label": "CPF", "type": "colour"}, 400, "validation_error"),
        ({"key": "has space", "label": "X", "type": "text"}, 400, "validation_error"),
        ({"key": "plan", "label": "Plan", "type": "choice"}, 400, "validation_error"),
        ({"key": "taken", "label": "Again", "type": "text"}, 409, "contact_attribute_exists"),
    ],
)
def test_bad_definitions_are_refused(as_admin, payload, status, code):
    AttributeDefinitionFactory(key="taken")

    response = as_admin.post("/api/v1/contact-attributes/", payload, format="json")

    assert response.status_code == status
    assert response.json()["code"] == code
    assert ContactAttributeDefinition.objects.count() == 1


def test_agents_read_but_may_not_write(as_agent):
    AttributeDefinitionFactory(key="cpf")

    listed = as_agent.get("/api/v1/contact-attributes/")
    created = as_agent.post(
        "/api/v1/contact-attributes/", {"key": "x", "label": "X", "type": "text"}
    )

    assert [d["key"] for d in listed.json()] == ["cpf"]
    assert created.status_code == 403
    assert created.json()["code"] == "admin_required"
    assert ContactAttributeDefinition.objects.count() == 1
