"""Tags and wallet owners of a contact are replaced as a whole, and must exist."""

import pytest

from accounts.tests.factories import UserFactory
from contacts.services import contact_owners_set, contact_tags_set
from contacts.tests.factories import ContactFactory, TagFactory
from core.exceptions import FieldValidationError


def test_tags_are_replaced(in_alpha):
    old, new_one, new_two = TagFactory(), TagFactory(), TagFactory()
    contact = ContactFactory()
    contact.tags.add(old)

    contact_tags_set(contact=contact, tag_ids=[new_one.pk, new_two.pk, new_one.pk])

    assert set(contact.tags.all()) == {new_one, new_two}


def test_an_unknown_tag_is_refused_and_nothing_changes(in_alpha):
    old = TagFactory()
    contact = ContactFactory()
    contact.tags.add(old)

    with pytest.raises(FieldValidationError) as caught:
        contact_tags_set(contact=contact, tag_ids=[TagFactory().pk, 999_999])

    assert "999999" in caught.value.extra["fields"]["tag_ids"][0]
    assert list(contact.tags.all()) == [old]


def test_owners_are_replaced(in_alpha):
    first, second = UserFactory(), UserFactory()
    contact = ContactFactory()
    contact.owners.add(first)

    contact_owners_set(contact=contact, owner_ids=[second.pk])

    assert list(contact.owners.all()) == [second]


def test_an_inactive_or_unknown_owner_is_refused(in_alpha):
    inactive = UserFactory(is_active=False)
    contact = ContactFactory()

    for owner_ids in ([inactive.pk], [999_999]):
        with pytest.raises(FieldValidationError) as caught:
            contact_owners_set(contact=contact, owner_ids=owner_ids)
        assert "owner_ids" in caught.value.extra["fields"]
    assert not contact.owners.exists()


def test_an_empty_list_clears(in_alpha):
    contact = ContactFactory()
    contact.owners.add(UserFactory())
    contact.tags.add(TagFactory())

    contact_owners_set(contact=contact, owner_ids=[])
    contact_tags_set(contact=contact, tag_ids=[])

    assert not contact.owners.exists()
    assert not contact.tags.exists()
