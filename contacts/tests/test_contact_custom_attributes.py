"""Custom attribute values must match the tenant's typed definitions; unknown keys are refused."""

import pytest

from contacts.models import ContactAttributeDefinition as Definition
from contacts.services import contact_create, contact_update
from contacts.tests.factories import AttributeDefinitionFactory, ContactFactory
from core.exceptions import FieldValidationError


@pytest.fixture
def definitions(in_alpha):
    AttributeDefinitionFactory(key="cpf", type=Definition.Type.TEXT)
    AttributeDefinitionFactory(key="score", type=Definition.Type.NUMBER)
    AttributeDefinitionFactory(key="birthday", type=Definition.Type.DATE)
    AttributeDefinitionFactory(key="vip", type=Definition.Type.BOOLEAN)
    AttributeDefinitionFactory(key="plan", type=Definition.Type.CHOICE, choices=["basic", "pro"])


def test_valid_values_of_every_type_are_stored(definitions):
    values = {"cpf": " 123 ", "score": 4.5, "birthday": "1990-02-28", "vip": True, "plan": "pro"}

    contact = contact_create(name="Maria", custom_attributes=values)

    contact.refresh_from_db()
    assert contact.custom_attributes == {
        "cpf": "123",
        "score": 4.5,
        "birthday": "1990-02-28",
        "vip": True,
        "plan": "pro",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cpf", 123),
        ("score", "12"),
        ("score", True),
        ("birthday", "28/02/1990"),
        ("birthday", "1990-02-30"),
        ("vip", "yes"),
        ("plan", "gold"),
        ("unknown", "x"),
    ],
)
def test_a_wrong_value_is_refused_under_its_key(definitions, key, value):
    contact = ContactFactory(custom_attributes={"cpf": "1"})

    with pytest.raises(FieldValidationError) as caught:
        contact_update(contact=contact, custom_attributes={key: value})

    assert list(caught.value.extra["fields"]) == [f"custom_attributes.{key}"]
    contact.refresh_from_db()
    assert contact.custom_attributes == {"cpf": "1"}


def test_null_removes_a_value(definitions):
    contact = ContactFactory(custom_attributes={"cpf": "1", "vip": True})

    contact_update(contact=contact, custom_attributes={"cpf": None, "vip": True})

    contact.refresh_from_db()
    assert contact.custom_attributes == {"vip": True}
