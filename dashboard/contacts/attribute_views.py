"""The admin page of custom contact attributes (under /manage/contact-attributes/): list and
create, edit a label or choices, and delete after a confirmation that says how many contacts
lose their value."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.requests import AuthenticatedHttpRequest
from contacts.errors import AttributeDefinitionNotFound
from contacts.models import ContactAttributeDefinition
from contacts.selectors import (
    contact_attribute_definition_get,
    contact_attribute_definition_list,
    contact_attribute_values_count,
)
from contacts.services import (
    contact_attribute_definition_create,
    contact_attribute_definition_delete,
    contact_attribute_definition_update,
)
from core.exceptions import ApplicationError
from dashboard.contacts.attribute_forms import AttributeDefinitionForm
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error


def _definition(pk: int) -> ContactAttributeDefinition:
    try:
        return contact_attribute_definition_get(definition_id=pk)
    except AttributeDefinitionNotFound as exc:
        raise Http404 from exc


@admin_required
def attribute_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every attribute definition; a form to add one."""
    form = AttributeDefinitionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            definition = contact_attribute_definition_create(
                key=data["key"], label=data["label"], type=data["type"], choices=data["choices"]
            )
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(
                request, _("Attribute %(label)s created.") % {"label": definition.label}
            )
            return redirect("manage:contact-attributes")
    context = {
        "section": "contact-attributes",
        "definitions": contact_attribute_definition_list(),
        "form": form,
    }
    status = 400 if form.errors else 200
    return render(request, "contacts/manage/attributes.html", context, status=status)


@admin_required
def attribute_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    definition = _definition(pk)
    initial = {"label": definition.label, "choices": definition.choices}
    form = AttributeDefinitionForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        choices = data["choices"] if definition.type == definition.Type.CHOICE else None
        try:
            contact_attribute_definition_update(
                definition=definition, label=data["label"], choices=choices
            )
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Attribute %(label)s saved.") % {"label": data["label"]})
            return redirect("manage:contact-attributes")
    if definition.type != definition.Type.CHOICE:
        del form.fields["choices"]
    context = {"section": "contact-attributes", "definition": definition, "form": form}
    status = 400 if form.errors else 200
    return render(request, "contacts/manage/attribute_edit.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def attribute_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET: what deleting would erase, and the button; POST: delete it and every value."""
    definition = _definition(pk)
    if request.method == "POST":
        contact_attribute_definition_delete(definition=definition)
        messages.success(request, _("Attribute %(label)s deleted.") % {"label": definition.label})
        return redirect("manage:contact-attributes")
    context = {
        "section": "contact-attributes",
        "definition": definition,
        "values": contact_attribute_values_count(definition=definition),
    }
    return render(request, "contacts/manage/attribute_delete.html", context)
