"""The agent's inbox at ``/``: tabs, scopes, filters, search, keyset "load more", and the row
fragment the live updates fetch. The list rule is ``ticket_list_for_inbox`` (the API's)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from accounts.selectors import users_active
from automation.selectors.business_hours import queues_open_at
from connections.selectors import connection_choices
from contacts.selectors import tag_list
from core.exceptions import ApplicationError, error_body
from dashboard.htmx import htmx_partial
from realtime.stream import stream_last_id
from tickets.errors import BulkInvalid, SavedInboxFilterNotFound
from tickets.models import Ticket
from tickets.selectors import queues_for, ticket_list_for_inbox
from tickets.selectors.saved_inbox_filters import saved_inbox_filter_get_for, saved_inbox_filters_of
from tickets.services.bulk import BulkAction, BulkOutcome, BulkTarget, tickets_bulk_act
from tickets.services.saved_inbox_filters import saved_inbox_filter_delete, saved_inbox_filter_save

PAGE_SIZE = 40
COUNT_CAP = 99
TABS = (Ticket.Status.PENDING, Ticket.Status.OPEN, Ticket.Status.CLOSED)
SCOPES = ("mine", "queues", "all")


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


@dataclass
class InboxFilters:
    """The inbox state, read from (and written back to) the query string."""

    tab: str = Ticket.Status.OPEN
    scope: str = "all"
    search: str = ""
    queue_ids: list[int] = field(default_factory=list)
    tag_ids: list[int] = field(default_factory=list)
    connection_ids: list[str] = field(default_factory=list)
    unread: bool = False

    @classmethod
    def from_request(cls, request: AuthenticatedHttpRequest) -> InboxFilters:
        return cls.from_params(request.GET)

    @classmethod
    def from_params(cls, get: QueryDict) -> InboxFilters:
        tab = get.get("tab", Ticket.Status.OPEN)
        scope = get.get("scope", "all")
        return cls(
            tab=tab if tab in TABS else Ticket.Status.OPEN,
            scope=scope if scope in SCOPES else "all",
            search=get.get("q", "").strip()[:100],
            queue_ids=_ints(get.getlist("queue")),
            tag_ids=_ints(get.getlist("tag")),
            connection_ids=[c for c in get.getlist("connection") if c][:10],
            unread=get.get("unread") == "1",
        )

    def query(self, **changes: Any) -> str:
        """The query string of this state with ``changes`` applied (for links)."""
        params = self.params()
        params.update(changes)
        return urlencode({k: v for k, v in params.items() if v not in ("", None)}, doseq=True)

    def params(self) -> dict[str, Any]:
        """This state as query parameters (what a saved filter stores)."""
        params: dict[str, Any] = {"tab": self.tab, "scope": self.scope}
        if self.search:
            params["q"] = self.search
        if self.queue_ids:
            params["queue"] = self.queue_ids
        if self.tag_ids:
            params["tag"] = self.tag_ids
        if self.connection_ids:
            params["connection"] = self.connection_ids
        if self.unread:
            params["unread"] = "1"
        return params

    def tickets(self, user: User, *, with_status: bool = True) -> QuerySet[Ticket]:
        return ticket_list_for_inbox(
            user=user,
            status=[self.tab] if with_status else [],
            scope=self.scope,
            queue_ids=self.queue_ids,
            tag_ids=self.tag_ids,
            connection_ids=self.connection_ids,
            unread_only=self.unread,
            search=self.search,
        )


def _after_cursor(tickets: QuerySet[Ticket], cursor: str) -> QuerySet[Ticket]:
    """Keyset: the tickets after ``<last_message_at ISO>|<id>`` in inbox order (newest activity
    first; ``last_message_at`` is never NULL)."""
    stamp, _, raw_id = cursor.partition("|")
    try:
        at = parse_datetime(stamp) if raw_id.isdigit() else None
    except ValueError:  # well formed, not a date (a month 13)
        at = None
    if at is None:
        return tickets
    # A row comparison, not ``lm < at OR (lm = at AND id < last)``: PostgreSQL answers it as a
    # bound of the inbox indexes (…, -last_message_at, -id), where the OR form was a filter over
    # every ticket of the tab before the cursor, so page n cost what OFFSET would.
    return tickets.filter(TupleLessThan(Tuple("last_message_at", "id"), (at, int(raw_id))))


def _cursor_of(ticket: Ticket) -> str:
    return f"{ticket.last_message_at.isoformat()}|{ticket.pk}"


def _page(request: AuthenticatedHttpRequest, filters: InboxFilters) -> tuple[list[Ticket], str]:
    tickets = filters.tickets(request.user)
    cursor = request.GET.get("cursor", "")
    if cursor:
        tickets = _after_cursor(tickets, cursor)
    rows = list(tickets[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_query = filters.query(cursor=_cursor_of(rows[-1])) if more and rows else ""
    return rows, next_query


def _shown(count: int | None) -> str | None:
    return None if count is None else (f"{COUNT_CAP}+" if count > COUNT_CAP else str(count))


def _tab_totals(user: User, filters: InboxFilters) -> dict[str, int | None]:
    """Each tab's ticket count under the current scope and filters. Counts stop at
    ``COUNT_CAP`` + 1 (shown "99+"): an exact count of an agent's visible tickets costs a scan
    of the whole tenant (200 ms at 100k tickets, see bench/inbox.py), a capped one a few index
    probes. While searching there are no counts: each would repeat the search."""
    totals: dict[str, int | None] = dict.fromkeys(TABS)
    if not filters.search:
        tickets = filters.tickets(user, with_status=False).order_by()
        for tab in TABS:
            # In inbox order, so the plan walks the (status, -last_message_at) index and stops
            # after COUNT_CAP + 1 rows (unordered, the planner may scan the table instead).
            newest = tickets.filter(status=tab).order_by("-last_message_at", "-id")
            totals[tab] = newest[: COUNT_CAP + 1].count()
    return totals


def _tab_with_work(totals: dict[str, int | None]) -> str:
    """Where a visit without a chosen tab lands: the agent's open tickets if any, else the
    waiting ones if any, else the open tab (empty)."""
    for tab in (Ticket.Status.OPEN, Ticket.Status.PENDING):
        if totals[tab]:
            return tab
    return Ticket.Status.OPEN


def _tabs(filters: InboxFilters, totals: dict[str, int | None]) -> list[dict[str, Any]]:
    """The three tabs with their counts and the query string that opens each."""
    labels = dict(Ticket.Status.choices)
    return [
        {
            "tab": tab,
            "label": labels[tab],
            "count": _shown(totals[tab]),
            "query": filters.query(tab=tab),
            "current": tab == filters.tab,
        }
        for tab in TABS
    ]


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The inbox page; with htmx, only the list (a filter change or the next page)."""
    user = request.user
    filters = InboxFilters.from_request(request)
    # Before the list: the page's socket resumes from here, so an event between this read and
    # the socket's hello is replayed instead of lost.
    last_event_id = None if htmx_partial(request) else stream_last_id()
    if htmx_partial(request) and request.GET.get("cursor"):
        rows, next_query = _page(request, filters)
        context: dict[str, Any] = {"rows": rows, "next_query": next_query, "filters": filters}
        return render(request, "tickets/partials/_inbox_rows.html", context)
    totals = _tab_totals(user, filters)
    if "tab" not in request.GET:
        filters.tab = _tab_with_work(totals)
    rows, next_query = _page(request, filters)
    context = {"rows": rows, "next_query": next_query, "filters": filters}
    context["tabs"] = _tabs(filters, totals)
    # An empty tab says where the work is: the other tabs with tickets to act on.
    context["elsewhere"] = [
        tab
        for tab in context["tabs"]
        if tab["tab"] not in (filters.tab, Ticket.Status.CLOSED) and tab["count"] not in (None, "0")
    ]
    if htmx_partial(request):
        return render(request, "tickets/partials/_inbox_list.html", context)
    queues = list(queues_for(user).prefetch_related(None).order_by("name"))
    opened = queues_open_at(queue_ids=[queue.pk for queue in queues], at=timezone.now())
    context.update(
        queues=queues,
        queues_closed=[queue for queue in queues if not opened[queue.pk]],
        tags=list(tag_list(active_only=True)),
        agents=list(users_active().order_by("name")),
        connections=list(connection_choices()),
        saved_filters=_saved_filters(user),
        open_ticket=request.GET.get("ticket", ""),
        last_event_id=last_event_id,
    )
    return render(request, "tickets/inbox.html", context)


@login_required
@require_GET
def inbox_row(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """One row under the current filters, for the live updates; 204 when the ticket is not (or
    no longer) in this list or not visible to the user: the page removes the row."""
    filters = InboxFilters.from_request(request)
    ticket = filters.tickets(request.user).filter(public_id=ticket_id).first()
    if ticket is None:
        return HttpResponse(status=204)
    return render(
        request, "tickets/partials/_ticket_row.html", {"ticket": ticket, "filters": filters}
    )


UNREAD_MAX = 500


@login_required
@require_GET
def inbox_unread(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The unread customer messages of my pending and open tickets, per ticket (the tab title's
    count starts from this and follows the live events)."""
    mine = ticket_list_for_inbox(
        user=request.user,
        status=[Ticket.Status.PENDING, Ticket.Status.OPEN],
        scope="mine",
        unread_only=True,
    )
    rows = mine.select_related(None).prefetch_related(None).order_by()[:UNREAD_MAX]
    tickets = {
        str(public_id): count for public_id, count in rows.values_list("public_id", "unread_count")
    }
    return JsonResponse({"tickets": tickets})


@login_required
@require_GET
def inbox_counts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tabs with their counts (refreshed after live changes)."""
    filters = InboxFilters.from_request(request)
    tabs = _tabs(filters, _tab_totals(request.user, filters))
    return render(request, "tickets/partials/_inbox_tabs.html", {"tabs": tabs})


def _error_json(exc: ApplicationError) -> JsonResponse:
    """Bad input: its status with ``{code, message, extra}`` (dashboard.js shows the message)."""
    return JsonResponse(error_body(exc.code, exc.message, exc.extra), status=exc.http_status)


def _chosen(request: AuthenticatedHttpRequest, name: str, choices: QuerySet[Any]) -> Any:
    """The posted ``name`` among ``choices`` (None when not posted); an id that is not among
    them is bad input, refused before anything is done."""
    raw = request.POST.get(name, "")
    if not raw:
        return None
    found = choices.filter(pk=raw).first() if raw.isdigit() else None
    if found is None:
        raise BulkInvalid(_("That choice is not available."), extra={"field": name})
    return found


DONE_LABELS = {
    BulkAction.ACCEPT: lambda n: ngettext("%(n)s accepted", "%(n)s accepted", n),
    BulkAction.TRANSFER: lambda n: ngettext("%(n)s transferred", "%(n)s transferred", n),
    BulkAction.TAG: lambda n: ngettext("%(n)s tagged", "%(n)s tagged", n),
    BulkAction.CLOSE: lambda n: ngettext("%(n)s closed", "%(n)s closed", n),
    BulkAction.READ: lambda n: ngettext("%(n)s marked read", "%(n)s marked read", n),
}


def _summary(action: str, outcomes: list[BulkOutcome]) -> str:
    """ "8 closed, 2 refused: you may not do this on this ticket." (refusals by reason)."""
    done = sum(1 for outcome in outcomes if outcome.done)
    reasons: dict[str, int] = {}
    for outcome in outcomes:
        if not outcome.done:
            reasons[outcome.message] = reasons.get(outcome.message, 0) + 1
    parts = [DONE_LABELS[action](done) % {"n": done}] if done or not reasons else []
    for reason, count in reasons.items():
        refused = ngettext("%(n)s refused: %(reason)s", "%(n)s refused: %(reason)s", count)
        parts.append(refused % {"n": count, "reason": reason})
    return ", ".join(parts)


@login_required
@require_POST
def inbox_bulk(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Accept, transfer, tag, close or mark read the selected tickets through the same services
    as the single actions; answers each ticket's outcome (the list reloads after it)."""
    user = request.user
    action = request.POST.get("action", "")
    try:
        target = BulkTarget(
            queue=_chosen(request, "queue", queues_for(user).prefetch_related(None)),
            agent=_chosen(request, "agent", users_active()),
            tag=_chosen(request, "tag", tag_list(active_only=True)),
        )
        outcomes = tickets_bulk_act(
            by=user, action=action, public_ids=request.POST.getlist("ticket"), target=target
        )
    except BulkInvalid as exc:
        return _error_json(exc)
    context = {
        "summary": _summary(action, outcomes),
        "refused": [outcome for outcome in outcomes if not outcome.done],
        "all_done": all(outcome.done for outcome in outcomes),
    }
    response = render(request, "tickets/partials/_inbox_bulk_results.html", context)
    response["HX-Trigger"] = "tt:bulk-done"
    return response


def _saved_filters(user: User) -> list[dict[str, Any]]:
    """The user's saved filters with the query string that applies each."""
    return [
        {
            "name": saved.name,
            "public_id": saved.public_id,
            "query": urlencode(saved.filters, doseq=True),
        }
        for saved in saved_inbox_filters_of(user)
    ]


def _saved_filters_fragment(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"saved_filters": _saved_filters(request.user), "saved_open": True}
    return render(request, "tickets/partials/_inbox_saved_filters.html", context)


@login_required
@require_POST
def inbox_filter_save(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save the inbox's current filters (posted with the filter form) under a name."""
    filters = InboxFilters.from_params(request.POST)
    try:
        saved_inbox_filter_save(
            user=request.user, name=request.POST.get("name", ""), filters=filters.params()
        )
    except ApplicationError as exc:
        return _error_json(exc)
    return _saved_filters_fragment(request)


@login_required
@require_POST
def inbox_filter_delete(request: AuthenticatedHttpRequest, filter_id: str) -> HttpResponse:
    """Delete one of the user's saved filters (the page asks to confirm first)."""
    try:
        saved = saved_inbox_filter_get_for(user=request.user, public_id=filter_id)
    except SavedInboxFilterNotFound as exc:
        return _error_json(exc)
    saved_inbox_filter_delete(saved_filter=saved)
    return _saved_filters_fragment(request)
