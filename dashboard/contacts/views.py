"""The contacts pages: list with search and tag filter (keyset "load more"), create, edit,
delete (admins), CSV import (a preview where the user picks what happens to contacts that
already exist, then a live progress bar and error report), and export. Tags'
admin page is here too. Visibility is the API's (``contacts_visible_to``)."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.requests import AuthenticatedHttpRequest
from channels_integrations.selectors import blocked_messages_of
from contacts import services
from contacts.csv_io import ATTRIBUTE_PREFIX
from contacts.errors import ContactNotFound, TagNotFound
from contacts.exports import contact_export_lines, contact_export_response
from contacts.models import Contact, ContactImport, Tag
from contacts.selectors import (
    contact_attribute_definition_list,
    contact_get_for_user,
    contact_import_get_for_user,
    contact_list_for_user,
    tag_get,
    tag_list,
)
from contacts.services import (
    contact_create,
    contact_delete,
    contact_import_cancel,
    contact_import_preview,
    contact_import_start,
    contact_owners_set,
    contact_tags_set,
    contact_update,
    tag_create,
    tag_delete,
    tag_update,
)
from contacts.services.imports import PREVIEW_MAX_CONFLICTS, import_field_label
from core.exceptions import ApplicationError
from dashboard.contact_panel.forms import ContactAttributesForm
from dashboard.contacts.forms import (
    ContactForm,
    ContactImportConfirmForm,
    ContactImportForm,
    TagForm,
)
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error, htmx_partial
from tickets.errors import MediaNotFound
from tickets.media import file_response

PAGE_SIZE = 50


def _after(contacts: QuerySet[Contact], cursor: str) -> QuerySet[Contact]:
    """Keyset on (name, id): the contacts after ``<id>`` in name order."""
    if not cursor.isdigit():
        return contacts
    last = Contact.objects.filter(pk=int(cursor)).values_list("name", flat=True).first()
    if last is None:
        return contacts
    return contacts.filter(Q(name__gt=last) | Q(name=last, pk__gt=int(cursor)))


@login_required
def contact_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    search = request.GET.get("q", "").strip()[:100]
    tag_ids = [int(t) for t in request.GET.getlist("tag") if t.isdigit()]
    contacts = contact_list_for_user(user=user, search=search, tag_ids=tag_ids).order_by(
        "name", "pk"
    )
    contacts = _after(contacts, request.GET.get("after", ""))
    rows = list(contacts[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("after", None)
    if more:
        query["after"] = str(rows[-1].pk)
    context: dict[str, Any] = {
        "contacts": rows,
        "next_query": query.urlencode() if more else "",
        "search": search,
        "tag_ids": tag_ids,
    }
    if htmx_partial(request):
        return render(request, "contacts/partials/_contact_rows.html", context)
    context.update(tags=list(tag_list(active_only=True)), section="contacts")
    return render(request, "contacts/list.html", context)


def _forms(
    request: AuthenticatedHttpRequest, contact: Contact | None
) -> tuple[ContactForm, ContactAttributesForm]:
    """The contact's fields, tags and owners, and one input per custom attribute."""
    definitions = list(contact_attribute_definition_list())
    data = request.POST or None
    if contact is None:
        return ContactForm(data), ContactAttributesForm(
            data, definitions=definitions, auto_id="attr-%s"
        )
    initial = {
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "notes": contact.notes,
        "is_blocked": contact.is_blocked,
        "tags": [str(tag.pk) for tag in contact.tags.all()],
        "owners": [str(owner.pk) for owner in contact.owners.all()],
    }
    attributes = ContactAttributesForm.for_contact(contact, definitions)
    return ContactForm(data, initial=initial), ContactAttributesForm(
        data, initial=attributes.initial, definitions=definitions, auto_id="attr-%s"
    )


def _save_contact(
    form: ContactForm, attributes: ContactAttributesForm, contact: Contact | None
) -> Contact | None:
    """Create or update the contact with its tags, owners and attributes, all or nothing; a
    service's refusal goes next to the field it names (in either form)."""
    data = form.cleaned_data
    tag_ids = [int(pk) for pk in data["tags"]]
    owner_ids = [int(pk) for pk in data["owners"]]
    try:
        with transaction.atomic():
            if contact is None:
                return contact_create(
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    notes=data["notes"],
                    tag_ids=tag_ids,
                    owner_ids=owner_ids,
                    custom_attributes=attributes.custom_attributes(),
                    is_blocked=data["is_blocked"],
                )
            contact_update(
                contact=contact,
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                notes=data["notes"],
                custom_attributes=attributes.custom_attributes(),
                is_blocked=data["is_blocked"],
            )
            contact_tags_set(contact=contact, tag_ids=tag_ids)
            contact_owners_set(contact=contact, owner_ids=owner_ids)
            return contact
    except ApplicationError as exc:
        fields = exc.extra.get("fields")
        on_attributes = isinstance(fields, dict) and all(
            name in attributes.fields for name in fields
        )
        form_add_service_error(attributes if on_attributes else form, exc)
        return None


def _edit_page(
    request: AuthenticatedHttpRequest,
    contact: Contact | None,
    form: ContactForm,
    attributes: ContactAttributesForm,
) -> HttpResponse:
    status = 400 if form.errors or attributes.errors else 200
    context = {
        "form": form,
        "attributes_form": attributes,
        "contact": contact,
        "blocked_messages": (
            blocked_messages_of(contact=contact, user=request.user) if contact is not None else []
        ),
    }
    return render(request, "contacts/edit.html", context, status=status)


@login_required
def contact_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, attributes = _forms(request, None)
    if request.method == "POST" and form.is_valid() and attributes.is_valid():
        contact = _save_contact(form, attributes, None)
        if contact is not None:
            messages.success(request, _("Contact %(name)s created.") % {"name": contact.name})
            return redirect("contacts:list")
    return _edit_page(request, None, form, attributes)


def _contact(request: AuthenticatedHttpRequest, public_id: UUID) -> Contact:
    try:
        return contact_get_for_user(user=request.user, public_id=public_id)
    except ContactNotFound as exc:
        raise Http404 from exc


@login_required
@require_GET
def contact_avatar(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponseBase:
    """A contact's picture (from its provider), for the users who may see the contact."""
    contact = _contact(request, public_id)
    if not contact.avatar:
        raise Http404
    try:
        return file_response(contact.avatar, inline=True)
    except MediaNotFound as exc:
        raise Http404 from exc


@login_required
def contact_edit(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    contact = _contact(request, public_id)
    form, attributes = _forms(request, contact)
    if (
        request.method == "POST"
        and form.is_valid()
        and attributes.is_valid()
        and _save_contact(form, attributes, contact)
    ):
        messages.success(request, _("Contact %(name)s saved.") % {"name": contact.name})
        return redirect("contacts:list")
    return _edit_page(request, contact, form, attributes)


@admin_required
@require_POST
def contact_remove(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    contact = _contact(request, public_id)
    try:
        contact_delete(contact=contact)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("contacts:edit", public_id=public_id)
    messages.success(request, _("Contact %(name)s deleted.") % {"name": contact.name})
    return redirect("contacts:list")


@login_required
def contact_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a CSV; its preview page then starts the import, which runs in the background."""
    form = ContactImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = contact_import_start(
                file=form.cleaned_data["file"],
                created_by=request.user,
                tag_ids=[int(pk) for pk in form.cleaned_data["tags"]],
                preview=True,
            )
        except ApplicationError as exc:
            exc.extra.setdefault("field", "file")
            form_add_service_error(form, exc)
        else:
            return redirect("contacts:import", public_id=started.public_id)
    status = 400 if form.errors else 200
    return render(request, "contacts/import.html", {"form": form}, status=status)


def _import(request: AuthenticatedHttpRequest, public_id: UUID) -> ContactImport:
    try:
        return contact_import_get_for_user(user=request.user, public_id=public_id)
    except ApplicationError as exc:
        raise Http404 from exc


def _preview_page(
    request: AuthenticatedHttpRequest, contact_import: ContactImport, form: ContactImportConfirmForm
) -> HttpResponse:
    preview = contact_import_preview(contact_import=contact_import)
    content = preview.content
    columns = [
        (content.headers[index], import_field_label(field))
        for field, index in sorted(content.columns.items(), key=lambda item: item[1])
        if field != "created_at"
    ]
    rows = [
        {"error": {**row, "field": import_field_label(row["field"])}}
        if isinstance(row, dict)
        else {
            "row": row,
            "attributes": [
                (import_field_label(ATTRIBUTE_PREFIX + key), value)
                for key, value in row.attributes.items()
            ],
        }
        for row in preview.rows
    ]
    context = {
        "job": contact_import,
        "preview": preview,
        "columns": columns,
        "rows": rows,
        "form": form,
        "update_rows": {int(value) for value in form.update_rows_raw() if value.isdigit()},
        "max_conflicts": PREVIEW_MAX_CONFLICTS,
    }
    status = 400 if form.errors else 200
    return render(request, "contacts/import_preview.html", context, status=status)


@login_required
def contact_import_status(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """A previewed upload's preview, else the import's progress (the fragment polls itself every
    second until it is finished)."""
    contact_import = _import(request, public_id)
    if contact_import.status == ContactImport.Status.PREVIEW:
        return _preview_page(request, contact_import, ContactImportConfirmForm())
    finished = contact_import.status in (ContactImport.Status.DONE, ContactImport.Status.FAILED)
    errors = [
        {**error, "field": import_field_label(error.get("field", ""))}
        for error in contact_import.errors[:50]
    ]
    context = {"job": contact_import, "finished": finished, "errors": errors}
    if htmx_partial(request):
        return render(request, "contacts/partials/_import_progress.html", context)
    return render(request, "contacts/import_status.html", context)


@login_required
@require_POST
def contact_import_confirm(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Start a previewed import with the chosen handling of contacts that already exist."""
    contact_import = _import(request, public_id)
    form = ContactImportConfirmForm(request.POST)
    if contact_import.status == ContactImport.Status.PREVIEW and form.is_valid():
        try:
            services.contact_import_confirm(
                contact_import=contact_import,
                duplicates=form.cleaned_data["duplicates"],
                update_rows=form.cleaned_data["update_rows"],
            )
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            return redirect("contacts:import", public_id=public_id)
    if contact_import.status != ContactImport.Status.PREVIEW:
        return redirect("contacts:import", public_id=public_id)
    return _preview_page(request, contact_import, form)


@login_required
@require_POST
def contact_import_discard(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """Drop a previewed upload without importing anything."""
    contact_import = _import(request, public_id)
    try:
        contact_import_cancel(contact_import=contact_import)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("contacts:import", public_id=public_id)
    messages.success(request, _("The upload was discarded; nothing was imported."))
    return redirect("contacts:list")


@login_required
def contact_import_errors(request: AuthenticatedHttpRequest, public_id: UUID) -> HttpResponse:
    """The import's error report as CSV (row, field, message), in the reader's language."""
    contact_import = _import(request, public_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("row"), _("field"), _("message")])
    for error in contact_import.errors:
        field = import_field_label(error.get("field", "")) if error.get("field") else ""
        writer.writerow([error.get("row", ""), field, error.get("message", "")])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-errors-{public_id}.csv"'
    return response


@login_required
def contact_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    """The contacts the user may see as CSV: for a spreadsheet in the user's language (BOM,
    ";" and translated headers in pt-BR), or plain (``?plain=1``: ",", English keys, no BOM)."""
    plain = request.GET.get("plain") == "1"
    lines = contact_export_lines(user=request.user, localized=not plain, bom=not plain)
    return contact_export_response(lines)


# ---------------------------------------------------------------- tags (admin)


@admin_required
def tag_admin(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tag = tag_create(name=data["name"], color=data["color"], is_active=data["is_active"])
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Tag %(name)s created.") % {"name": tag.name})
            return redirect("manage:tags")
    context = {"section": "tags", "tags": tag_list(), "form": form}
    return render(request, "contacts/manage/tags.html", context, status=400 if form.errors else 200)


def _tag(pk: int) -> Tag:
    try:
        return tag_get(tag_id=pk)
    except TagNotFound as exc:
        raise Http404 from exc


@admin_required
def tag_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    tag = _tag(pk)
    initial = {"name": tag.name, "color": tag.color, "is_active": tag.is_active}
    form = TagForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tag_update(tag=tag, name=data["name"], color=data["color"], is_active=data["is_active"])
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Tag %(name)s saved.") % {"name": data["name"]})
            return redirect("manage:tags")
    context = {"section": "tags", "tag": tag, "form": form}
    return render(
        request, "contacts/manage/tag_edit.html", context, status=400 if form.errors else 200
    )


@admin_required
@require_POST
def tag_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    tag = _tag(pk)
    tag_delete(tag=tag)
    messages.success(request, _("Tag %(name)s deleted.") % {"name": tag.name})
    return redirect(reverse("manage:tags"))
