"""Reads of tickets. The visibility rule lives here once and is used by every surface
(API, dashboard, websocket, search, export)."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    Exists,
    F,
    Field,
    IntegerField,
    Lookup,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    UUIDField,
    Value,
    prefetch_related_objects,
)
from django.db.models.expressions import ExpressionList, RawSQL
from django.db.models.functions import JSONObject

from accounts.models import User
from contacts.models import Contact, Tag
from core.db.compiled import (
    CompiledInstances,
    CompiledValues,
    Slot,
    instances_compiled,
    values_compiled,
)
from tenants.tenancy import current_tenant
from tenants.tenant_settings import tenant_setting
from tickets.errors import TicketNotFound
from tickets.models import Queue, Ticket, TicketEvent

_NON_DIGITS = re.compile(r"\D")


class _Current:
    """Marker: use the ticket's own value."""


CURRENT = _Current()
_MIN_PHONE_DIGITS = 3


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    """Tickets ``user`` may see: admins all; agents those of their queues, those assigned to
    them and those of contacts in their wallet, minus what the tenant's settings hide."""
    return _visible_tickets(user.pk, _hidden_for(user))


def _hidden_for(user: User) -> tuple[bool, bool, bool] | None:
    """None for an admin (every ticket); for an agent, the tenant's three settings that narrow
    the rule: hide tickets without a queue, assigned to others, of other wallets."""
    if user.is_admin:
        return None
    return (
        bool(tenant_setting("hide_tickets_without_queue")),
        bool(tenant_setting("hide_tickets_assigned_to_others")),
        bool(tenant_setting("hide_tickets_of_other_wallets")),
    )


def _visible_tickets(user_id: Any, hidden: tuple[bool, bool, bool] | None) -> QuerySet[Ticket]:
    """The visibility rule for the user ``user_id`` (a primary key, or the inbox's slot for
    one: ``ticket_inbox_page``), ``hidden`` as ``_hidden_for`` answers it."""
    tickets = Ticket.objects.filter(deleted_at__isnull=True)
    if hidden is None:
        return tickets
    without_queue, assigned_to_others, other_wallets = hidden
    in_my_queue = Exists(
        Queue.members.through.objects.filter(queue_id=OuterRef("queue_id"), user_id=user_id)
    )
    owners = Contact.owners.through.objects.filter(contact_id=OuterRef("contact_id"))
    in_my_wallet = Exists(owners.filter(user_id=user_id))
    rule = Q(in_my_queue) | Q(assignee_id=user_id) | Q(in_my_wallet)
    if not without_queue:
        rule |= Q(queue__isnull=True)
    tickets = tickets.filter(rule)
    if assigned_to_others:
        tickets = tickets.filter(Q(assignee__isnull=True) | Q(assignee_id=user_id))
    if other_wallets:
        tickets = tickets.filter(~Exists(owners) | in_my_wallet)
    return tickets


@dataclass(frozen=True)
class TicketAudience:
    """Who may see a ticket, in the terms sockets subscribe with: admins always; the agents of
    ``queue_ids``; the agents in ``user_ids``; every agent when ``all_agents``.

    It is ``tickets_visible_to`` turned around (one ticket → its viewers instead of one viewer →
    tickets); tests hold the two equal for every combination of settings.
    """

    queue_ids: frozenset[int] = frozenset()
    user_ids: frozenset[int] = frozenset()
    all_agents: bool = False


NOBODY_BUT_ADMINS = TicketAudience()


def audience_agent_ids(audience: TicketAudience) -> set[int]:
    """The active non-admin users an audience reaches (admins see every ticket anyway)."""
    agents = User.objects.filter(is_active=True).exclude(role=User.Role.ADMIN)
    if not audience.all_agents:
        in_queue = Queue.members.through.objects.filter(
            queue_id__in=audience.queue_ids, user_id=OuterRef("pk")
        )
        agents = agents.filter(Q(pk__in=audience.user_ids) | Exists(in_queue))
    return set(agents.values_list("pk", flat=True))


def ticket_get_for_event(ticket_id: int) -> Ticket | None:
    """A ticket as events show it (an inbox row), with its relations loaded; None if gone."""
    return (
        Ticket.objects.select_related("contact", "connection", "queue", "assignee")
        .prefetch_related(_contact_tags())
        .filter(pk=ticket_id)
        .first()
    )


def ticket_audience(
    ticket: Ticket,
    *,
    queue_id: int | None | _Current = CURRENT,
    assignee_id: int | None | _Current = CURRENT,
    ignore_deletion: bool = False,
) -> TicketAudience:
    """The audience of ``ticket``; ``queue_id``/``assignee_id`` ask it for another state of the
    ticket (the one before a transfer, say), ``ignore_deletion`` for the one before a deletion.
    A soft-deleted ticket is in nobody's inbox (admins restore it from elsewhere)."""
    if ticket.deleted_at is not None and not ignore_deletion:
        return NOBODY_BUT_ADMINS
    queue = ticket.queue_id if isinstance(queue_id, _Current) else queue_id
    assignee = ticket.assignee_id if isinstance(assignee_id, _Current) else assignee_id
    owners = frozenset(
        Contact.owners.through.objects.filter(contact_id=ticket.contact_id).values_list(
            "user_id", flat=True
        )
    )
    return _audience(queue, assignee, owners)


def _audience(queue: int | None, assignee: int | None, owners: frozenset[int]) -> TicketAudience:
    """The audience of a ticket in ``queue``, assigned to ``assignee``, whose contact's wallet
    owners are ``owners`` (no queries: the tenant's settings are cached)."""
    restricted: frozenset[int] | None = None
    if assignee is not None and tenant_setting("hide_tickets_assigned_to_others"):
        restricted = frozenset({assignee})
    if owners and tenant_setting("hide_tickets_of_other_wallets"):
        restricted = owners if restricted is None else restricted & owners
    if restricted is not None:
        # Every restricted viewer also meets the base rule (assignee or wallet owner).
        return TicketAudience(user_ids=restricted)
    users = set(owners)
    if assignee is not None:
        users.add(assignee)
    return TicketAudience(
        queue_ids=frozenset() if queue is None else frozenset({queue}),
        user_ids=frozenset(users),
        all_agents=queue is None and not tenant_setting("hide_tickets_without_queue"),
    )


def ticket_get_for_agent(*, user: User, public_id: UUID | str) -> Ticket:
    """One ticket the user may see, with its contact, connection, queue and assignee;
    ``TicketNotFound`` both when missing and when not visible."""
    return _ticket_read(_compiled_ticket(_hidden_for(user), detail=False), user, public_id)


# An admin's ticket detail: soft-deleted tickets too (``ticket_detail_for_agent``).
_EVERY_TICKET = "every ticket"


def _ticket_read(statement: CompiledInstances, user: User, public_id: UUID | str) -> Ticket:
    """The ticket ``statement`` (``_compiled_ticket``) reads for ``user`` and ``public_id``;
    ``TicketNotFound`` for no row and for a malformed id alike, as ``get_visible_or_404``."""
    try:
        tickets = statement.instances({"user": user.pk, "public_id": public_id})
    except (ValueError, ValidationError) as exc:
        raise TicketNotFound() from exc
    if not tickets:
        raise TicketNotFound()
    ticket: Ticket = tickets[0]
    return ticket


@lru_cache(maxsize=32)
def _compiled_ticket(
    hidden: tuple[bool, bool, bool] | str | None, *, detail: bool
) -> CompiledInstances:
    """One ticket by its public id under the visibility rule ``hidden`` (``_hidden_for``'s
    answer, or ``_EVERY_TICKET``), with the relations a single ticket's views read, compiled
    with the user and the public id as slots. Building and compiling this queryset was about
    half of a ticket detail's CPU (docs/performance.md, "The ticket read compiled")."""
    if isinstance(hidden, str):  # _EVERY_TICKET
        tickets = Ticket.objects.all()
    else:
        tickets = _visible_tickets(Slot("user", IntegerField()), hidden)
    related = ("contact", "connection", "queue", "assignee", *(("closed_by",) if detail else ()))
    # As ``QuerySet.get``: no ordering; public ids are unique, so one row at most.
    return instances_compiled(
        tickets.select_related(*related)
        .filter(public_id=Slot("public_id", UUIDField()))
        .order_by()[:1]
    )


def ticket_by_public_id(public_id: UUID | str) -> Ticket | None:
    """Any ticket by its public id, visible to the caller or not; only for clean-ups that
    concern the caller alone (ending one's own viewing mark on a ticket transferred away)."""
    try:
        return Ticket.objects.filter(public_id=public_id).first()
    except ValidationError:  # not a UUID
        return None


def ticket_active_for(*, contact: Contact, connection_id: int) -> Ticket | None:
    """The contact's not-closed ticket on that connection, if any (there is at most one)."""
    return (
        Ticket.objects.filter(contact=contact, connection_id=connection_id)
        .exclude(status=Ticket.Status.CLOSED)
        .first()
    )


def _local_day_start(day: date) -> datetime:
    tz = zoneinfo.ZoneInfo(current_tenant().time_zone)
    return datetime.combine(day, time.min, tzinfo=tz)


def ticket_list_for_inbox(
    *,
    user: User,
    status: Sequence[str] = (),
    scope: str = "all",
    queue_ids: Sequence[int] = (),
    tag_ids: Sequence[int] = (),
    connection_ids: Sequence[UUID | str] = (),
    assignee: str | int | None = None,
    unread_only: bool = False,
    created_from: date | None = None,
    created_to: date | None = None,
    search: str = "",
) -> QuerySet[Ticket]:
    """The inbox: tickets ``user`` may see, filtered, newest activity first.

    ``scope``: ``mine`` (assigned to me), ``queues`` (in my queues) or ``all`` (everything I
    may see: the whole tenant for admins). ``assignee``: ``"me"``, ``"unassigned"`` or an
    agent id. ``connection_ids`` are connection public ids; dates are the tenant's local days,
    both inclusive. ``search`` matches the contact's name (also with typos, via trigrams),
    phone digits, the protocol, and message text (PostgreSQL full-text search, Portuguese, on
    each ticket's search document). Related rows are joined or prefetched, so evaluating a
    page costs a fixed number of queries.
    """
    search = search.strip()
    tickets = _inbox_tickets(
        user_id=user.pk,
        hidden=_hidden_for(user),
        scope=scope,
        status=status,
        queue_ids=queue_ids,
        tag_ids=tag_ids,
        connection_ids=connection_ids,
        assignee=assignee,
        unread_only=unread_only,
        created_from=None if created_from is None else _local_day_start(created_from),
        created_before=None
        if created_to is None
        else _local_day_start(created_to + timedelta(days=1)),
        search=_search_terms(search) if search else None,
    )
    return tickets.select_related("contact", "connection", "queue", "assignee").prefetch_related(
        _contact_tags()
    )


def _inbox_tickets(
    *,
    user_id: Any,
    hidden: tuple[bool, bool, bool] | None,
    scope: str,
    status: Sequence[Any],
    queue_ids: Sequence[Any],
    tag_ids: Sequence[Any],
    connection_ids: Sequence[Any],
    assignee: Any,
    unread_only: bool,
    created_from: Any,
    created_before: Any,
    search: _SearchTerms | None,
) -> QuerySet[Ticket]:
    """``ticket_list_for_inbox``'s filters. Every value may be a ``Slot`` (``assignee`` a
    ``Slot`` for an agent id), which ``ticket_inbox_page`` binds on each request."""
    tickets = _visible_tickets(user_id, hidden)
    if scope == "mine":
        tickets = tickets.filter(assignee_id=user_id)
    elif scope == "queues":
        mine = Queue.members.through.objects.filter(queue_id=OuterRef("queue_id"), user_id=user_id)
        tickets = tickets.filter(Exists(mine))
    if status:
        tickets = tickets.filter(status__in=status)
    if queue_ids:
        tickets = tickets.filter(queue_id__in=_in_list(queue_ids))
    if tag_ids:
        # The tagged contacts as an array the ticket's ``contact_id`` is compared with, as the
        # search's contacts are: an ``EXISTS`` per ticket made PostgreSQL join every contact
        # (a sequential scan of the contacts) to the tag's links before it looked at a ticket,
        # and plan that join on each request (bench/inbox.py, docs/performance.md).
        tagged = (
            Contact.tags.through.objects.filter(tag_id__in=_in_list(tag_ids))
            .order_by()
            .values("contact_id")
        )
        tickets = tickets.filter(EqualsAny(F("contact_id"), ArraySubquery(tagged)))
    if connection_ids:
        tickets = tickets.filter(connection__public_id__in=connection_ids)
    if assignee == "me":
        tickets = tickets.filter(assignee_id=user_id)
    elif assignee == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee is not None:
        tickets = tickets.filter(
            assignee_id=assignee if isinstance(assignee, Slot) else int(assignee)
        )
    if unread_only:
        tickets = tickets.filter(unread_count__gt=0)
    if created_from is not None:
        tickets = tickets.filter(created_at__gte=created_from)
    if created_before is not None:
        tickets = tickets.filter(created_at__lt=created_before)
    if search is not None:
        tickets = tickets.filter(_search_rule(search))
    return tickets


# ``ticket_event_values`` keys the inbox row needs (``ticket_row_from_values``); the audience's
# (wallet owners, deletion, ids) are left out of the list.
_INBOX_ROW_KEYS = (
    "t_public_id",
    "t_protocol",
    "t_status",
    "t_contact_public_id",
    "t_contact_name",
    "t_contact_phone",
    "t_connection_public_id",
    "t_connection_name",
    "t_connection_provider",
    "t_queue_id",
    "t_queue_name",
    "t_queue_color",
    "t_assignee_id",
    "t_assignee_name",
    "t_assignee_email",
    "t_unread_count",
    "t_last_message_preview",
    "t_last_message_at",
    "t_answered",
    "t_is_outbound",
    "t_created_at",
    "t_tags",
)


def ticket_inbox_rows(tickets: QuerySet[Ticket]) -> QuerySet[Any]:
    """``tickets`` (as ``ticket_list_for_inbox`` filters them) read as plain values, one query
    with the contact's tags as an array: the ``t_…`` keys ``ticket_row_from_values`` renders,
    plus the inbox order's fields (``last_message_at``, ``id``) for keyset pagination. No model
    instances are built: at a page of 40 they cost more than the SQL (bench/profile_request.py).
    """
    wanted = ticket_event_values()
    expressions = {key: wanted[key] for key in _INBOX_ROW_KEYS}
    return (
        tickets.select_related(None)
        .prefetch_related(None)
        .values("id", "last_message_at", **expressions)
    )


_INBOX_ORDER = ("-last_message_at", "-id")
_INBOX_ORDER_REVERSED = ("last_message_at", "id")


def ticket_inbox_page(
    *,
    user: User,
    status: Sequence[str] = (),
    scope: str = "all",
    queue_ids: Sequence[int] = (),
    tag_ids: Sequence[int] = (),
    connection_ids: Sequence[UUID | str] = (),
    assignee: str | int | None = None,
    unread_only: bool = False,
    created_from: date | None = None,
    created_to: date | None = None,
    search: str = "",
    reverse: bool = False,
    after: tuple[str, Any] | None = None,
    offset: int = 0,
    limit: int = 41,
) -> list[dict[str, Any]]:
    """Rows ``[offset:offset + limit]`` of ``ticket_inbox_rows(ticket_list_for_inbox(…))`` in
    the inbox order (``reverse``: the opposite one), past ``after`` (``("lt" | "gt",
    last_message_at)``): the keyset paginator's page, with the same SQL and the same values.

    Building that queryset and compiling it cost more than running it (~5 ms of Python per
    page, bench/profile_request.py), and only its values change from one request to the next.
    So each process compiles each *shape* of the query once (the filters present, list lengths,
    the user's role and the tenant's visibility settings, the page's direction and bounds) with
    a ``Slot`` wherever a value goes (``core.db.compiled``), and binds the request's values into
    the kept SQL. The kept SQL and its constant parameters (JSON keys, ``unread_count > 0``) hold
    no value of any user or tenant (tables are found through the tenant's ``search_path``), so
    one shape serves every tenant (``tickets/tests/test_inbox_page.py``).
    """
    hidden = _hidden_for(user)
    search = search.strip()
    terms = _search_terms(search) if search else None
    assignee_kind = assignee if assignee in (None, "me", "unassigned") else "id"
    shape = (
        hidden,
        scope,
        len(status),
        len(queue_ids),
        len(tag_ids),
        len(connection_ids),
        assignee_kind,
        unread_only,
        created_from is not None,
        created_to is not None,
        None if terms is None else terms.phone_pattern is not None,
        reverse,
        None if after is None else after[0],
        offset,
        limit,
    )
    values: dict[Hashable, Any] = {"user": user.pk, "assignee": assignee}
    values.update({("status", i): value for i, value in enumerate(status)})
    values.update({("queue", i): value for i, value in enumerate(queue_ids)})
    values.update({("tag", i): value for i, value in enumerate(tag_ids)})
    values.update({("connection", i): value for i, value in enumerate(connection_ids)})
    if created_from is not None:
        values["created_from"] = _local_day_start(created_from)
    if created_to is not None:
        values["created_before"] = _local_day_start(created_to + timedelta(days=1))
    if terms is not None:
        values.update(
            name_pattern=terms.name_pattern,
            phone_pattern=terms.phone_pattern,
            protocol=terms.protocol,
            text=terms.text,
        )
    if after is not None:
        values["after"] = after[1]
    return _compiled_page(shape).rows(values)


@lru_cache(maxsize=512)
def _compiled_page(shape: tuple[Any, ...]) -> CompiledValues:
    """The inbox page's query for ``shape`` (``ticket_inbox_page``), compiled with slots."""
    (
        hidden,
        scope,
        statuses,
        queues,
        tags,
        connections,
        assignee_kind,
        unread_only,
        has_created_from,
        has_created_to,
        search_phone,
        reverse,
        after_lookup,
        offset,
        limit,
    ) = shape
    integer, text, moment = IntegerField(), CharField(), DateTimeField()
    search = None
    if search_phone is not None:
        search = _SearchTerms(
            name_pattern=Slot("name_pattern", text),
            phone_pattern=Slot("phone_pattern", text) if search_phone else None,
            protocol=Slot("protocol", text),
            text=Slot("text", text),
        )
    tickets = _inbox_tickets(
        user_id=Slot("user", integer),
        hidden=hidden,
        scope=scope,
        status=[Slot(("status", i), text) for i in range(statuses)],
        queue_ids=[Slot(("queue", i), integer) for i in range(queues)],
        tag_ids=[Slot(("tag", i), integer) for i in range(tags)],
        connection_ids=[Slot(("connection", i), UUIDField()) for i in range(connections)],
        assignee=Slot("assignee", integer) if assignee_kind == "id" else assignee_kind,
        unread_only=unread_only,
        created_from=Slot("created_from", moment) if has_created_from else None,
        created_before=Slot("created_before", moment) if has_created_to else None,
        search=search,
    )
    rows = ticket_inbox_rows(tickets).order_by(
        *(_INBOX_ORDER_REVERSED if reverse else _INBOX_ORDER)
    )
    if after_lookup is not None:
        field = Ticket._meta.get_field("last_message_at")
        rows = rows.filter(**{f"last_message_at__{after_lookup}": Slot("after", field)})
    return values_compiled(rows[offset : offset + limit])


def _contact_tags() -> Prefetch:
    return Prefetch("contact__tags", queryset=Tag.objects.order_by("name", "id"))


class _ILikeContains(Lookup):
    """``<field> ILIKE '%<text>%'`` with the text's wildcards escaped."""

    lookup_name = "ilike_contains"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs}::text ILIKE {rhs}", (*lhs_params, *rhs_params)


def _like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards and escape character taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _in_list(values: Sequence[Any]) -> Any:
    """An ``__in`` list of a foreign key: ``Slot``s as one expression (a relation's ``__in``
    would prepare each of them as a key), plain values as they are."""
    if values and isinstance(values[0], Slot):
        return ExpressionList(*values, output_field=IntegerField())
    return values


@dataclass(frozen=True)
class _SearchTerms:
    """What ``_search_rule`` compares, derived from the searched text (or ``Slot``s for them):
    the ILIKE pattern of names, the phone digits' LIKE pattern (None below three digits), the
    protocol and the text itself."""

    name_pattern: Any
    phone_pattern: Any
    protocol: Any
    text: Any


def _search_terms(search: str) -> _SearchTerms:
    digits = _NON_DIGITS.sub("", search)
    return _SearchTerms(
        name_pattern=_like_pattern(search),
        phone_pattern=f"%{digits}%" if len(digits) >= _MIN_PHONE_DIGITS else None,
        protocol=search.upper(),
        text=search,
    )


def _search_rule(search: _SearchTerms) -> Q:
    """Tickets whose contact name contains the text, whose contact phone contains its digits,
    whose protocol is the text, or that have a message matching it (full-text, Portuguese).

    Each branch is a test of the ticket row that an index also serves: the contacts whose
    name or phone matches are collected first (trigram GIN on names) and the ticket's
    ``contact_id`` is compared with them, the protocol is compared on the row (its unique
    index), the message text on the row's search document (its GIN index). A rare text lets
    PostgreSQL OR the three indexes into one bitmap of tickets; a common one (a name or a word
    in many tickets) lets it walk the inbox order and stop at a page of matches. Matching the
    contacts' tickets first instead (``id = ANY(<their ticket ids>)``) fetched every such
    ticket by index before the page: 3,300 tickets, 10 of the 30 ms of a search for a word in
    3 % of the names, at 100k tickets (bench/inbox.py). The ids are an array (``= ANY``), not
    ``IN (…)``, which the planner hashed and joined to a sequential scan of every ticket
    (bench/sql_plans.py). Similarity (typo-tolerant) matching is deliberately left out: short
    common names would match most of the tenant.
    """
    # ILIKE (not icontains' UPPER(name) LIKE UPPER(…)): the trigram index on names serves it.
    contacts = Q(_ILikeContains(F("name"), _value(search.name_pattern, CharField())))
    if search.phone_pattern is not None:
        # (the digits hold no LIKE wildcard: ``contains`` without its escaping)
        contacts |= Q(_Like(F("phone"), _value(search.phone_pattern, CharField())))
    named = Contact.objects.filter(contacts).order_by().values("pk")
    by_contact = Q(EqualsAny(F("contact_id"), ArraySubquery(named)))
    by_protocol = Q(protocol=search.protocol)
    # Message text: the ticket's own search document (its messages' text, kept by the
    # database: migration tickets 0011), tested on the outer row. A rare word is found through
    # the document's GIN index; a common one (in most tickets) lets PostgreSQL walk the inbox
    # order and stop at a page of matches, instead of collecting every matching id first.
    by_message = Q(
        RawSQL(
            "search_document @@ plainto_tsquery('portuguese'::regconfig, %s)",
            [search.text],
            output_field=BooleanField(),
        )
    )
    return by_contact | by_protocol | by_message


def _value(value: Any, output_field: Field[Any, Any]) -> Any:
    """``value`` as an expression: a ``Slot`` as it is, anything else as a ``Value``."""
    return value if isinstance(value, Slot) else Value(value, output_field=output_field)


class _Like(Lookup):
    """``<field> LIKE <pattern>`` (the pattern as given)."""

    lookup_name = "like"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs}::text LIKE {rhs}", (*lhs_params, *rhs_params)


class EqualsAny(Lookup):
    """``<field> = ANY(<array>)``: one parameter (or one ``ARRAY(subquery)``) for any number
    of values."""

    lookup_name = "equals_any"

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def ticket_events_of(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The ticket's timeline, oldest first, with each entry's actor."""
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor")


def ticket_detail_for_agent(*, user: User, public_id: UUID | str) -> Ticket:
    """Like ``ticket_get_for_agent``, with everything the detail view shows loaded up front.

    Admins also find soft-deleted tickets here (to see and restore them); agents never do.
    """
    ticket = _detail_ticket(user, public_id)
    prefetch_related_objects([ticket], _contact_tags())
    return ticket


def ticket_detail_and_tags_for_agent(
    *, user: User, public_id: UUID | str
) -> tuple[Ticket, list[dict[str, Any]]]:
    """``ticket_detail_for_agent``'s ticket (same rule, same relations) and its contact's tags
    as rows (``id``, ``name``, ``color``, by name then id), not prefetched instances: the API's
    detail writes them as such, and Django's prefetch built and compiled its query every time
    (a fifth of a detail's CPU). Two statements, as before."""
    ticket = _detail_ticket(user, public_id)
    tags = [
        {"id": row["tag_id"], "name": row["tag__name"], "color": row["tag__color"]}
        for row in _contact_tags_statement().rows({"contact": ticket.contact_id})
    ]
    return ticket, tags


def _detail_ticket(user: User, public_id: UUID | str) -> Ticket:
    hidden = _EVERY_TICKET if user.is_admin else _hidden_for(user)
    return _ticket_read(_compiled_ticket(hidden, detail=True), user, public_id)


@lru_cache(maxsize=1)
def _contact_tags_statement() -> CompiledValues:
    """A contact's tags in ``_contact_tags``' order, compiled once with the contact as a slot."""
    return values_compiled(
        Contact.tags.through.objects.filter(contact_id=Slot("contact", IntegerField()))
        .order_by("tag__name", "tag_id")
        .values("tag_id", "tag__name", "tag__color")
    )


# --------------------------------------------------------------------------- live-event rows
#
# A live event shows a ticket as its inbox row and sends it to the ticket's audience. Loading
# the model with its relations and prefetches cost three queries and most of the handler's time
# (bench/profile_inbound.py); these read the same facts as plain values in one query.


def ticket_event_values(prefix: str = "") -> dict[str, Any]:
    """``values()`` expressions of a ticket's inbox row and audience inputs, all keyed ``t_…``;
    ``prefix`` is the path to the ticket from the queried model (``"ticket__"`` from a
    message). The contact's tags (ordered as the inbox shows them) and wallet owners come as
    arrays, so one query holds everything."""
    contact = OuterRef(f"{prefix}contact_id")
    tags = (
        Contact.tags.through.objects.filter(contact_id=contact)
        .order_by("tag__name", "tag_id")
        .values(json=JSONObject(id="tag_id", name="tag__name", color="tag__color"))
    )
    owners = Contact.owners.through.objects.filter(contact_id=contact).values("user_id")
    fields = {
        "t_id": "id",
        "t_public_id": "public_id",
        "t_protocol": "protocol",
        "t_status": "status",
        "t_contact_id": "contact_id",
        "t_contact_public_id": "contact__public_id",
        "t_contact_name": "contact__name",
        "t_contact_phone": "contact__phone",
        "t_connection_public_id": "connection__public_id",
        "t_connection_name": "connection__name",
        "t_connection_provider": "connection__provider",
        "t_queue_id": "queue_id",
        "t_queue_name": "queue__name",
        "t_queue_color": "queue__color",
        "t_assignee_id": "assignee_id",
        "t_assignee_name": "assignee__name",
        "t_assignee_email": "assignee__email",
        "t_unread_count": "unread_count",
        "t_last_message_preview": "last_message_preview",
        "t_last_message_at": "last_message_at",
        "t_answered": "answered",
        "t_is_outbound": "is_outbound",
        "t_created_at": "created_at",
        "t_deleted_at": "deleted_at",
    }
    expressions: dict[str, Any] = {key: F(f"{prefix}{path}") for key, path in fields.items()}
    expressions["t_tags"] = ArraySubquery(tags)
    expressions["t_owner_ids"] = ArraySubquery(owners)
    return expressions


@dataclass(frozen=True)
class TicketEventRow:
    """A ticket as a live event shows it: the ``t_…`` values of ``ticket_event_values``
    (``tickets.api.ticket_serializers.ticket_row_from_values`` turns them into the inbox row)."""

    values: dict[str, Any]

    @property
    def public_id(self) -> str:
        return str(self.values["t_public_id"])

    @property
    def is_deleted(self) -> bool:
        return self.values["t_deleted_at"] is not None


def ticket_event_row(ticket_id: int) -> TicketEventRow | None:
    """``ticket_get_for_event`` as values, in one query; None if gone."""
    found = Ticket.objects.filter(pk=ticket_id).order_by().values(**ticket_event_values()).first()
    return None if found is None else TicketEventRow(dict(found))


def ticket_event_rows(ticket_ids: Sequence[int]) -> dict[int, TicketEventRow | None]:
    """``ticket_event_row`` of several tickets in one query (the live events of an inbound
    batch), keyed by id; None for a ticket that is gone."""
    found: dict[int, TicketEventRow | None] = dict.fromkeys(ticket_ids)
    rows = Ticket.objects.filter(pk__in=list(found)).order_by().values(**ticket_event_values())
    for row in rows:
        values: dict[str, Any] = dict(row)
        found[values["t_id"]] = TicketEventRow(values)
    return found


def ticket_event_row_audience(
    row: TicketEventRow,
    *,
    queue_id: int | None | _Current = CURRENT,
    assignee_id: int | None | _Current = CURRENT,
    ignore_deletion: bool = False,
) -> TicketAudience:
    """``ticket_audience`` of a ticket read by ``ticket_event_row`` (same rule, no queries)."""
    if row.is_deleted and not ignore_deletion:
        return NOBODY_BUT_ADMINS
    values = row.values
    queue = values["t_queue_id"] if isinstance(queue_id, _Current) else queue_id
    assignee = values["t_assignee_id"] if isinstance(assignee_id, _Current) else assignee_id
    return _audience(queue, assignee, frozenset(values["t_owner_ids"]))


PREVIOUS_TICKETS_SHOWN = 10


def ticket_list_for_contact(
    *, user: User, contact: Contact, exclude: Ticket | None = None
) -> QuerySet[Ticket]:
    """The contact's latest tickets that ``user`` may see, newest first (at most
    ``PREVIOUS_TICKETS_SHOWN``), with queue and assignee joined; served by the
    ``ticket_contact_history_idx`` index. The contact side panel lists them."""
    tickets = tickets_visible_to(user).filter(contact=contact)
    if exclude is not None:
        tickets = tickets.exclude(pk=exclude.pk)
    return tickets.select_related("queue", "assignee").order_by("-created_at", "-id")[
        :PREVIOUS_TICKETS_SHOWN
    ]
