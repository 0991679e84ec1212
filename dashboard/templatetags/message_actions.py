"""What the panel's menu offers on one message, and what each action will do to the customer's
copy, said before the agent acts. The rules are the services' (``tickets.services.messages``)
so the menu never offers what the service would refuse; the channel's part comes from what its
provider declares (``tickets.channel_capabilities``). No queries: the ticket's connection is
already loaded with the panel."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.utils.translation import gettext as _

from accounts.models import User
from tickets.channel_capabilities import channel_capabilities
from tickets.models import Message, Ticket

register = template.Library()


@dataclass(frozen=True)
class MessageActions:
    edit: bool = False
    delete: bool = False
    forward: bool = False
    reactions: tuple[str, ...] = ()
    edit_note: str = ""  # what an edit does to the customer's copy
    delete_note: str = ""  # what a deletion does to it

    @property
    def any(self) -> bool:
        return self.edit or self.delete or self.forward or bool(self.reactions)


def _on_channel(message: Message) -> bool:
    """The channel has the message: a reply it accepted (not a note, not still queued)."""
    return (
        message.direction == Message.Direction.OUTBOUND
        and not message.is_note
        and message.provider_message_id is not None
    )


@register.simple_tag
def message_actions(
    message: Message, ticket: Ticket, user: User, can: dict[str, bool]
) -> MessageActions:
    if message.deleted_at is not None:
        return MessageActions()
    capabilities = channel_capabilities(ticket.connection.provider)
    own = message.sender_user_id == user.pk
    on_channel = _on_channel(message)
    edit = own and message.direction == Message.Direction.OUTBOUND
    edit = edit and message.kind == Message.Kind.TEXT
    edit_note = delete_note = ""
    if on_channel:
        edit_note = (
            _("The customer sees the edited text too.")
            if capabilities.edits_reach_customer
            else _("Edits here only; the customer keeps seeing the original.")
        )
        delete_note = (
            _("Deletes it for the customer too.")
            if capabilities.deletion_reaches(message.kind, message.sent_at)
            else _("Deletes here only; the customer keeps seeing it.")
        )
    elif message.direction == Message.Direction.INBOUND:
        delete_note = _("Deletes here only; the customer keeps seeing it.")
    reactions: tuple[str, ...] = ()
    if (
        can.get("send_message")
        and message.direction == Message.Direction.INBOUND
        and message.kind != Message.Kind.REACTION
        and message.provider_message_id
    ):
        reactions = capabilities.reaction_emojis
    forward = (
        not message.is_note
        and message.kind != Message.Kind.REACTION
        and bool(message.body or message.media or message.payload)
    )
    return MessageActions(
        edit=edit,
        delete=own or user.is_admin,
        forward=forward,
        reactions=reactions,
        edit_note=edit_note,
        delete_note=delete_note,
    )
