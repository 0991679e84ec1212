"""Quick replies: tenant-wide (admins manage them) or personal (their owner manages them), and
rendering their variables for one ticket."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_object, audit_record, changes_diff, snapshot
from tenants.tenancy import current_tenant
from tickets.errors import QuickReplyExists, QuickReplyForbidden
from tickets.media import media_display_name, media_validate
from tickets.message_variables import AGENT_TEXT, Value, variables_check, variables_render
from tickets.models import QuickReply, Ticket


def _check_can_manage(quick_reply: QuickReply, by: User) -> None:
    if quick_reply.owner_id is None:
        if not by.is_admin:
            raise AdminRequired()
    elif quick_reply.owner_id != by.pk:
        raise QuickReplyForbidden()


def _check_unique(quick_reply: QuickReply) -> None:
    duplicates = QuickReply.objects.filter(
        shortcode=quick_reply.shortcode, owner_id=quick_reply.owner_id
    ).exclude(pk=quick_reply.pk)
    if duplicates.exists():
        raise QuickReplyExists(extra={"shortcode": quick_reply.shortcode})


def _save_unique(quick_reply: QuickReply) -> None:
    try:
        with transaction.atomic():
            quick_reply.save()
    except IntegrityError as exc:  # a concurrent create with the same shortcode won
        raise QuickReplyExists(extra={"shortcode": quick_reply.shortcode}) from exc


# What the audit log keeps of a quick reply (the file by its stored name).
_AUDITED = ("shortcode", "body", "owner", "media")


@transaction.atomic
def quick_reply_create(
    *, by: User, shortcode: str, body: str, shared: bool, media: File | None = None
) -> QuickReply:
    """A quick reply; ``shared`` ones (tenant-wide) only by admins. Shortcodes are unique per
    scope: among the tenant-wide ones, and among each agent's personal ones. ``media`` is
    checked like a message's file before anything is stored."""
    if shared and not by.is_admin:
        raise AdminRequired()
    variables_check({"body": body}, allowed=AGENT_TEXT)
    quick_reply = QuickReply(shortcode=shortcode, body=body, owner=None if shared else by)
    _check_unique(quick_reply)
    _attach(quick_reply, media)
    _save_unique(quick_reply)
    audit_record(
        "quick_reply.created",
        actor=by,
        obj=quick_reply,
        changes=changes_diff({}, snapshot(quick_reply, _AUDITED)),
    )
    return quick_reply


def _attach(quick_reply: QuickReply, media: File | None) -> None:
    if media is not None:
        info = media_validate(file=media)
        quick_reply.media.save(info.name, media, save=False)


@transaction.atomic
def quick_reply_update(
    *,
    quick_reply: QuickReply,
    by: User,
    shortcode: str | None = None,
    body: str | None = None,
    media: File | None = None,
    remove_media: bool = False,
) -> QuickReply:
    """Change the shortcode, text and/or file; personal ones by their owner, shared ones by
    admins. A new file replaces the old one, ``remove_media`` drops it (the old file is deleted
    once the change is committed)."""
    _check_can_manage(quick_reply, by)
    variables_check({"body": body}, allowed=AGENT_TEXT)
    before = snapshot(quick_reply, _AUDITED)
    if shortcode is not None:
        quick_reply.shortcode = shortcode
    if body is not None:
        quick_reply.body = body
    _check_unique(quick_reply)
    old = quick_reply.media if (media is not None or remove_media) and quick_reply.media else None
    old_storage, old_name = (old.storage, str(old.name)) if old else (None, "")
    if remove_media and media is None:
        quick_reply.media = None
    _attach(quick_reply, media)
    _save_unique(quick_reply)
    if old_storage is not None:
        transaction.on_commit(lambda: old_storage.delete(old_name))
    diff = changes_diff(before, snapshot(quick_reply, _AUDITED))
    if diff:
        audit_record("quick_reply.updated", actor=by, obj=quick_reply, changes=diff)
    return quick_reply


@transaction.atomic
def quick_reply_delete(*, quick_reply: QuickReply, by: User) -> None:
    """Delete it for real (and its file, once the deletion is committed)."""
    _check_can_manage(quick_reply, by)
    media = quick_reply.media
    target = audit_object(quick_reply)
    quick_reply.delete()
    audit_record("quick_reply.deleted", actor=by, obj=target)
    if media:
        storage, name = media.storage, str(media.name)
        transaction.on_commit(lambda: storage.delete(name))


def quick_reply_file(*, quick_reply: QuickReply) -> File | None:
    """The reply's file, opened, named as the agent uploaded it: what the composer sends with
    the reply's text as caption (``message_send`` stores its own copy on the message)."""
    if not quick_reply.media:
        return None
    with quick_reply.media.open("rb") as stored:
        return ContentFile(stored.read(), name=media_display_name(str(quick_reply.media.name)))


def greeting_for(now: datetime) -> str:
    """ "Good morning" 05:00-11:59, "Good afternoon" 12:00-17:59, "Good evening" otherwise, by
    the tenant's clock and in the tenant's language (the text goes to the customer)."""
    tenant = current_tenant()
    local = timezone.localtime(now, zoneinfo.ZoneInfo(tenant.time_zone))
    with translation.override(tenant.language or None):
        if 5 <= local.hour < 12:
            return gettext("Good morning")
        if 12 <= local.hour < 18:
            return gettext("Good afternoon")
        return gettext("Good evening")


def quick_reply_render(
    *, quick_reply: QuickReply, ticket: Ticket, agent: User, now: datetime | None = None
) -> str:
    """The reply's text for ``ticket``: ``{{contact.name}}``, ``{{contact.first_name}}``,
    ``{{protocol}}``, ``{{agent.name}}`` and ``{{greeting}}`` filled in
    (``tickets.message_variables``; unknown ones were refused at save)."""
    return text_render(quick_reply.body, ticket=ticket, agent=agent, now=now)


def ticket_variables(ticket: Ticket, *, now: datetime | None = None) -> dict[str, Value]:
    """The values of the variables every text sent on ``ticket`` may use
    (``tickets.message_variables``); the greeting is computed only when used."""
    contact_name = ticket.contact.name.strip()
    return {
        "contact.name": contact_name,
        "contact.first_name": contact_name.split()[0] if contact_name else "",
        "protocol": ticket.protocol,
        "greeting": lambda: greeting_for(now or timezone.now()),
    }


def text_render(text: str, *, ticket: Ticket, agent: User, now: datetime | None = None) -> str:
    """Fill the message variables of ``text`` for ``ticket`` (see ``quick_reply_render``)."""
    values = {**ticket_variables(ticket, now=now), "agent.name": agent.name or agent.email}
    return variables_render(text, values)
