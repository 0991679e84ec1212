"""The contact side panel next to a ticket: who the customer is, their tags, custom attributes,
wallet owners, notes, blocked state, earlier tickets, and merging a duplicate into them.

Every view is keyed by the ticket, so the panel is open to exactly the agents who may see the
ticket (404 for anyone else, without telling whether it exists). Edits are htmx POSTs that answer
with the re-rendered section; a refused edit answers 400 with the section and the error next to
its field (``X-Form-Invalid`` tells contact_panel.js to swap it in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from accounts.selectors import users_active
from contacts import services as contact_services
from contacts.errors import ContactNotFound
from contacts.models import Contact
from contacts.selectors import (
    contact_attribute_definition_list,
    contact_get_for_user,
    contact_list_for_user,
    tag_list,
)
from core.exceptions import ApplicationError
from dashboard.contact_panel.forms import (
    ContactAttributesForm,
    ContactDetailsForm,
    ContactMergeForm,
    ContactNotesForm,
    ContactOwnersForm,
    ContactTagsForm,
)
from dashboard.htmx import form_add_service_error, htmx_partial
from tickets.errors import TicketNotFound
from tickets.models import Ticket
from tickets.selectors import ticket_get_for_agent, ticket_list_for_contact
from tickets.services.contact_merge import contact_merge

MERGE_SEARCH_MIN_CHARS = 2
MERGE_CANDIDATES_SHOWN = 8

# ----------------------------------------------------------------------------- helpers


def _ticket(request: AuthenticatedHttpRequest, ticket_id: UUID) -> Ticket:
    """The ticket (its contact joined) if the agent may see it; 404 otherwise."""
    try:
        return ticket_get_for_agent(user=request.user, public_id=ticket_id)
    except TicketNotFound as exc:
        raise Http404 from exc


def _contact(ticket: Ticket) -> Contact:
    contact = ticket.contact
    prefetch_related_objects([contact], "tags", "owners", "identities")
    return contact


def _details(user: User, ticket: Ticket, form: Any = None) -> dict[str, Any]:
    return {"details_form": form or ContactDetailsForm.for_contact(ticket.contact)}


def _notes(user: User, ticket: Ticket, form: Any = None) -> dict[str, Any]:
    return {"notes_form": form or ContactNotesForm(initial={"notes": ticket.contact.notes})}


def _tags(user: User, ticket: Ticket, form: Any = None) -> dict[str, Any]:
    current = list(ticket.contact.tags.all())
    selected = {tag.pk for tag in current}
    if form is not None and form.is_bound and "tag_ids" in form.cleaned_data:
        selected = set(form.cleaned_data["tag_ids"])
    # Inactive tags stay listed while the contact has them, so saving does not drop them.
    choices = {tag.pk: tag for tag in tag_list(active_only=True)}
    choices.update({tag.pk: tag for tag in current})
    return {
        "contact_tags": current,
        "tag_choices": sorted(choices.values(), key=lambda tag: (tag.name.lower(), tag.pk)),
        "selected_tag_ids": selected,
        "tags_form": form or ContactTagsForm(),
    }


def _attributes(user: User, ticket: Ticket, form: Any = None) -> dict[str, Any]:
    definitions = list(contact_attribute_definition_list())
    values = ticket.contact.custom_attributes or {}
    return {
        "attribute_values": [
            (definition, values.get(definition.key))
            for definition in definitions
            if values.get(definition.key) not in (None, "")
        ],
        "attributes_form": form or ContactAttributesForm.for_contact(ticket.contact, definitions),
    }


def _owners(user: User, ticket: Ticket, form: Any = None) -> dict[str, Any]:
    current = list(ticket.contact.owners.all())
    selected = {owner.pk for owner in current}
    if form is not None and form.is_bound and "owner_ids" in form.cleaned_data:
        selected = set(form.cleaned_data["owner_ids"])
    return {
        "contact_owners": current,
        "owner_choices": list(users_active()),
        "selected_owner_ids": selected,
        "owners_form": form or ContactOwnersForm(),
    }


def _blocked(user: User, ticket: Ticket, form: Any = None) -> dict[str, Any]:
    return {}


def _history(user: User, ticket: Ticket, form: Any = None) -> dict[str, Any]:
    return {
        "previous_tickets": list(
            ticket_list_for_contact(user=user, contact=ticket.contact, exclude=ticket)
        )
    }


def _merge(user: User, ticket: Ticket, form: Any = None) -> dict[str, Any]:
    return {"merge_form": form, "merge_candidate": None}


_SECTIONS: dict[str, Callable[[User, Ticket, Any], dict[str, Any]]] = {
    "details": _details,
    "blocked": _blocked,
    "tags": _tags,
    "attributes": _attributes,
    "owners": _owners,
    "notes": _notes,
    "history": _history,
    "merge": _merge,
}


def _context(user: User, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    return {"ticket": ticket, "contact": ticket.contact, "can_merge": user.is_admin, **extra}


def _section(
    request: AuthenticatedHttpRequest,
    ticket: Ticket,
    name: str,
    form: forms.Form | None = None,
    **extra: Any,
) -> HttpResponse:
    """One section of the panel; 400 (marked ``X-Form-Invalid``) when a POSTed ``form`` has
    errors."""
    user = request.user
    context = _context(user, ticket, **_SECTIONS[name](user, ticket, form))
    context.update(extra)
    invalid = form is not None and bool(form.errors) and request.method == "POST"
    response = render(
        request,
        f"tickets/partials/_contact_panel_{name}.html",
        context,
        status=400 if invalid else 200,
    )
    if invalid:
        response["X-Form-Invalid"] = "1"
    return response


def _save(
    request: AuthenticatedHttpRequest,
    ticket_id: UUID,
    section: str,
    form_class: type[forms.Form],
    save: Callable[[Contact, dict[str, Any]], object],
) -> HttpResponse:
    """Validate the POSTed form, call the service, answer with the re-rendered section."""
    ticket = _ticket(request, ticket_id)
    contact = ticket.contact
    form = form_class(request.POST)
    if form.is_valid():
        try:
            save(contact, form.cleaned_data)
        except ApplicationError as error:
            form_add_service_error(form, error)
            contact.refresh_from_db()  # the service may have changed it in memory before refusing
        else:
            return _section(request, ticket, section)
    return _section(request, ticket, section, form)


# ----------------------------------------------------------------------------- views


def _panel(request: AuthenticatedHttpRequest, ticket: Ticket, template: str) -> HttpResponse:
    user = request.user
    _contact(ticket)
    context = _context(user, ticket)
    for build in _SECTIONS.values():
        context.update(build(user, ticket, None))
    return render(request, template, context)


@login_required
@require_GET
def contact_panel_show(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """The whole panel: a fragment for htmx (the ticket panel loads it), else a page."""
    ticket = _ticket(request, ticket_id)
    if htmx_partial(request):
        return _panel(request, ticket, "tickets/partials/_contact_panel.html")
    return _panel(request, ticket, "tickets/contact_panel.html")


@login_required
@require_POST
def contact_panel_details(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Change the contact's name, phone and e-mail (``contact_update``)."""
    return _save(
        request,
        ticket_id,
        "details",
        ContactDetailsForm,
        lambda contact, data: contact_services.contact_update(
            contact=contact, name=data["name"], phone=data["phone"], email=data["email"]
        ),
    )


@login_required
@require_POST
def contact_panel_notes(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Replace the contact's notes."""
    return _save(
        request,
        ticket_id,
        "notes",
        ContactNotesForm,
        lambda contact, data: contact_services.contact_update(contact=contact, notes=data["notes"]),
    )


@login_required
@require_POST
def contact_panel_tags(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Replace the contact's tags (``contact_tags_set``)."""
    return _save(
        request,
        ticket_id,
        "tags",
        ContactTagsForm,
        lambda contact, data: contact_services.contact_tags_set(
            contact=contact, tag_ids=data["tag_ids"]
        ),
    )


@login_required
@require_POST
def contact_panel_owners(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Replace the contact's wallet owners (``contact_owners_set``)."""
    return _save(
        request,
        ticket_id,
        "owners",
        ContactOwnersForm,
        lambda contact, data: contact_services.contact_owners_set(
            contact=contact, owner_ids=data["owner_ids"]
        ),
    )


@login_required
@require_POST
def contact_panel_attributes(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Set the contact's custom attribute values, each typed by its definition."""
    ticket = _ticket(request, ticket_id)
    definitions = list(contact_attribute_definition_list())
    form = ContactAttributesForm(request.POST, definitions=definitions)
    if form.is_valid():
        try:
            contact_services.contact_update(
                contact=ticket.contact, custom_attributes=form.custom_attributes()
            )
        except ApplicationError as error:
            form_add_service_error(form, error)
            ticket.contact.refresh_from_db()
        else:
            return _section(request, ticket, "attributes")
    return _section(request, ticket, "attributes", form)


@login_required
@require_POST
def contact_panel_block(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Block the contact: their messages no longer open tickets."""
    ticket = _ticket(request, ticket_id)
    contact_services.contact_block(contact=ticket.contact)
    return _section(request, ticket, "blocked")


@login_required
@require_POST
def contact_panel_unblock(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Unblock the contact."""
    ticket = _ticket(request, ticket_id)
    contact_services.contact_unblock(contact=ticket.contact)
    return _section(request, ticket, "blocked")


def _merge_admin(request: AuthenticatedHttpRequest, ticket_id: UUID) -> tuple[User, Ticket]:
    user = request.user
    ticket = _ticket(request, ticket_id)
    if not user.is_admin:  # contact_merge would refuse too; the panel does not offer it
        raise PermissionDenied
    return user, ticket


@login_required
@require_GET
def contact_panel_merge_search(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Contacts matching ``q`` (name, phone, e-mail) that could be merged into this one."""
    user, ticket = _merge_admin(request, ticket_id)
    query = request.GET.get("q", "").strip()
    candidates: list[Contact] = []
    if len(query) >= MERGE_SEARCH_MIN_CHARS:
        candidates = list(
            contact_list_for_user(user=user, search=query)
            .exclude(pk=ticket.contact_id)
            .order_by("name", "id")[:MERGE_CANDIDATES_SHOWN]
        )
    context = _context(user, ticket, query=query, candidates=candidates)
    context["min_chars"] = MERGE_SEARCH_MIN_CHARS
    return render(request, "tickets/partials/_contact_panel_merge_results.html", context)


@login_required
@require_GET
def contact_panel_merge(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """The merge section: the search, or with ``?merged=<contact>`` the confirmation of
    folding that contact into this one."""
    user, ticket = _merge_admin(request, ticket_id)
    if "merged" not in request.GET:
        return _section(request, ticket, "merge")
    form = ContactMergeForm(request.GET)
    candidate: Contact | None = None
    if form.is_valid():
        try:
            candidate = contact_get_for_user(user=user, public_id=form.cleaned_data["merged"])
        except ContactNotFound as error:
            form_add_service_error(form, error)
    return _section(request, ticket, "merge", form, merge_candidate=candidate)


@login_required
@require_POST
def contact_panel_merge_confirm(request: AuthenticatedHttpRequest, ticket_id: UUID) -> HttpResponse:
    """Fold the chosen contact into the ticket's contact (``contact_merge``) and show the whole
    panel again; a refusal (say, both have an active ticket on one connection) is shown in the
    merge section."""
    user, ticket = _merge_admin(request, ticket_id)
    form = ContactMergeForm(request.POST)
    candidate: Contact | None = None
    if form.is_valid():
        try:
            candidate = contact_get_for_user(user=user, public_id=form.cleaned_data["merged"])
            contact_merge(survivor=ticket.contact, merged=candidate, by=user)
        except ApplicationError as error:
            form_add_service_error(form, error)
        else:
            response = _panel(
                request, _ticket(request, ticket_id), "tickets/partials/_contact_panel.html"
            )
            response["HX-Retarget"] = "#contact-panel-content"
            response["HX-Reswap"] = "outerHTML"
            return response
    return _section(request, ticket, "merge", form, merge_candidate=candidate)
