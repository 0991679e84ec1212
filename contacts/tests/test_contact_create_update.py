"""Contacts are created and changed through services that validate every field."""

import pytest

from contacts.errors import ContactPhoneExists
from contacts.models import Contact
from contacts.services import contact_block, contact_create, contact_unblock, contact_update
from contacts.tests.factories import ContactFactory
from core.exceptions import FieldValidationError


def test_a_contact_is_created_with_its_phone_in_e164(in_alpha):
    contact = contact_create(name=" Maria ", phone="(11) 98765-4321", email="Maria@Example.com")

    contact.refresh_from_db()
    assert contact.name == "Maria"
    assert contact.phone == "+5511987654321"
    assert contact.email == "maria@example.com"


def test_a_contact_without_name_is_named_after_its_phone(in_alpha):
    contact = contact_create(name="", phone="11987654321")
    assert contact.name == "+5511987654321"


def test_an_invalid_phone_is_refused_and_nothing_is_stored(in_alpha):
    with pytest.raises(FieldValidationError) as caught:
        contact_create(name="Maria", phone="12ab")
    assert "phone" in caught.value.extra["fields"]
    assert not Contact.objects.exists()


def test_a_phone_of_another_contact_is_a_conflict(in_alpha):
    ContactFactory(phone="+5511987654321")

    with pytest.raises(ContactPhoneExists) as caught:
        contact_create(name="Twin", phone="011 98765-4321")

    assert caught.value.http_status == 409
    assert Contact.objects.count() == 1


def test_a_bad_email_or_avatar_is_refused(in_alpha):
    with pytest.raises(FieldValidationError) as caught:
        contact_create(name="Maria", email="not-an-email", avatar_url="ftp:/x")
    assert set(caught.value.extra["fields"]) == {"email", "avatar_url"}
    assert not Contact.objects.exists()


def test_update_changes_only_the_given_fields(in_alpha):
    contact = ContactFactory(name="Maria", email="m@example.com", notes="VIP")

    contact_update(contact=contact, phone="+55 21 99876-5432")

    contact.refresh_from_db()
    assert contact.phone == "+5521998765432"
    assert contact.name == "Maria"
    assert contact.email == "m@example.com"
    assert contact.notes == "VIP"


def test_update_to_another_contacts_phone_is_a_conflict(in_alpha):
    ContactFactory(phone="+5511987654321")
    contact = ContactFactory(phone="+5511912345678")

    with pytest.raises(ContactPhoneExists):
        contact_update(contact=contact, phone="11987654321")

    contact.refresh_from_db()
    assert contact.phone == "+5511912345678"


def test_update_keeps_its_own_phone(in_alpha):
    contact = ContactFactory(phone="+5511987654321")
    contact_update(contact=contact, phone="11 98765-4321", name="New")
    contact.refresh_from_db()
    assert (contact.name, contact.phone) == ("New", "+5511987654321")


def test_an_empty_name_is_refused_on_update(in_alpha):
    contact = ContactFactory(name="Maria")
    with pytest.raises(FieldValidationError):
        contact_update(contact=contact, name="  ")
    contact.refresh_from_db()
    assert contact.name == "Maria"


def test_block_and_unblock(in_alpha):
    contact = ContactFactory()
    contact_block(contact=contact)
    contact.refresh_from_db()
    assert contact.is_blocked
    contact_unblock(contact=contact)
    contact.refresh_from_db()
    assert not contact.is_blocked
