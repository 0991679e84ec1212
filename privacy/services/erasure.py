"""Erasing a contact (an erasure request) and a conversation's content (the retention policy).

A contact's erasure runs in steps, each safe to run again, so that a worker killed anywhere
leaves a request that the next run (the broker's redelivery or the sweeper) completes:

1. ``copies``: the contact's traces (``privacy.traces``) are read from the database and purged
   from the tenant's Redis keys;
2. ``files``: the files go from storage (messages' media, the contact's picture, web chat
   uploads, earlier exports, finished contact imports' CSV files naming the contact);
   deleting a missing file is not an error;
3. ``records``: one transaction blanks the rows: messages' text, files and payloads, edits,
   previews, timeline data holding a trace, the raw inbound items and outbound webhook bodies
   that carried them, identities (a new message from the same number starts a new contact),
   and the contact itself becomes "Erased contact #id". Tickets and the reports' rows stay, so
   the counts stay;
4. ``copies`` again, for what was cached between 1 and 3.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from automation.models import Flow
from campaigns.models import CampaignRecipient
from channels_integrations.models import (
    BlockedMessage,
    InboundEvent,
    OutboundChange,
    OutboundDelivery,
)
from contacts.domain_events import ContactUpdated
from contacts.models import Contact, ContactIdentity, ContactImport
from core.event_bus import publish
from integrations.models import WebhookAttempt, WebhookDelivery
from privacy.models import PrivacyRequest
from privacy.traces import (
    Traces,
    contact_messages,
    contact_traces,
    json_holds,
    json_scrub,
    redis_traces_purge,
    traces_keep,
)
from tenants.tenancy import current_tenant, tenant_media_owns, tenant_media_path
from tickets.models import Message, MessageEdit, Ticket, TicketEvent

ERASED_ITEM = {"erased": True}
Progress = Callable[[str, int], None]


def _no_progress(step: str, percent: int) -> None:
    return None


def erased_contact_name(contact_id: int) -> str:
    """The name an erased contact keeps, in the tenant's language (whoever runs the job)."""
    language = getattr(current_tenant(), "language", None) or settings.LANGUAGE_CODE
    with translation.override(language):
        return gettext("Erased contact #%(id)s") % {"id": contact_id}


# ----------------------------------------------------------------------------- files
def _files_delete(names: Iterable[str], progress: Progress, start: int, end: int) -> int:
    names = [name for name in dict.fromkeys(names) if name and tenant_media_owns(name)]
    for number, name in enumerate(names, start=1):
        default_storage.delete(name)
        if number % 10 == 0 or number == len(names):
            progress("files", start + (end - start) * number // len(names))
    return len(names)


def _folder_files(folder: str) -> list[str]:
    """Every file under ``folder`` in storage (empty when it does not exist)."""
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = [f"{folder}/{name}" for name in files]
    for sub in folders:
        names += _folder_files(f"{folder}/{sub}")
    return names


def _message_files(messages: QuerySet[Message]) -> list[str]:
    return [str(name) for name in messages.exclude(media="").values_list("media", flat=True)]


# ----------------------------------------------------------------------------- rows
def _messages_blank(messages: QuerySet[Message], traces: Traces) -> int:
    """The messages keep their kind, direction, sender and times (reports count them); their
    text, files, provider payloads and ids go, and so do the copies kept beside them."""
    ids = list(messages.values_list("pk", flat=True))
    # Provider ids are unique per connection only (a Telegram message id per chat, even).
    provider_ids: dict[int, list[str]] = {}
    for connection_id, provider_id in messages.exclude(provider_message_id=None).values_list(
        "connection_id", "provider_message_id"
    ):
        provider_ids.setdefault(connection_id, []).append(str(provider_id))
    MessageEdit.objects.filter(message_id__in=ids).delete()
    OutboundChange.objects.filter(message_id__in=ids).update(body="")
    OutboundDelivery.objects.filter(message_id__in=ids).update(provider_message_id="")
    for connection_id, connection_ids in provider_ids.items():
        InboundEvent.objects.filter(
            connection_id=connection_id, item__provider_message_id__in=connection_ids
        ).update(item=ERASED_ITEM)
    changed = Message.objects.filter(pk__in=ids).update(
        body="",
        media="",
        media_name="",
        media_mime="",
        media_size=None,
        media_error="",
        payload={},
        error_detail="",
        provider_message_id=None,
        updated_at=timezone.now(),
    )
    ticket_ids = set(Message.objects.filter(pk__in=ids).values_list("ticket_id", flat=True))
    Ticket.objects.filter(pk__in=ticket_ids).update(last_message_preview="")
    for event in TicketEvent.objects.filter(ticket_id__in=ticket_ids).only("pk", "data"):
        if json_holds(event.data, traces):
            TicketEvent.objects.filter(pk=event.pk).update(data=json_scrub(event.data, traces))
    _webhook_bodies_erase(traces)
    return changed


def _webhook_bodies_erase(traces: Traces) -> int:
    """Outbound webhook deliveries whose body names the contact, its tickets or messages, or
    one of its identifiers: the body (and what the receiver echoed) is replaced. Names and notes
    are left out of the match: another contact's delivery may share them."""
    needles = sorted(traces.ids | traces.identifiers)
    erased = 0
    for start in range(0, len(needles), 200):
        match = Q()
        for needle in needles[start : start + 200]:
            match |= Q(body__contains=needle) | Q(body__contains=json.dumps(needle)[1:-1])
        deliveries = WebhookDelivery.objects.filter(match)
        WebhookAttempt.objects.filter(delivery__in=deliveries).update(response_excerpt="")
        erased += deliveries.update(body=json.dumps(ERASED_ITEM))
    return erased


def _import_files_holding(traces: Traces) -> list[str]:
    """Finished contact imports whose CSV names the contact (their rows were read already)."""
    needles = [trace.encode() for trace in traces.values]
    names = []
    finished = ContactImport.objects.filter(
        status__in=[ContactImport.Status.DONE, ContactImport.Status.FAILED]
    ).exclude(file="")
    for name in finished.values_list("file", flat=True):
        name = str(name)
        if not tenant_media_owns(name) or not default_storage.exists(name):
            continue
        with default_storage.open(name, "rb") as handle:
            content = handle.read()
        if any(needle in content for needle in needles):
            names.append(name)
    return names


def _imports_erase(traces: Traces) -> None:
    for job in ContactImport.objects.filter(
        status__in=[ContactImport.Status.DONE, ContactImport.Status.FAILED]
    ):
        gone = bool(job.file) and not default_storage.exists(str(job.file.name))
        if gone or json_holds(job.errors, traces):
            job.file = "" if gone else job.file
            job.errors = json_scrub(job.errors, traces)
            job.save(update_fields=["file", "errors", "updated_at"])


def _contact_rows_erase(contact: Contact, traces: Traces) -> None:
    identities = list(ContactIdentity.objects.filter(contact=contact))
    for identity in identities:
        InboundEvent.objects.filter(
            connection__provider=identity.provider, item__external_id=identity.external_id
        ).update(item=ERASED_ITEM)
    waiting = InboundEvent.objects.filter(item=ERASED_ITEM).exclude(
        status=InboundEvent.Status.PROCESSED
    )
    waiting.update(status=InboundEvent.Status.PROCESSED, last_error="erased")
    _imports_erase(traces)
    BlockedMessage.objects.filter(contact=contact).delete()
    # Campaign rows keep their state (the campaign's counts) without the text sent or errors.
    CampaignRecipient.objects.filter(contact=contact).update(
        body="", provider_message_id="", error_detail="", updated_at=timezone.now()
    )
    ContactIdentity.objects.filter(contact=contact).delete()
    if contact.phone:
        for flow in Flow.objects.filter(test_contacts__contains=[contact.phone]):
            flow.test_contacts = [n for n in flow.test_contacts if n != contact.phone]
            flow.save(update_fields=["test_contacts", "updated_at"])
    for export in PrivacyRequest.objects.filter(contact_ref=contact.pk).exclude(file=""):
        export.file = ""
        if export.status == PrivacyRequest.Status.DONE:
            export.status = PrivacyRequest.Status.EXPIRED
        export.save(update_fields=["file", "status", "updated_at"])
    contact.tags.clear()
    contact.owners.clear()
    Contact.objects.filter(pk=contact.pk).update(
        name=erased_contact_name(contact.pk),
        phone="",
        email="",
        avatar_url="",
        avatar="",
        avatar_checked_at=None,
        notes="",
        custom_attributes={},
        is_blocked=False,
        updated_at=timezone.now(),
    )


# ----------------------------------------------------------------------------- entry points
def contact_erase(*, contact: Contact, progress: Progress = _no_progress) -> None:
    """Erase everything personal of ``contact`` (see the module's steps); idempotent."""
    traces = contact_traces(contact)
    progress("copies", 5)
    redis_traces_purge(traces)
    progress("files", 10)
    files = _message_files(contact_messages(contact))
    files += [str(contact.avatar.name)] if contact.avatar else []
    for identity in ContactIdentity.objects.filter(contact=contact, provider="webchat"):
        if identity.external_id and "/" not in identity.external_id:
            files += _folder_files(tenant_media_path("webchat", identity.external_id))
    files += [
        str(name)
        for name in PrivacyRequest.objects.filter(contact_ref=contact.pk)
        .exclude(file="")
        .values_list("file", flat=True)
    ]
    files += _import_files_holding(traces)
    _files_delete(files, progress, 10, 80)
    progress("records", 80)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        _messages_blank(contact_messages(locked), traces)
        _contact_rows_erase(locked, traces)
        publish(ContactUpdated(contact_id=contact.pk))  # open pages and integrators follow
    progress("copies", 95)
    redis_traces_purge(traces)


def conversations_erase(*, tickets: QuerySet[Ticket]) -> int:
    """Remove the messages' text and files of ``tickets`` (the retention policy); the tickets,
    their timeline and their contacts stay. Returns how many tickets were reached."""
    ticket_ids = list(tickets.values_list("pk", flat=True))
    total = 0
    for start in range(0, len(ticket_ids), 200):
        chunk = ticket_ids[start : start + 200]
        messages = Message.objects.filter(ticket_id__in=chunk)
        texts: set[str] = set()
        ids = {
            str(p) for p in Ticket.objects.filter(pk__in=chunk).values_list("public_id", flat=True)
        }
        for public_id, body in messages.values_list("public_id", "body"):
            ids.add(str(public_id))
            texts.add(body)
        traces = Traces(values=frozenset(), texts=traces_keep(texts), ids=frozenset(ids))
        redis_traces_purge(traces)
        _files_delete(_message_files(messages), _no_progress, 0, 0)
        with transaction.atomic():
            _messages_blank(Message.objects.filter(ticket_id__in=chunk), traces)
        total += len(chunk)
    return total
