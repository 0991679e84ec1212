"""NUL and lone surrogates through the contacts API: refused with 400 in the error shape
(docs/inbound.md, "Text we clean"), nothing stored, never a 500. Strings a JSON escape can
carry but PostgreSQL cannot store, in values and in keys alike."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory
from conftest import sign_in_api
from contacts.models import Contact, ContactAttributeDefinition
from contacts.tests.factories import AttributeDefinitionFactory, ContactFactory

BAD = ["with\u0000nul", "lone\ud800surrogate", "\udfff"]


@pytest.fixture(autouse=True)
def _production(settings) -> None:
    settings.DEBUG = False


@pytest.fixture
def as_admin(api_alpha, in_alpha):
    api = sign_in_api(api_alpha, AdminFactory().email)
    api.raise_request_exception = False  # a crash is a 500 answer, as in production
    return api


def _post(api: APIClient, path: str, body: dict, method: str = "post") -> object:
    # json.dumps writes both as escapes ("\u0000", "\ud800"), as a client's JSON library would.
    return getattr(api, method)(path, json.dumps(body), content_type="application/json")


def _refused(response) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error", body
    assert set(body) == {"code", "message", "extra"}


@pytest.mark.parametrize("bad", BAD)
def test_contact_create_refuses_unstorable_names_and_attributes(as_admin, bad) -> None:
    AttributeDefinitionFactory(key="plan")
    create = "/api/v1/contacts/"
    _refused(_post(as_admin, create, {"name": bad}))
    _refused(_post(as_admin, create, {"name": "M", "notes": bad}))
    _refused(_post(as_admin, create, {"name": "M", "custom_attributes": {"plan": bad}}))
    _refused(_post(as_admin, create, {"name": "M", "custom_attributes": {bad: "x"}}))
    assert not Contact.objects.exists()


@pytest.mark.parametrize("bad", BAD)
def test_contact_update_refuses_unstorable_attributes(as_admin, bad) -> None:
    AttributeDefinitionFactory(key="plan")
    contact = ContactFactory(name="Maria", custom_attributes={"plan": "pro"})
    update = f"/api/v1/contacts/{contact.public_id}/"
    _refused(_post(as_admin, update, {"custom_attributes": {"plan": bad}}, "patch"))
    _refused(_post(as_admin, update, {"custom_attributes": {bad: "x"}}, "patch"))
    _refused(_post(as_admin, update, {"name": bad}, "patch"))
    contact.refresh_from_db()
    assert (contact.name, contact.custom_attributes) == ("Maria", {"plan": "pro"})


@pytest.mark.parametrize("bad", BAD)
def test_attribute_definitions_refuse_unstorable_keys_labels_and_choices(as_admin, bad) -> None:
    create = "/api/v1/contact-attributes/"
    _refused(_post(as_admin, create, {"key": bad, "label": "Plan", "type": "text"}))
    _refused(_post(as_admin, create, {"key": "plan", "label": bad, "type": "text"}))
    body = {"key": "plan", "label": "Plan", "type": "choice", "choices": ["a", bad]}
    _refused(_post(as_admin, create, body))
    assert not ContactAttributeDefinition.objects.exists()
