"""Reads of contacts, tags, attribute definitions and imports. The wallet visibility rule for
contacts lives here once and is used by the list, the detail and the export."""

from __future__ import annotations

import re
from collections.abc import Sequence
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import User
from contacts.errors import (
    AttributeDefinitionNotFound,
    ContactImportNotFound,
    ContactNotFound,
    TagNotFound,
)
from contacts.models import Contact, ContactAttributeDefinition, ContactImport, Tag
from core.selectors import get_visible_or_404

_NON_DIGITS = re.compile(r"\D")
_MIN_PHONE_DIGITS = 3


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    """Admins see every contact; agents those without wallet owners and those they own."""
    contacts = Contact.objects.all()
    if user.is_admin:
        return contacts
    owners = Contact.owners.through.objects.filter(contact_id=OuterRef("pk"))
    return contacts.filter(~Exists(owners) | Exists(owners.filter(user_id=user.pk)))


def contact_list_for_user(
    *, user: User, search: str = "", tag_ids: Sequence[int] = ()
) -> QuerySet[Contact]:
    """Contacts ``user`` may see, optionally searched (name, phone digits, e-mail) and limited
    to contacts having any of ``tag_ids``; tags, owners and identities are prefetched."""
    contacts = contacts_visible_to(user)
    search = search.strip()
    if search:
        rule = Q(name__icontains=search) | Q(email__icontains=search)
        digits = _NON_DIGITS.sub("", search)
        if len(digits) >= _MIN_PHONE_DIGITS:
            rule |= Q(phone__contains=digits)
        # Typos ("Joao Silvia") still find the contact through the trigram index.
        contacts = contacts.filter(rule | Q(name__trigram_similar=search))
    if tag_ids:
        tagged = Contact.tags.through.objects.filter(contact_id=OuterRef("pk"), tag_id__in=tag_ids)
        contacts = contacts.filter(Exists(tagged))
    return contacts.prefetch_related("tags", "owners", "identities")


def contact_get_for_user(*, user: User, public_id: UUID | str) -> Contact:
    """One contact the user may see; ``ContactNotFound`` both when missing and when not visible."""
    contacts = contacts_visible_to(user).prefetch_related("tags", "owners", "identities")
    return get_visible_or_404(contacts, ContactNotFound, public_id=public_id)


def contacts_for_export(*, user: User) -> QuerySet[Contact]:
    """The contacts ``user`` may export (the ones they may see), by name."""
    return contacts_visible_to(user).prefetch_related("tags", "owners").order_by("name", "id")


def tag_list(*, active_only: bool = False) -> QuerySet[Tag]:
    """The tenant's tags by name."""
    tags = Tag.objects.all()
    if active_only:
        tags = tags.filter(is_active=True)
    return tags.order_by("name", "id")


def tag_get(*, tag_id: int) -> Tag:
    return get_visible_or_404(Tag.objects.all(), TagNotFound, pk=tag_id)


def contact_attribute_definition_list() -> QuerySet[ContactAttributeDefinition]:
    return ContactAttributeDefinition.objects.order_by("label", "id")


def contact_attribute_definition_get(*, definition_id: int) -> ContactAttributeDefinition:
    definitions = ContactAttributeDefinition.objects.all()
    return get_visible_or_404(definitions, AttributeDefinitionNotFound, pk=definition_id)


def contact_import_get_for_user(*, user: User, public_id: UUID | str) -> ContactImport:
    """An import the user may follow: admins any, agents their own; 404 otherwise."""
    imports = ContactImport.objects.all()
    if not user.is_admin:
        imports = imports.filter(created_by_id=user.pk)
    return get_visible_or_404(imports, ContactImportNotFound, public_id=public_id)


def contact_attribute_values_count(*, definition: ContactAttributeDefinition) -> int:
    """How many contacts hold a value of this attribute (what deleting it would erase)."""
    return Contact.objects.filter(custom_attributes__has_key=definition.key).count()
