"""The inbox page (``/``): tabs, scopes, filters, search and a keyset-paged list of ticket rows,
plus the two fragments its script refreshes live (one row, the tabs' counts)."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote, urlencode
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from accounts.models import User
from core.htmx import htmx_partial
from tickets.errors import TicketNotFound
from tickets.inbox_forms import SCOPE_LABELS, filters_querydict, inbox_query
from tickets.inbox_selectors import (
    SCOPES,
    TABS,
    InboxFilters,
    inbox_counts,
    inbox_filter_options,
    inbox_page,
    inbox_tickets,
    realtime_last_event_id,
)
from tickets.models import Ticket
from tickets.selectors import ticket_get_for_agent


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # @login_required guarantees a signed-in user


def _list_context(filters: InboxFilters, selected: UUID | None) -> dict[str, Any]:
    return {
        "filters": filters,
        "filter_query": urlencode(filters_querydict(filters)),
        "selected_id": str(selected) if selected else "",
    }


def _counts_context(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"value": tab, "label": Ticket.Status(tab).label, "count": counts[tab]} for tab in TABS]


def _bad_query(message: str) -> HttpResponse:
    response = HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    response["X-Error-Message"] = quote(message)
    return response


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox page; for htmx, the list fragment (a filter change, or the next page when the
    query has a ``cursor``), with the tabs' counts swapped out of band on a first page."""
    user = _user(request)
    # Read before the list: whatever happens after it is replayed to the page's socket.
    last_event_id = 0 if htmx_partial(request) else realtime_last_event_id()
    filters, form = inbox_query(request.GET, user=user)
    if "cursor" in form.errors:
        return _bad_query(str(form.errors["cursor"][0]))
    after = form.cleaned_data.get("cursor")
    selected = form.cleaned_data.get("ticket")
    tickets, next_cursor = inbox_page(inbox_tickets(user=user, filters=filters), after=after)
    context = {
        **_list_context(filters, selected),
        "tickets": tickets,
        "next_cursor": next_cursor,
        "is_next_page": after is not None,
    }
    if after is None:
        context["tabs"] = _counts_context(inbox_counts(user=user, filters=filters))
    if htmx_partial(request) and not request.htmx.history_restore_request:  # type: ignore[attr-defined]
        response = render(request, "tickets/partials/_inbox_list.html", context)
    else:
        open_ticket = None
        if selected is not None:
            try:
                open_ticket = ticket_get_for_agent(user=user, public_id=selected)
            except TicketNotFound:
                open_ticket = None
        context.update(
            form=form,
            options=inbox_filter_options(user=user),
            scopes=[{"value": scope, "label": SCOPE_LABELS[scope]} for scope in SCOPES],
            open_ticket=open_ticket,
            missing_ticket=selected is not None and open_ticket is None,
            selected_id=str(open_ticket.public_id) if open_ticket else "",
            last_event_id=last_event_id,
        )
        response = render(request, "tickets/inbox.html", context)
    # The same URL answers a page or a fragment: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_GET
def inbox_row(request: HttpRequest, ticket_id: UUID) -> HttpResponse:
    """One ticket's row as the list with these filters shows it; 204 when the ticket is not in
    that list (closed away from the tab, transferred out of my queues, not visible at all)."""
    user = _user(request)
    filters, form = inbox_query(request.GET, user=user)
    ticket = inbox_tickets(user=user, filters=filters).filter(public_id=ticket_id).first()
    if ticket is None:
        return HttpResponse(status=204)
    context = {**_list_context(filters, form.cleaned_data.get("ticket")), "ticket": ticket}
    return render(request, "tickets/partials/_ticket_row.html", context)


@login_required
@require_GET
def inbox_counts_fragment(request: HttpRequest) -> HttpResponse:
    """The tabs' count badges for these filters (swapped into the page out of band)."""
    user = _user(request)
    filters, _form = inbox_query(request.GET, user=user)
    tabs = _counts_context(inbox_counts(user=user, filters=filters))
    return render(request, "tickets/partials/_inbox_counts.html", {"tabs": tabs, "oob": True})
