"""Tags have case-insensitive unique names; deleting one removes it from contacts."""

import pytest

from contacts.errors import TagExists
from contacts.models import Contact, Tag
from contacts.services import tag_create, tag_delete, tag_update
from contacts.tests.factories import ContactFactory, TagFactory
from core.exceptions import FieldValidationError


def test_a_tag_is_created(in_alpha):
    tag = tag_create(name=" Lead ", color="#112233")
    tag.refresh_from_db()
    assert (tag.name, tag.color, tag.is_active) == ("Lead", "#112233", True)


def test_a_name_differing_only_in_case_is_a_conflict(in_alpha):
    TagFactory(name="Lead")

    with pytest.raises(TagExists) as caught:
        tag_create(name="LEAD")

    assert (caught.value.code, caught.value.http_status) == ("tag_exists", 409)
    assert Tag.objects.count() == 1


def test_renaming_to_another_tags_name_is_a_conflict_but_own_case_change_is_fine(in_alpha):
    TagFactory(name="Lead")
    tag = TagFactory(name="Customer")

    with pytest.raises(TagExists):
        tag_update(tag=tag, name="lead")
    tag_update(tag=tag, name="CUSTOMER", is_active=False)

    tag.refresh_from_db()
    assert (tag.name, tag.is_active) == ("CUSTOMER", False)


def test_a_bad_colour_or_empty_name_is_refused(in_alpha):
    with pytest.raises(FieldValidationError) as caught:
        tag_create(name="", color="red")
    assert set(caught.value.extra["fields"]) == {"name", "color"}
    assert not Tag.objects.exists()


def test_deleting_a_tag_unlinks_it_from_contacts(in_alpha):
    tag, other = TagFactory(), TagFactory()
    contact = ContactFactory()
    contact.tags.add(tag, other)

    tag_delete(tag=tag)

    assert not Tag.objects.filter(pk=tag.pk).exists()
    assert list(contact.tags.all()) == [other]
    assert Contact.objects.filter(pk=contact.pk).exists()
