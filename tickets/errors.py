"""Error codes of the tickets domain: tickets and their transitions, contact merges, messages,
media and quick replies, queues and the management of users (agents)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError, NotFound

# --------------------------------------------------------------------------- tickets


class TicketNotFound(ApplicationError):
    """Missing, deleted, or not visible to the caller: the same answer, so nothing leaks."""

    code = "ticket_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Ticket not found.")


class BulkInvalid(ApplicationError):
    """A selection the inbox's bulk actions cannot run: unknown action, none or too many
    tickets, or a transfer or tag without its target (``extra["field"]`` names the input)."""

    code = "bulk_invalid"
    http_status = status.HTTP_400_BAD_REQUEST


class InvalidTicketTransition(ApplicationError):
    code = "invalid_ticket_transition"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The ticket cannot change to that state now.")


class TicketAlreadyAccepted(ApplicationError):
    code = "ticket_already_accepted"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Another agent accepted this ticket first.")


class TicketActionForbidden(ApplicationError):
    code = "ticket_action_forbidden"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("You may not do this on this ticket.")


class ActiveTicketExists(ApplicationError):
    code = "active_ticket_exists"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This contact already has an active ticket on this channel.")


class ConversationCannotStart(ApplicationError):
    """The connection cannot carry an agent's first message to this contact now; the message
    says why (the provider's rule)."""

    code = "conversation_cannot_start"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("This channel cannot start a conversation with this contact now.")


class NothingToTransfer(ApplicationError):
    code = "nothing_to_transfer"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("Choose a different queue or agent to transfer the ticket to.")


class AgentNotInQueue(ApplicationError):
    code = "agent_not_in_queue"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("The agent is not a member of that queue.")


class AgentInactive(ApplicationError):
    code = "agent_inactive"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("The agent is not active.")


class QueueInactive(ApplicationError):
    code = "queue_inactive"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("The queue is not active.")


class ConnectionInactive(ApplicationError):
    code = "connection_inactive"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("The channel connection is not active.")


class ContactBlocked(ApplicationError):
    code = "contact_blocked"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("The contact is blocked.")


class TicketNotClosed(ApplicationError):
    code = "ticket_not_closed"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Close the ticket before deleting it.")


# A referenced queue, agent, connection or contact that does not exist here: the shared 404
# ``not_found`` error, under the name the dashboard's connection pages catch.
NotFoundInTenant = NotFound


class MergeSameContact(ApplicationError):
    code = "merge_same_contact"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("A contact cannot be merged into itself.")


class MergeConflictActiveTickets(ApplicationError):
    code = "merge_conflict_active_tickets"
    http_status = status.HTTP_409_CONFLICT
    default_message = _(
        "Both contacts have an active ticket on the same channel; close one of them first."
    )


# ------------------------------------------------------------------- messages, media, quick replies


class MessageNotFound(ApplicationError):
    """Missing, or on a ticket the caller may not see: the same answer, so nothing leaks."""

    code = "message_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Message not found.")


class TicketNotOpen(ApplicationError):
    code = "ticket_not_open"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Messages can only be sent on open tickets.")


class TicketNotAssignedToYou(ApplicationError):
    code = "ticket_not_assigned_to_you"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("Only the agent the ticket is assigned to may send messages on it.")


class MessageEmpty(ApplicationError):
    code = "message_empty"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("A message needs a text or a file.")


class MessageTooLong(ApplicationError):
    code = "message_too_long"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The text is too long.")


class QuotedMessageInvalid(ApplicationError):
    code = "quoted_message_invalid"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The quoted message does not belong to this ticket.")


class ScheduledAtInPast(ApplicationError):
    code = "scheduled_at_in_past"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _("The scheduled time must be in the future.")


class MessageAlreadyDispatched(ApplicationError):
    code = "already_dispatched"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The message was already handed over for sending.")


class MessageNotScheduled(ApplicationError):
    code = "message_not_scheduled"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The message is not scheduled.")


class MessageNotEditable(ApplicationError):
    code = "message_not_editable"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Only your own text messages that are not deleted can be edited.")


class MessageNotForwardable(ApplicationError):
    code = "message_not_forwardable"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Internal notes and deleted messages cannot be forwarded.")


class MessageNotReactable(ApplicationError):
    code = "message_not_reactable"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Only a customer's message the channel delivered can get a reaction.")


class ReactionNotSupported(ApplicationError):
    code = "reaction_not_supported"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("This channel does not offer this reaction.")


class MessageAlreadyDeleted(ApplicationError):
    code = "message_already_deleted"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The message was already deleted.")


class MessageNotRetryable(ApplicationError):
    code = "message_not_retryable"
    http_status = status.HTTP_409_CONFLICT
    default_message = _(
        "Only a reply that failed before the channel accepted it can be sent again."
    )


class MessageActionForbidden(ApplicationError):
    code = "message_action_forbidden"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("Only the author or an administrator may do this.")


class MediaTooLarge(ApplicationError):
    code = "media_too_large"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The file is too large.")


class MediaTypeNotAllowed(ApplicationError):
    code = "media_type_not_allowed"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("This type of file cannot be sent.")


class VoiceNoteUnreadable(ApplicationError):
    code = "voice_note_unreadable"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("This recording could not be read as a voice note. Record it again.")


class VoiceNoteNotAudio(ApplicationError):
    code = "voice_note_not_audio"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("A voice note must be an audio recording.")


class VoiceNoteWithText(ApplicationError):
    code = "voice_note_with_text"
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("A voice note goes without text: send the text as its own message.")


class MediaNotFound(ApplicationError):
    code = "media_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("File not found.")


class QuickReplyNotFound(ApplicationError):
    code = "quick_reply_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Quick reply not found.")


class QuickReplyExists(ApplicationError):
    code = "quick_reply_exists"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("A quick reply with this shortcode already exists.")


class QuickReplyForbidden(ApplicationError):
    code = "quick_reply_forbidden"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("Only its owner may change a personal quick reply.")


# --------------------------------------------------------------------------- queues and users


class QueueExists(ApplicationError):
    code = "queue_exists"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("A queue with this name already exists.")


class QueueNotFound(ApplicationError):
    code = "queue_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Queue not found.")


class QueueHasTickets(ApplicationError):
    """Deleting a queue that still has tickets needs a queue to move them to."""

    code = "queue_has_tickets"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The queue has tickets: choose another queue to move them to.")


class QueueInUse(ApplicationError):
    """Something other than tickets still protects the queue from deletion."""

    code = "queue_in_use"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The queue is still in use and cannot be deleted; deactivate it instead.")


class UserNotFound(ApplicationError):
    code = "user_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("User not found.")


class LastAdmin(ApplicationError):
    """The change would leave the tenant without an active administrator."""

    code = "last_admin"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The account needs at least one active administrator.")


class AgentHasActiveTickets(ApplicationError):
    """Deactivation waits until the agent's pending and open tickets are handed over."""

    code = "agent_has_active_tickets"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Hand over this user's open and pending tickets before deactivating them.")


class UserEditForbidden(ApplicationError):
    code = "user_edit_forbidden"
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("You may only change your own name and language.")


# --------------------------------------------------------------------------- saved inbox filters


class SavedInboxFilterNotFound(NotFound):
    """Missing or another agent's: the same answer."""

    code = "saved_inbox_filter_not_found"
    default_message = _("Saved filter not found.")


class SavedInboxFiltersFull(ApplicationError):
    code = "saved_inbox_filters_full"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("You have too many saved filters: delete one first.")


class FreeTextWindowClosed(ApplicationError):
    """The channel takes only an approved message template now (WhatsApp outside the 24-hour
    window): the message says why; send a template instead."""

    code = "free_text_window_closed"
    http_status = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = _(
        "More than 24 hours since the customer last wrote: only a message template can be sent."
    )
