"""Reads for the contact side panel next to a ticket: the contact's earlier tickets and the
people a contact can be given to. Visibility reuses ``tickets_visible_to``."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from contacts.models import Contact
from tickets.models import Ticket
from tickets.selectors import tickets_visible_to

PREVIOUS_TICKETS_SHOWN = 10


def ticket_list_for_contact(
    *, user: User, contact: Contact, exclude: Ticket | None = None
) -> QuerySet[Ticket]:
    """The contact's latest tickets that ``user`` may see, newest first (at most
    ``PREVIOUS_TICKETS_SHOWN``), with queue and assignee joined; served by the
    ``ticket_contact_history_idx`` index."""
    tickets = tickets_visible_to(user).filter(contact=contact)
    if exclude is not None:
        tickets = tickets.exclude(pk=exclude.pk)
    return tickets.select_related("queue", "assignee").order_by("-created_at", "-id")[
        :PREVIOUS_TICKETS_SHOWN
    ]


def user_list_active() -> QuerySet[User]:
    """The tenant's active users by name: who may own a contact."""
    return User.objects.filter(is_active=True).order_by("name", "email")
