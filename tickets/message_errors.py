"""Error codes of messages, media, quick replies and the settings API."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError


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


class MessageAlreadyDeleted(ApplicationError):
    code = "message_already_deleted"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The message was already deleted.")


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
