"""Contacts and their identities on channels: create, update, block, tags and wallet owners,
delete, and the upsert that inbound messages go through."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_object, audit_record
from contacts.domain_events import ContactCreated, ContactUpdated
from contacts.errors import ContactHasTickets, ContactPhoneExists, InvalidPhone
from contacts.models import Contact, ContactIdentity, Tag
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.services._validation import full_clean, tags_existing
from contacts.services.attributes import contact_attributes_clean
from core.event_bus import publish
from core.exceptions import FieldValidationError
from core.savepoints import atomic_service, savepoint_own

logger = logging.getLogger(__name__)

_UPSERT_ATTEMPTS = 3


def _phone_or_error(raw: str) -> str:
    """The E.164 form of ``raw`` ("" stays ""), with the error under the ``phone`` field."""
    if not raw.strip():
        return ""
    try:
        return phone_normalize(raw, region=tenant_phone_region())
    except InvalidPhone as exc:
        raise FieldValidationError({"phone": [exc.message]}) from exc


def _check_phone_free(phone: str, *, exclude_pk: int | None = None) -> None:
    if not phone:
        return
    others = Contact.objects.filter(phone=phone)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ContactPhoneExists(
            extra={"fields": {"phone": [str(ContactPhoneExists.default_message)]}}
        )


def _save_contact(contact: Contact) -> None:
    """Save in a savepoint: a concurrent insert of the same phone becomes ContactPhoneExists."""
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as exc:
        raise ContactPhoneExists(
            extra={"fields": {"phone": [str(ContactPhoneExists.default_message)]}}
        ) from exc


def _owners_existing(owner_ids: Iterable[int]) -> list[User]:
    wanted = set(owner_ids)
    owners = list(User.objects.filter(pk__in=wanted, is_active=True))
    missing = wanted - {owner.pk for owner in owners}
    if missing:
        raise FieldValidationError(
            {
                "owner_ids": [
                    _("Unknown or inactive users: %(ids)s")
                    % {"ids": ", ".join(map(str, sorted(missing)))}
                ]
            }
        )
    return owners


@transaction.atomic
def contact_create(
    *,
    name: str,
    phone: str = "",
    email: str = "",
    avatar_url: str = "",
    notes: str = "",
    custom_attributes: Mapping[str, Any] | None = None,
    tag_ids: Sequence[int] = (),
    owner_ids: Sequence[int] = (),
    is_blocked: bool = False,
) -> Contact:
    """Create a contact; the phone is stored in E.164 and must not belong to another contact."""
    normalized = _phone_or_error(phone)
    contact = Contact(
        name=name.strip() or normalized,
        phone=normalized,
        email=email.strip().lower(),
        avatar_url=avatar_url.strip(),
        notes=notes,
        custom_attributes=contact_attributes_clean(custom_attributes or {}),
        is_blocked=is_blocked,
    )
    tags = tags_existing(tag_ids)
    owners = _owners_existing(owner_ids)
    _check_phone_free(normalized)
    full_clean(contact, validate_unique=False, validate_constraints=False)
    _save_contact(contact)
    if tags:
        contact.tags.set(tags)
    if owners:
        contact.owners.set(owners)
    publish(ContactCreated(contact_id=contact.pk))
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    name: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    avatar_url: str | None = None,
    notes: str | None = None,
    custom_attributes: Mapping[str, Any] | None = None,
    is_blocked: bool | None = None,
) -> Contact:
    """Change the given fields (``None`` leaves a field as it is).

    ``custom_attributes`` replaces the whole set of values.
    """
    if name is not None:
        contact.name = name.strip()
    if phone is not None:
        contact.phone = _phone_or_error(phone)
        _check_phone_free(contact.phone, exclude_pk=contact.pk)
    if email is not None:
        contact.email = email.strip().lower()
    if avatar_url is not None:
        contact.avatar_url = avatar_url.strip()
    if notes is not None:
        contact.notes = notes
    if custom_attributes is not None:
        contact.custom_attributes = contact_attributes_clean(custom_attributes)
    if is_blocked is not None:
        contact.is_blocked = is_blocked
    full_clean(contact, validate_unique=False, validate_constraints=False)
    _save_contact(contact)
    publish(ContactUpdated(contact_id=contact.pk))
    return contact


@transaction.atomic
def contact_block(*, contact: Contact) -> Contact:
    """Block the contact: its messages are no longer turned into tickets."""
    contact = contact_update(contact=contact, is_blocked=True)
    audit_record("contact.blocked", obj=audit_object(contact, label=f"#{contact.pk}"))
    return contact


@transaction.atomic
def contact_unblock(*, contact: Contact) -> Contact:
    """Unblock the contact."""
    contact = contact_update(contact=contact, is_blocked=False)
    audit_record("contact.unblocked", obj=audit_object(contact, label=f"#{contact.pk}"))
    return contact


@transaction.atomic
def contact_tags_set(*, contact: Contact, tag_ids: Sequence[int]) -> list[Tag]:
    """Replace the contact's tags; every tag must exist."""
    tags = tags_existing(tag_ids)
    contact.tags.set(tags)
    publish(ContactUpdated(contact_id=contact.pk))
    return tags


@transaction.atomic
def contact_owners_set(*, contact: Contact, owner_ids: Sequence[int]) -> list[User]:
    """Replace the contact's wallet owners; every owner must be an active user of the tenant."""
    owners = _owners_existing(owner_ids)
    contact.owners.set(owners)
    publish(ContactUpdated(contact_id=contact.pk))
    return owners


@transaction.atomic
def contact_delete(*, contact: Contact) -> None:
    """Delete a contact that has never had a ticket (its history must stay readable)."""
    if contact.tickets.exists():
        raise ContactHasTickets()
    target = audit_object(contact, label=f"#{contact.pk}")
    contact.delete()
    audit_record("contact.deleted", obj=target)


def _fill_empty(
    contact: Contact, *, name: str, phone: str, avatar_url: str, placeholders: set[str]
) -> None:
    """Complete what the contact lacks from the channel's data; never overwrite what is there,
    except a name that is only a placeholder (the channel id, "Instagram user 1234")."""
    changed: list[str] = []
    if name and name != contact.name and (not contact.name or contact.name in placeholders):
        contact.name = name
        changed.append("name")
    if not contact.avatar_url and avatar_url:
        contact.avatar_url = avatar_url
        changed.append("avatar_url")
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
    if not contact.phone and phone and not Contact.objects.filter(phone=phone).exists():
        try:
            with transaction.atomic():
                Contact.objects.filter(pk=contact.pk).update(phone=phone, updated_at=timezone.now())
        except IntegrityError:
            return  # another contact took the number meanwhile; the identity still reaches this one
        contact.phone = phone


@atomic_service
def contact_upsert_from_identity(
    *,
    provider: str,
    external_id: str,
    name: str,
    phone: str | None = None,
    avatar_url: str = "",
    unnamed: str = "",
    is_group: bool = False,
    identity_read: bool = False,
    identity: ContactIdentity | None = None,
) -> tuple[Contact, bool]:
    """The contact a channel identity belongs to, creating it on first contact.

    Found through ``ContactIdentity(provider, external_id)``; else through the phone (a new
    identity is attached); else a new contact and identity are created. Fields an agent set are
    kept; only empty ones are filled, and a name that is only a placeholder (``unnamed``, the
    readable name of a customer the channel does not name, or the bare channel id) is replaced
    once the channel names them. ``is_group`` marks a contact created for a group chat (no
    greeting, bot or out-of-hours notice reaches it). A phone the numbering plan refuses is
    ignored, so a message is never lost because of it. Safe under concurrency: the unique
    constraints decide which of simultaneous callers creates the rows, and the others read the
    winner's after a retry. With ``identity_read`` the caller has read the identity (its
    contact selected along) in the current transaction, and nothing has written either since:
    ``identity`` is it, or None when there was none, and it is not read again (an inbound batch
    reads its customers' identities in one statement; one created meanwhile by another
    transaction fails the insert below, and with it the caller's unit of work, whose retry
    finds it).
    Returns ``(contact, created)``.
    """
    normalized = ""
    if phone:
        try:
            normalized = phone_normalize(phone, region=tenant_phone_region())
        except InvalidPhone:
            logger.info("Ignoring invalid phone from %s identity %s", provider, external_id)
    name = name.strip()[:150]
    avatar_url = avatar_url.strip()[:1000]
    placeholders = {external_id[:150], unnamed.strip()[:150]} - {""}
    for attempt in range(_UPSERT_ATTEMPTS):
        if not identity_read or attempt:
            identity = (
                ContactIdentity.objects.select_related("contact")
                .filter(provider=provider, external_id=external_id)
                .first()
            )
        if identity is not None:
            if name and identity.display_name != name:
                identity.display_name = name
                identity.save(update_fields=["display_name", "updated_at"])
            _fill_empty(
                identity.contact,
                name=name,
                phone=normalized,
                avatar_url=avatar_url,
                placeholders=placeholders,
            )
            return identity.contact, False
        try:
            # Inside an inbound batch the event's savepoint answers a race (core.savepoints).
            with transaction.atomic(savepoint=savepoint_own()):
                contact = Contact.objects.filter(phone=normalized).first() if normalized else None
                created = contact is None
                if contact is None:
                    contact = Contact.objects.create(
                        name=name or normalized or unnamed.strip()[:150] or external_id[:150],
                        phone=normalized,
                        avatar_url=avatar_url,
                        is_group=is_group,
                    )
                else:
                    _fill_empty(
                        contact, name=name, phone="", avatar_url=avatar_url, placeholders=set()
                    )
                ContactIdentity.objects.create(
                    contact=contact, provider=provider, external_id=external_id, display_name=name
                )
        except IntegrityError:
            # A concurrent call created the identity (or the contact with this phone) first;
            # its transaction has committed once our insert failed, so the next read sees it.
            # Without a savepoint of our own the transaction is broken: the caller's rolls back.
            if attempt == _UPSERT_ATTEMPTS - 1 or not savepoint_own():
                raise
            continue
        if created:
            publish(ContactCreated(contact_id=contact.pk))
        return contact, created
    raise AssertionError("unreachable")  # pragma: no cover
