"""The inbox page's query string (tab, scope, filters, search, open ticket, page cursor)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from tickets.inbox_selectors import SCOPES, TABS, InboxFilters, cursor_decode
from tickets.models import Ticket

SCOPE_LABELS = {"mine": _("Mine"), "queues": _("My queues"), "all": _("All")}


class InboxQueryForm(forms.Form):
    """Validates the shape of the inbox's query string; a value that does not parse is dropped
    (a hand-edited or stale link still opens the inbox), never passed to a selector."""

    tab = forms.ChoiceField(
        choices=[(tab, Ticket.Status(tab).label) for tab in TABS], required=False
    )
    scope = forms.ChoiceField(choices=[(s, SCOPE_LABELS[s]) for s in SCOPES], required=False)
    queue = forms.IntegerField(min_value=1, required=False)
    tag = forms.IntegerField(min_value=1, required=False)
    connection = forms.UUIDField(required=False)
    unread = forms.BooleanField(required=False)
    q = forms.CharField(max_length=200, required=False, strip=True)
    ticket = forms.UUIDField(required=False)
    cursor = forms.CharField(max_length=200, required=False)

    def clean_cursor(self) -> Any:
        cursor = self.cleaned_data.get("cursor") or ""
        if not cursor:
            return None
        try:
            return cursor_decode(cursor)
        except ValueError as exc:
            raise forms.ValidationError(_("This page link is not valid.")) from exc


def inbox_query(data: Any, *, user: User) -> tuple[InboxFilters, InboxQueryForm]:
    """The filters a query string asks for (valid parts only) and its bound form."""
    form = InboxQueryForm(data)
    form.is_valid()
    value = form.cleaned_data
    connection = value.get("connection")
    filters = InboxFilters(
        tab=value.get("tab") or Ticket.Status.PENDING,
        scope=value.get("scope") or "all",
        queue_id=value.get("queue"),
        tag_id=value.get("tag"),
        connection_id=str(connection) if connection else None,
        unread_only=bool(value.get("unread")),
        search=value.get("q") or "",
    )
    return filters, form


def filters_querydict(filters: InboxFilters) -> dict[str, str]:
    """The query-string parameters that reproduce ``filters`` (defaults left out)."""
    params: dict[str, str] = {"tab": filters.tab, "scope": filters.scope}
    if filters.queue_id:
        params["queue"] = str(filters.queue_id)
    if filters.tag_id:
        params["tag"] = str(filters.tag_id)
    if filters.connection_id:
        params["connection"] = filters.connection_id
    if filters.unread_only:
        params["unread"] = "on"
    if filters.search:
        params["q"] = filters.search
    return params
