"""Admins define typed custom attributes; deleting one removes its values from contacts."""

import pytest

from contacts.errors import AttributeDefinitionExists
from contacts.models import ContactAttributeDefinition as Definition
from contacts.services import (
    contact_attribute_definition_create,
    contact_attribute_definition_delete,
    contact_attribute_definition_update,
)
from contacts.tests.factories import AttributeDefinitionFactory, ContactFactory
from core.exceptions import FieldValidationError


def test_a_choice_attribute_needs_choices(in_alpha):
    with pytest.raises(FieldValidationError) as caught:
        contact_attribute_definition_create(key="plan", label="Plan", type="choice", choices=[])
    assert "choices" in caught.value.extra["fields"]

    definition = contact_attribute_definition_create(
        key="plan", label="Plan", type="choice", choices=["basic", "pro"]
    )
    assert definition.choices == ["basic", "pro"]


def test_only_choice_attributes_take_choices(in_alpha):
    with pytest.raises(FieldValidationError):
        contact_attribute_definition_create(key="cpf", label="CPF", type="text", choices=["x"])
    assert not Definition.objects.exists()


def test_a_bad_key_or_type_is_refused(in_alpha):
    with pytest.raises(FieldValidationError) as caught:
        contact_attribute_definition_create(key="not a slug", label="X", type="colour")
    assert set(caught.value.extra["fields"]) == {"key", "type"}


def test_a_duplicate_key_is_a_conflict(in_alpha):
    AttributeDefinitionFactory(key="cpf")
    with pytest.raises(AttributeDefinitionExists):
        contact_attribute_definition_create(key="cpf", label="CPF", type="text")


def test_label_and_choices_can_change(in_alpha):
    definition = AttributeDefinitionFactory(key="plan", type="choice", choices=["a"])
    contact_attribute_definition_update(definition=definition, label="Plano", choices=["a", "b"])
    definition.refresh_from_db()
    assert (definition.label, definition.choices) == ("Plano", ["a", "b"])


def test_deleting_a_definition_removes_its_values(in_alpha):
    definition = AttributeDefinitionFactory(key="cpf")
    with_value = ContactFactory(custom_attributes={"cpf": "1", "other": 2})
    without = ContactFactory(custom_attributes={"other": 3})

    contact_attribute_definition_delete(definition=definition)

    with_value.refresh_from_db()
    without.refresh_from_db()
    assert with_value.custom_attributes == {"other": 2}
    assert without.custom_attributes == {"other": 3}
    assert not Definition.objects.exists()
