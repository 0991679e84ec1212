"""Users management by tenant admins: create within the plan, change roles and queues,
deactivate and reactivate. Users are never deleted: their tickets, messages and timeline entries
stay attributable."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import AdminRequired, UserLimitReached
from accounts.models import User
from accounts.services import user_create
from audit.services import audit_record, changes_diff, snapshot
from core.event_bus import publish
from core.exceptions import FieldValidationError
from tenants.realtime import CLOSE_FORBIDDEN, USER_SOCKETS_GROUP, sockets_disconnect
from tenants.tenancy import current_tenant, group_name
from tickets.domain_events import AgentAccessChanged
from tickets.errors import AgentHasActiveTickets, LastAdmin, UserEditForbidden
from tickets.models import Queue, Ticket

# What the audit log keeps of a change to a user.
_AUDITED = ("name", "role", "language", "is_active")

ACTIVE_TICKET_STATUSES = (Ticket.Status.PENDING, Ticket.Status.OPEN)


def _require_admin(by: User) -> None:
    if not by.is_admin:
        raise AdminRequired()


def _queues_checked(queue_ids: Iterable[int]) -> list[Queue]:
    wanted = set(queue_ids)
    queues = list(Queue.objects.filter(pk__in=wanted))
    unknown = sorted(wanted - {q.pk for q in queues})
    if unknown:
        raise FieldValidationError(
            {
                "queue_ids": [
                    _("Unknown queues: %(ids)s.") % {"ids": ", ".join(str(pk) for pk in unknown)}
                ]
            }
        )
    return queues


def _ensure_another_active_admin(user: User) -> None:
    """Refuse (409 ``last_admin``) when ``user`` is the tenant's only active admin.

    The active admins are locked, so two admins demoting each other at the same time cannot
    both succeed and leave the tenant with none.
    """
    admins = User.objects.select_for_update().filter(role=User.Role.ADMIN, is_active=True)
    if not [pk for pk in admins.order_by("pk").values_list("pk", flat=True) if pk != user.pk]:
        raise LastAdmin()


@transaction.atomic
def agent_create(
    *,
    email: str,
    name: str,
    password: str | None,
    role: str = User.Role.AGENT,
    queue_ids: Iterable[int] = (),
    by: User,
) -> User:
    """A user of the tenant (``accounts.services.user_create``: plan limit, password rules) who
    works the given queues. Unknown queue ids are a 400 and nothing is stored."""
    _require_admin(by)
    if role not in User.Role.values:
        raise FieldValidationError({"role": [_("Unknown role.")]})
    queues = _queues_checked(queue_ids)
    user = user_create(email=email, name=name, password=password, role=role)
    user.queues.set(queues)
    return user


@transaction.atomic
def agent_update(
    *,
    user: User,
    by: User,
    name: str | None = None,
    role: str | None = None,
    language: str | None = None,
    queue_ids: Iterable[int] | None = None,
) -> User:
    """Change the given fields (``None`` leaves one as it is; ``queue_ids`` replaces the whole
    membership).

    Admins change anyone of the tenant; any other user only their own name and language (a 403
    ``user_edit_forbidden`` otherwise, so nobody promotes themselves). Demoting the last active
    admin is a 409 ``last_admin``.
    """
    if not by.is_admin:
        if user.pk != by.pk:
            raise AdminRequired()
        if role is not None or queue_ids is not None:
            raise UserEditForbidden()
    errors: dict[str, list[str]] = {}
    if role is not None and role not in User.Role.values:
        errors["role"] = [_("Unknown role.")]
    if language is not None and language not in User.Language.values:
        errors["language"] = [_("Unknown language.")]
    if name is not None and not name.strip():
        errors["name"] = [_("This field may not be blank.")]
    if errors:
        raise FieldValidationError(errors)
    queues = _queues_checked(queue_ids) if queue_ids is not None else None
    before = snapshot(user, _AUDITED)
    queues_before = sorted(user.queues.values_list("pk", flat=True))

    access_changed = role is not None and role != user.role
    if role is not None and role != user.role:
        if user.role == User.Role.ADMIN and user.is_active:
            _ensure_another_active_admin(user)
        user.role = role
        # Tenant admins are the superusers of their schema's Django admin, agents are not.
        user.is_superuser = role == User.Role.ADMIN
    if name is not None:
        user.name = name.strip()
    if language is not None:
        user.language = language
    user.save()
    if queues is not None:
        user.queues.set(queues)
        access_changed |= set(queues_before) != {queue.pk for queue in queues}
    if access_changed:
        publish(AgentAccessChanged(user_ids=(user.pk,)))
    after = snapshot(user, _AUDITED)
    if queues is not None:
        before["queues"], after["queues"] = queues_before, sorted(q.pk for q in queues)
    diff = changes_diff(before, after)
    if diff:
        audit_record("user.updated", actor=by, obj=user, changes=diff)
    return user


@transaction.atomic
def agent_deactivate(*, user: User, by: User) -> User:
    """Stop ``user`` from signing in, and close their open websockets once committed.

    Refused with 409 ``agent_has_active_tickets`` (``extra.tickets``) while they are the
    assignee of a pending or open ticket: those are handed over first, so no customer waits on
    someone who left. The last active admin cannot be deactivated (409 ``last_admin``).
    Queue memberships are kept (inactive users are skipped wherever agents are picked or
    listed), so a reactivated user comes back to the same queues.
    """
    _require_admin(by)
    # The row lock also waits for a ticket being assigned to them right now (its foreign key
    # check holds a share lock on this row), so the count below sees that ticket.
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        return locked
    active = Ticket.objects.filter(assignee_id=user.pk, status__in=ACTIVE_TICKET_STATUSES).count()
    if active:
        raise AgentHasActiveTickets(extra={"tickets": active})
    if locked.role == User.Role.ADMIN:
        _ensure_another_active_admin(locked)
    locked.is_active = False
    locked.save(update_fields=["is_active", "updated_at"])
    audit_record("user.deactivated", actor=by, obj=locked)
    sockets = group_name(USER_SOCKETS_GROUP, locked.pk)  # computed here, inside the tenant
    transaction.on_commit(lambda: sockets_disconnect(sockets, CLOSE_FORBIDDEN))
    user.is_active = False
    return locked


@transaction.atomic
def agent_reactivate(*, user: User, by: User) -> User:
    """Let a deactivated user sign in again, within the plan's ``max_users`` active users
    (409 ``user_limit_reached``)."""
    _require_admin(by)
    tenant = current_tenant()
    # Same lock as user_create: two admins filling the last seat at once cannot both win.
    active = User.objects.select_for_update().filter(is_active=True)
    active_ids = list(active.values_list("pk", flat=True))
    if user.pk in active_ids:
        return user
    if len(active_ids) >= tenant.max_users:
        raise UserLimitReached(extra={"max_users": tenant.max_users})
    user.is_active = True
    user.save(update_fields=["is_active", "updated_at"])
    audit_record("user.reactivated", actor=by, obj=user)
    return user
