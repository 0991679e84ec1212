"""Error codes of the tickets domain."""

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import ApplicationError, NotFound


class TicketNotFound(ApplicationError):
    """Missing, deleted, or not visible to the caller: the same answer, so nothing leaks."""

    code = "ticket_not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("Ticket not found.")


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
