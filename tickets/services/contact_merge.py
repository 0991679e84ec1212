"""Merging two contacts that turned out to be the same person (e.g. one WhatsApp, one Telegram).

It lives in the tickets layer because it moves tickets and records them on their timelines.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import ForeignObjectRel

from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_object, audit_record
from contacts.domain_events import ContactUpdated
from contacts.models import Contact
from core.event_bus import publish
from tickets import events
from tickets.errors import MergeConflictActiveTickets, MergeSameContact
from tickets.models import Ticket

# Filled from the merged contact when empty on the survivor.
_FILLABLE = ("phone", "email", "avatar_url", "notes")


@transaction.atomic
def contact_merge(*, survivor: Contact, merged: Contact, by: User) -> Contact:
    """Fold ``merged`` into ``survivor`` and delete ``merged`` (admins only).

    Identities, tickets (closed ones too), messages it sent, tags and wallet owners move to the
    survivor; the survivor's empty fields are filled from the merged contact, and every moved
    ticket gets a ``contact_merged`` entry. Refused (409 ``merge_conflict_active_tickets``) when
    both have an active ticket on the same connection: one contact may have only one there.
    """
    if not by.is_admin:
        raise AdminRequired()
    if survivor.pk == merged.pk:
        raise MergeSameContact()
    # Lock both rows in a fixed order, so two opposite merges cannot deadlock.
    locked = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update()
        .filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    _check_no_active_conflict(survivor, merged)

    ticket_ids = list(Ticket.objects.filter(contact=merged).values_list("pk", flat=True))
    _move_references(survivor, merged)
    survivor.tags.add(*merged.tags.all())
    survivor.owners.add(*merged.owners.all())
    _fill_empty_fields(survivor, merged)

    summary = {"public_id": str(merged.public_id), "name": merged.name, "phone": merged.phone}
    merged.delete()
    survivor.save()
    for ticket in Ticket.objects.filter(pk__in=ticket_ids).order_by("pk"):
        events.event_contact_merged(ticket=ticket, by=by, merged_contact=summary)
    audit_record(
        "contact.merged",
        actor=by,
        obj=audit_object(survivor, label=f"#{survivor.pk}"),
        extra={"merged_contact_id": summary["public_id"], "tickets_moved": len(ticket_ids)},
    )
    publish(ContactUpdated(contact_id=survivor.pk))
    return survivor


def _check_no_active_conflict(survivor: Contact, merged: Contact) -> None:
    active = Ticket.objects.exclude(status=Ticket.Status.CLOSED)
    mine = set(active.filter(contact=survivor).values_list("connection_id", flat=True))
    theirs = set(active.filter(contact=merged).values_list("connection_id", flat=True))
    clash = mine & theirs
    if clash:
        public_ids = active.filter(contact__in=[survivor, merged], connection_id__in=clash)
        raise MergeConflictActiveTickets(
            extra={
                "ticket_ids": sorted(str(p) for p in public_ids.values_list("public_id", flat=True))
            }
        )


def _move_references(survivor: Contact, merged: Contact) -> None:
    """Point every foreign key and many-to-many row that names ``merged`` at ``survivor``.

    Walking the model's relations (identities, tickets, messages' sender, and whatever later
    apps add) means a new reference to contacts cannot make a merge fail on PROTECT.
    """
    # include_hidden: relations without a reverse accessor (Message.sender_contact) too.
    relations = [
        field
        for field in Contact._meta.get_fields(include_hidden=True)
        if isinstance(field, ForeignObjectRel)
    ]
    for relation in relations:
        # Whichever app declares the reference (any floor): the merge names no model of theirs.
        related_model: Any = relation.related_model
        field = relation.field
        if relation.many_to_many:
            _move_m2m_rows(field, survivor, merged)
        elif related_model._meta.auto_created:
            # The hidden foreign keys of many-to-many tables: handled with their relation.
            continue
        elif relation.one_to_many or relation.one_to_one:
            related_model._base_manager.filter(**{field.name: merged}).update(
                **{field.name: survivor}
            )


def _move_m2m_rows(field: Any, survivor: Contact, merged: Contact) -> None:
    """Re-point rows of another model's many-to-many table to contacts, dropping duplicates."""
    through: Any = field.remote_field.through
    contact_column = field.m2m_reverse_field_name()
    other_column = field.m2m_field_name()
    existing = through.objects.filter(**{contact_column: survivor}).values(f"{other_column}_id")
    rows = through.objects.filter(**{contact_column: merged})
    rows.filter(**{f"{other_column}_id__in": existing}).delete()
    rows.update(**{contact_column: survivor})


def _fill_empty_fields(survivor: Contact, merged: Contact) -> None:
    if not survivor.name.strip():
        survivor.name = merged.name
    phone = merged.phone
    if phone and not survivor.phone:
        # The phone is unique: free it on the merged row before the survivor takes it.
        Contact.objects.filter(pk=merged.pk).update(phone="")
    for name in _FILLABLE:
        if not getattr(survivor, name) and getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
    survivor.custom_attributes = {
        **(merged.custom_attributes or {}),
        **(survivor.custom_attributes or {}),
    }
