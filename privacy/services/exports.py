"""A contact's data as a ZIP: ``contact.json`` (profile, identities, tickets and their messages
with times and senders), ``contact.html`` (the same, readable in a browser) and
``attachments/`` (the messages' files). Internal notes only when the admin asked for them.

The ZIP is built in a temporary file and stored once, complete, under the tenant's private
prefix; running the build again replaces nothing but the request's own file.
"""

from __future__ import annotations

import os
import tempfile
import uuid
import zipfile
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from contacts.models import Contact, ContactIdentity
from privacy.models import PrivacyRequest
from tenants.tenancy import tenant_media_owns, tenant_media_path
from tickets.models import Message, Ticket

EXPORT_AREA = "privacy-exports"


def _sender_name(message: Message, contact: Contact) -> str:
    if message.sender == Message.Sender.CONTACT:
        return message.sender_contact.name if message.sender_contact else contact.name
    if message.sender == Message.Sender.AGENT and message.sender_user is not None:
        return str(message.sender_user)
    return message.get_sender_display()


def contact_export_data(*, contact: Contact, include_notes: bool) -> dict[str, Any]:
    """Everything the export holds, as JSON-ready data (attachments named by their ZIP path)."""
    tickets = (
        Ticket.objects.filter(contact=contact)
        .select_related("connection", "queue")
        .order_by("created_at", "id")
    )
    data_tickets = []
    for ticket in tickets:
        messages = (
            Message.objects.filter(ticket=ticket)
            .select_related("sender_user", "sender_contact")
            .order_by("created_at", "id")
        )
        if not include_notes:
            messages = messages.filter(is_note=False)
        data_tickets.append(
            {
                "protocol": ticket.protocol,
                "status": ticket.status,
                "channel": ticket.connection.name,
                "provider": ticket.connection.provider,
                "queue": ticket.queue.name if ticket.queue else None,
                "opened_at": ticket.created_at,
                "closed_at": ticket.closed_at,
                "messages": [
                    {
                        "id": str(message.public_id),
                        "at": message.created_at,
                        "direction": message.direction,
                        "sender": message.sender,
                        "sender_name": _sender_name(message, contact),
                        "kind": message.kind,
                        "body": message.body,
                        "is_note": message.is_note,
                        "deleted": message.deleted_at is not None,
                        "attachment": (
                            f"attachments/{message.public_id}/"
                            f"{os.path.basename(str(message.media.name))}"
                            if message.media
                            else None
                        ),
                    }
                    for message in messages
                ],
            }
        )
    return {
        "exported_at": timezone.now(),
        "notes_included": include_notes,
        "profile": {
            "id": contact.pk,
            "name": contact.name,
            "phone": contact.phone,
            "email": contact.email,
            "notes": contact.notes,
            "custom_attributes": contact.custom_attributes,
            "tags": list(contact.tags.values_list("name", flat=True)),
            "blocked": contact.is_blocked,
            "created_at": contact.created_at,
        },
        "identities": [
            {
                "provider": identity.provider,
                "external_id": identity.external_id,
                "name": identity.display_name,
                "since": identity.created_at,
            }
            for identity in ContactIdentity.objects.filter(contact=contact).order_by("id")
        ],
        "tickets": data_tickets,
    }


def contact_export_build(*, privacy_request: PrivacyRequest, contact: Contact) -> str:
    """Build and store the request's ZIP; returns its storage name."""
    data = contact_export_data(contact=contact, include_notes=privacy_request.include_notes)
    attachments = {
        message["attachment"]: message["id"]
        for ticket in data["tickets"]
        for message in ticket["messages"]
        if message["attachment"]
    }
    media = dict(
        Message.objects.filter(public_id__in=attachments.values()).values_list("public_id", "media")
    )
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            encoded = DjangoJSONEncoder(indent=2, ensure_ascii=False).encode(data)
            archive.writestr("contact.json", encoded)
            archive.writestr("contact.html", render_to_string("privacy/export.html", data))
            for path, public_id in attachments.items():
                stored = str(media.get(uuid.UUID(public_id), "") or "")
                if not tenant_media_owns(stored) or not default_storage.exists(stored):
                    continue
                with default_storage.open(stored, "rb") as source:
                    archive.writestr(path, source.read())
        handle.seek(0)
        name = tenant_media_path(
            EXPORT_AREA, f"{privacy_request.public_id.hex}/contact-{contact.pk}.zip"
        )
        if default_storage.exists(name):
            default_storage.delete(name)  # a rerun after a killed worker
        return default_storage.save(name, File(handle))
