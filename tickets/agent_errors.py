"""Error codes of queue and user (agent) management."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError


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
