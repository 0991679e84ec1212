"""New conversation ("demanda ativa"): the agent picks a contact (search) or types a phone
number, picks one of the connections that can carry a first message to them now (the others
are listed with the channel's reason), writes the message and sends. The ticket opens in the
inbox; a contact's ticket already active on the chosen connection is opened instead."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.requests import AuthenticatedHttpRequest
from channels_integrations.models import MessageTemplate
from channels_integrations.selectors import templates_list
from channels_integrations.services.templates import (
    template_conversation_start,
    template_parameter_defaults,
    template_parameter_label,
    template_parameters,
)
from contacts.errors import ContactNotFound
from contacts.models import Contact
from contacts.phone_numbers import phone_normalize, tenant_phone_region
from contacts.selectors import contact_get_for_user, contact_list_for_user
from core.exceptions import ApplicationError
from dashboard.htmx import form_add_service_error
from tickets.errors import ActiveTicketExists
from tickets.services.conversations import (
    ConversationOption,
    conversation_contact_for_phone,
    conversation_options,
    conversation_start,
)

SEARCH_RESULTS = 20


class ConversationForm(forms.Form):
    connection = forms.UUIDField(
        label=gettext_lazy("Channel"),
        error_messages={"required": gettext_lazy("Choose the channel.")},
    )
    body = forms.CharField(
        label=gettext_lazy("First message"),
        max_length=4096,
        widget=forms.Textarea(attrs={"rows": 4, "data-testid": "conversation-body"}),
        error_messages={"required": gettext_lazy("Write the first message.")},
    )


def _inbox_with(ticket_id: object) -> str:
    return f"{reverse('tickets:inbox')}?ticket={ticket_id}"


def _who(request: AuthenticatedHttpRequest, source: Any) -> tuple[Contact | None, str, str]:
    """The chosen contact, the typed phone (E.164 when it reads as one) and an error to show
    next to the phone field."""
    contact_id = str(source.get("contact", "")).strip()
    phone = str(source.get("phone", "")).strip()[:32]
    if contact_id:
        try:
            return contact_get_for_user(user=request.user, public_id=contact_id), "", ""
        except ContactNotFound:
            return None, "", ""
    if not phone:
        return None, "", ""
    try:
        normalized = phone_normalize(phone, region=tenant_phone_region())
    except ApplicationError as exc:
        return None, "", exc.message
    contact = conversation_contact_for_phone(user=request.user, phone=normalized)
    return (contact, "", "") if contact is not None else (None, normalized, "")


TEMPLATE_PARAMETER_PREFIX = "p:"


def _template_start(
    request: AuthenticatedHttpRequest, contact: Contact | None, phone: str
) -> dict[str, Any]:
    """The approved templates of the connections that can start a conversation with a
    template now (WhatsApp Cloud outside its window too), the one chosen (``template``) with
    its parameters to fill, prefilled from the contact, and what a POST of it refused."""
    source = request.POST if request.method == "POST" else request.GET
    reachable = [
        o.connection
        for o in conversation_options(contact=contact, template=True)
        if o.available and o.connection.provider == "whatsapp_cloud"
    ]
    templates = list(
        templates_list(user=request.user).filter(
            connection__in=reachable, status=MessageTemplate.Status.APPROVED
        )
    )
    chosen = next((t for t in templates if str(t.public_id) == source.get("template")), None)
    context: dict[str, Any] = {"templates": templates, "template": chosen, "template_fields": []}
    if chosen is None:
        return context
    defaults = template_parameter_defaults(chosen, contact) if contact is not None else {}
    posted = {
        key.removeprefix(TEMPLATE_PARAMETER_PREFIX): str(value)
        for key, value in request.POST.items()
        if key.startswith(TEMPLATE_PARAMETER_PREFIX)
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            context["started"] = template_conversation_start(
                by=request.user,
                template=chosen,
                parameters=posted,
                contact=contact,
                phone=phone,
            )
        except ActiveTicketExists as exc:
            context["active_ticket_id"] = exc.extra.get("ticket_id", "")
        except ApplicationError as exc:
            fields = exc.extra.get("fields")
            errors = fields if isinstance(fields, dict) else {}
            context["template_error"] = "" if errors else exc.message
    context["template_fields"] = [
        {
            "parameter": parameter,
            "name": f"{TEMPLATE_PARAMETER_PREFIX}{parameter.key}",
            "label": template_parameter_label(parameter),
            "value": posted.get(parameter.key, defaults.get(parameter.key, "")),
            "errors": errors.get(parameter.key, []),
        }
        for parameter in template_parameters(chosen)
    ]
    return context


@login_required
def conversation_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    contact, phone, phone_error = _who(request, source)
    chosen = contact is not None or bool(phone)
    options: list[ConversationOption] = []
    by_template = request.method == "POST" and "template" in request.POST
    start: dict[str, Any] = {}
    if chosen:
        start = _template_start(request, contact, phone)
        if start.get("started") is not None:
            return redirect(_inbox_with(start["started"].public_id))
        if start.get("active_ticket_id"):
            messages.info(request, _("This contact already has an open ticket on this channel."))
            return redirect(_inbox_with(start["active_ticket_id"]))
    form = ConversationForm(
        request.POST if request.method == "POST" and chosen and not by_template else None
    )
    if chosen:
        options = conversation_options(contact=contact)
    if form.is_bound and form.is_valid():
        option = next(
            (o for o in options if o.connection.public_id == form.cleaned_data["connection"]),
            None,
        )
        if option is None:
            form.add_error("connection", _("Choose the channel."))
        else:
            try:
                ticket = conversation_start(
                    by=request.user,
                    connection=option.connection,
                    body=form.cleaned_data["body"],
                    contact=contact,
                    phone=phone,
                )
            except ActiveTicketExists as exc:
                messages.info(
                    request, _("This contact already has an open ticket on this channel.")
                )
                return redirect(_inbox_with(exc.extra.get("ticket_id", "")))
            except ApplicationError as exc:
                form_add_service_error(form, exc)
            else:
                return redirect(_inbox_with(ticket.public_id))
    search = request.GET.get("q", "").strip()[:100] if not chosen else ""
    results = (
        list(contact_list_for_user(user=request.user, search=search)[:SEARCH_RESULTS])
        if search
        else []
    )
    context = {
        "contact": contact,
        "phone": phone,
        "phone_input": str(source.get("phone", ""))[:32],
        "phone_error": phone_error,
        "search": search,
        "results": results,
        "searched": bool(search),
        "options": options,
        "available": [o for o in options if o.available],
        "form": form,
        **start,
    }
    refused = by_template and (start.get("template_error") or start.get("template") is None)
    has_errors = any(f["errors"] for f in start.get("template_fields", []))
    status = 400 if (form.is_bound and form.errors) or refused or has_errors else 200
    return render(request, "tickets/conversation_new.html", context, status=status)
