"""New conversations started by an agent ("demanda ativa"): whom each connection can reach,
and the start itself.

A provider declares (``connections.providers.base.ConnectionProvider``) whom an agent may write
to first and how long after the customer's last message it accepts free-form text. A
connection that cannot reach the contact, or that would only take a template when the start
is free text, is offered with the reason instead of a send the provider would refuse (a
provider that sends templates takes one outside its window: ``template=``). Starting
opens a ticket assigned to the agent and sends the first message through the outbound
pipeline; when the contact already has an active ticket on the connection, nothing is created
and 409 ``active_ticket_exists`` names it, for the caller to go there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from connections.models import ChannelConnection
from connections.providers.registry import UnknownProvider, provider_for
from contacts.models import Contact
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.selectors import contacts_visible_to
from contacts.services import contact_create
from core.exceptions import FieldValidationError
from tickets.errors import ConnectionInactive, ContactBlocked, ConversationCannotStart
from tickets.models import Message, Ticket
from tickets.services.messages import message_send
from tickets.services.tickets import ticket_create_outbound


@dataclass(frozen=True)
class ConversationOption:
    """One connection as a way to start a conversation with a contact: ``reason`` says why it
    cannot (empty when it can); ``active_ticket`` is the contact's ticket already open on it."""

    connection: ChannelConnection
    reason: str = ""
    active_ticket: Ticket | None = None

    @property
    def available(self) -> bool:
        return not self.reason and self.active_ticket is None


def _reason(
    connection: ChannelConnection,
    contact: Contact | None,
    wrote_at: datetime | None,
    *,
    template: bool = False,
) -> str:
    """Why ``connection`` cannot carry a first message to ``contact`` now ("" when it can);
    ``wrote_at`` is the contact's last message on it. With ``template`` the message is an
    approved template, which a provider that sends them takes outside its window too."""
    if contact is not None and contact.is_blocked:
        return str(ContactBlocked.default_message)
    try:
        provider = provider_for(connection.provider)
    except UnknownProvider:
        return _("This channel is not installed here.")
    reach = provider.conversation_reach
    if not reach or (reach == "after_customer" and wrote_at is None):
        return str(provider.conversation_refusal)
    # No contact yet: the phone number typed for the start is the one written to.
    has_phone = bool(contact.phone) if contact is not None else template
    if reach == "phone" and wrote_at is None and not has_phone:
        return _("The contact has no phone number.")
    window = provider.free_text_window
    if template and provider.sends_templates:
        return ""
    if window is not None and (wrote_at is None or timezone.now() - wrote_at >= window):
        return str(provider.window_refusal)
    return ""


def conversation_options(
    *,
    contact: Contact | None,
    connections: Sequence[ChannelConnection] | None = None,
    template: bool = False,
) -> list[ConversationOption]:
    """Every active connection (or ``connections``) as a way to start a conversation with
    ``contact`` (None: a phone number no contact has yet), by name. Two queries with a contact
    (its last message per connection, its active tickets), none without."""
    if connections is None:
        connections = list(ChannelConnection.objects.filter(is_active=True).order_by("name", "pk"))
    last_wrote: dict[int, datetime] = {}
    active: dict[int, Ticket] = {}
    if contact is not None and contact.pk is not None:
        rows = (
            Message.objects.filter(ticket__contact=contact, direction=Message.Direction.INBOUND)
            .values("connection_id")
            .annotate(last=Max("created_at"))
        )
        last_wrote = {row["connection_id"]: row["last"] for row in rows}
        tickets = Ticket.objects.filter(contact=contact, deleted_at__isnull=True).exclude(
            status=Ticket.Status.CLOSED
        )
        active = {ticket.connection_id: ticket for ticket in tickets}
    return [
        ConversationOption(
            connection=connection,
            reason=_reason(connection, contact, last_wrote.get(connection.pk), template=template),
            active_ticket=active.get(connection.pk),
        )
        for connection in connections
    ]


def conversation_contact_for_phone(*, user: User, phone: str) -> Contact | None:
    """The contact ``user`` may see whose number is ``phone`` (normalised to E.164 in the
    tenant's region; 400 ``invalid_phone`` when it is not a number), or None."""
    normalized = phone_normalize(phone, region=tenant_phone_region())
    return contacts_visible_to(user).filter(phone=normalized).first()


@transaction.atomic
def conversation_start(
    *,
    by: User,
    connection: ChannelConnection,
    body: str,
    contact: Contact | None = None,
    phone: str = "",
    template: dict[str, Any] | None = None,
) -> Ticket:
    """Start a conversation with ``contact`` (or the contact of ``phone``, created when the
    number is new) on ``connection``: an open ticket assigned to ``by`` with ``body`` as its
    first message, queued for the outbound pipeline. 409 ``active_ticket_exists`` (with the
    ticket's id) when the contact already has one there; 422 ``conversation_cannot_start``
    with the reason when the connection cannot reach them now. Nothing is stored on a refusal.
    ``template``: an approved message template object (``body`` is then the text the ticket
    shows), which a provider that sends templates takes outside its free-text window.
    """
    if not body.strip():
        raise FieldValidationError({"body": [_("Write the first message.")]})
    if not connection.is_active:
        raise ConnectionInactive()
    if contact is None:
        if not phone.strip():
            raise FieldValidationError({"phone": [_("Choose a contact or type a phone number.")]})
        contact = conversation_contact_for_phone(user=by, phone=phone)
    option = conversation_options(
        contact=contact, connections=[connection], template=template is not None
    )[0]
    if option.reason:
        raise ConversationCannotStart(message=option.reason)
    if contact is None:
        contact = contact_create(name="", phone=phone)
    ticket = ticket_create_outbound(contact=contact, connection=connection, by=by)
    message_send(ticket=ticket, by=by, body=body, template=template)
    return ticket
