"""The ticket panel next to the inbox: history, composer, actions. Each view fetches through a
selector and calls a service; an ``ApplicationError`` answers its status with the message in
``X-Error-Message`` (dashboard.js shows it), so nothing fails silently."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.requests import AuthenticatedHttpRequest
from accounts.selectors import users_active
from channels_integrations.errors import TemplateNotFound
from channels_integrations.models import MessageTemplate
from channels_integrations.selectors import template_get, templates_list
from channels_integrations.services.outbound import outbound_delivery_retry
from channels_integrations.services.templates import (
    contact_field_values,
    template_parameter_defaults,
    template_parameter_label,
    template_parameters,
    template_render_text,
    template_send,
)
from connections.providers.registry import provider_for, provider_installed
from core.exceptions import ApplicationError
from dashboard.htmx import htmx_partial
from dashboard.templatetags.message_actions import message_actions
from tickets.errors import (
    MessageNotEditable,
    MessageNotForwardable,
    TicketNotFound,
    VoiceNoteNotAudio,
)
from tickets.free_text_window import free_text_window_check, ticket_free_text_window
from tickets.media import ALLOWED_MIME_TYPES
from tickets.models import Message, Ticket, TicketEvent
from tickets.selectors import (
    message_on_ticket,
    messages_of_ticket,
    messages_scheduled_of,
    queues_for,
    quick_replies_for,
    quick_reply_get_for,
    ticket_detail_for_agent,
    ticket_events_of,
    ticket_get_for_agent,
    ticket_list_for_inbox,
)
from tickets.services.messages import (
    message_delete,
    message_edit,
    message_forward,
    message_react,
    message_schedule_cancel,
    message_send,
    note_add,
)
from tickets.services.quick_replies import quick_reply_file, quick_reply_render
from tickets.services.tickets import (
    ticket_accept,
    ticket_close,
    ticket_open_by,
    ticket_permissions,
    ticket_reopen,
    ticket_return_to_queue,
    ticket_transfer,
)
from tickets.voice_notes import voice_note_file

HISTORY_PAGE = 40
TIMELINE_KINDS = (
    TicketEvent.Kind.ACCEPTED,
    TicketEvent.Kind.TRANSFERRED,
    TicketEvent.Kind.RETURNED,
    TicketEvent.Kind.AUTO_ASSIGNED,
    TicketEvent.Kind.CLOSED,
    TicketEvent.Kind.AUTO_CLOSED,
    TicketEvent.Kind.REOPENED,
    TicketEvent.Kind.TAG_ADDED,
    TicketEvent.Kind.TAG_REMOVED,
    TicketEvent.Kind.CONTACT_MERGED,
    TicketEvent.Kind.BOT,
)


def _error(exc: ApplicationError) -> HttpResponse:
    response = HttpResponse(exc.message, status=exc.http_status, content_type="text/plain")
    response["X-Error-Message"] = quote(exc.message)
    return response


def _ticket(request: AuthenticatedHttpRequest, ticket_id: str) -> Ticket:
    try:
        return ticket_detail_for_agent(user=request.user, public_id=ticket_id)
    except TicketNotFound as exc:
        raise Http404 from exc


def _history(ticket: Ticket, before: Message | None = None) -> tuple[list[Any], bool]:
    """Messages (oldest first) and the timeline events of the same period, merged; whether older
    messages exist."""
    page = list(messages_of_ticket(ticket=ticket, before=before)[: HISTORY_PAGE + 1])
    more = len(page) > HISTORY_PAGE
    messages = list(reversed(page[:HISTORY_PAGE]))
    events = ticket_events_of(ticket=ticket).filter(kind__in=TIMELINE_KINDS).select_related("actor")
    if messages and more:
        events = events.filter(created_at__gte=messages[0].created_at)
    if before is not None:
        events = events.filter(created_at__lt=before.created_at)
    items: list[Any] = [*messages, *events]
    items.sort(key=lambda item: (item.created_at, isinstance(item, Message)))
    return items, more


def _voice_formats(ticket: Ticket) -> dict[str, str]:
    """What the composer's recorder tells the agent before sending: the audio formats the
    ticket's channel plays as a voice note and those it accepts at all (space-separated; every
    audio type we store when the channel takes any file), and the channel's name."""
    key = ticket.connection.provider
    if not provider_installed(key):
        return {"voice": "", "audio": "", "channel": key}
    provider = provider_for(key)
    accepted = provider.audio_mime_types
    if accepted is None:
        accepted = frozenset(m for m, kind in ALLOWED_MIME_TYPES.items() if kind == "audio")
    return {
        "voice": " ".join(sorted(provider.voice_note_mime_types)),
        "audio": " ".join(sorted(accepted)),
        "channel": str(provider.label),
    }


# Notes are text only: a file attached in note mode would be lost, so it is refused.
NOTE_WITHOUT_FILES = gettext_lazy("An internal note has no attachments: remove the file first.")


def _voice_format_check(ticket: Ticket, media: Any) -> None:
    """Refuse a recording the ticket's channel does not take (the composer says so before
    sending; this holds when the page is bypassed)."""
    mime = str(getattr(media, "content_type", "") or "").split(";")[0].strip().lower()
    if mime not in _voice_formats(ticket)["audio"].split():
        raise ApplicationError(
            _("This channel does not accept this recording's format (%(format)s).")
            % {"format": mime},
            code="voice_note_format_refused",
        )


def _panel_context(request: AuthenticatedHttpRequest, ticket: Ticket) -> dict[str, Any]:
    user = request.user
    items, more = _history(ticket)
    permissions = ticket_permissions(ticket=ticket, user=user)
    context: dict[str, Any] = {
        "ticket": ticket,
        "items": items,
        "more": more,
        "oldest": next((i for i in items if isinstance(i, Message)), None),
        "can": permissions,
        "now": timezone.now(),
        "scheduled": list(messages_scheduled_of(ticket=ticket)),
    }
    if permissions["send_message"]:
        context["voice"] = _voice_formats(ticket)
        window = ticket_free_text_window(ticket, connection=ticket.connection)
        context["window"] = window
        if window.templates_only:
            # Outside WhatsApp's window the composer offers the approved templates only.
            context["templates"] = list(
                templates_list(user=user, connection=ticket.connection).filter(
                    status=MessageTemplate.Status.APPROVED
                )
            )
    if permissions["transfer"]:
        context["agents"] = list(users_active().order_by("name"))
        context["queues"] = list(queues_for(user).prefetch_related(None).order_by("name"))
    return context


@login_required
@require_GET
def panel(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """The panel fragment; a plain visit goes to the inbox with the ticket open."""
    if not htmx_partial(request):
        return redirect(f"{reverse('tickets:inbox')}?ticket={ticket_id}")
    try:
        ticket = _ticket(request, ticket_id)
    except Http404:  # missing or not visible: the same answer, and nothing of the ticket
        return render(request, "tickets/partials/_panel_gone.html", {})
    ticket_open_by(ticket=ticket, by=request.user)  # only its assigned agent reads it
    return render(request, "tickets/partials/_panel.html", _panel_context(request, ticket))


@login_required
@require_GET
def panel_header(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """The header (status, assignee, actions) alone: refreshed on live ticket changes without
    touching what the agent is typing."""
    ticket = _ticket(request, ticket_id)
    return render(request, "tickets/partials/_panel_header.html", _panel_context(request, ticket))


@login_required
@require_GET
def history(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """Older messages (infinite scroll upward): ``?before=<message id>``."""
    ticket = _ticket(request, ticket_id)
    before = message_on_ticket(ticket=ticket, public_id=request.GET.get("before", ""))
    if before is None:
        raise Http404
    items, more = _history(ticket, before)
    oldest = next((i for i in items if isinstance(i, Message)), None)
    context = {"ticket": ticket, "items": items, "more": more, "oldest": oldest}
    context["can"] = ticket_permissions(ticket=ticket, user=request.user)
    return render(request, "tickets/partials/_history_page.html", context)


@login_required
@require_GET
def message_fragment(
    request: AuthenticatedHttpRequest, ticket_id: str, message_id: str
) -> HttpResponse:
    """One message as the panel shows it (live updates fetch it)."""
    ticket = _ticket(request, ticket_id)
    message = message_on_ticket(ticket=ticket, public_id=message_id)
    if message is None:
        raise Http404
    return _message(request, ticket, message)


def _message(
    request: AuthenticatedHttpRequest, ticket: Ticket, message: Message, mode: str = ""
) -> HttpResponse:
    """One message's fragment, with what the agent may do on it and its ticket; ``mode`` opens
    its edit or forward form in place."""
    can = ticket_permissions(ticket=ticket, user=request.user)
    context = {"message": message, "ticket": ticket, "can": can, "mode": mode}
    return render(request, "tickets/partials/_message.html", context)


def _ticket_message(
    request: AuthenticatedHttpRequest, ticket_id: str, message_id: str
) -> tuple[Ticket, Message]:
    """The ticket (one the agent may see) and one of its messages; 404 otherwise."""
    ticket = _ticket(request, ticket_id)
    message = message_on_ticket(ticket=ticket, public_id=message_id)
    if message is None:
        raise Http404
    return ticket, message


def _changed(response: HttpResponse, message: Message, notice: str = "") -> HttpResponse:
    """Tell the page that ``message`` was added or changed (it fetches its fragment), and
    show ``notice`` when given."""
    trigger: dict[str, Any] = {"tt:message-changed": {"message": str(message.public_id)}}
    if notice:
        trigger["tt:notice"] = {"message": notice}
    response["HX-Trigger"] = json.dumps(trigger)
    return response


class MessageEditForm(forms.Form):
    body = forms.CharField(max_length=4096, strip=False)


@login_required
@require_http_methods(["GET", "POST"])
def message_edit_view(
    request: AuthenticatedHttpRequest, ticket_id: str, message_id: str
) -> HttpResponse:
    """GET: the message with its edit form in place. POST: save the new text
    (``message_edit``: the customer's copy changes where the channel can)."""
    ticket, message = _ticket_message(request, ticket_id, message_id)
    can = ticket_permissions(ticket=ticket, user=request.user)
    if not message_actions(message, ticket, request.user, can).edit:
        return _error(MessageNotEditable())
    if request.method == "GET":
        return _message(request, ticket, message, mode="edit")
    form = MessageEditForm(request.POST)
    if not form.is_valid():
        reason = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _error(ApplicationError(reason, code="validation_error"))
    try:
        message = message_edit(message=message, by=request.user, body=form.cleaned_data["body"])
    except ApplicationError as exc:
        return _error(exc)
    return _message(request, ticket, message)


@login_required
@require_POST
def message_delete_view(
    request: AuthenticatedHttpRequest, ticket_id: str, message_id: str
) -> HttpResponse:
    """Delete a message (``message_delete``: the author or an admin; the customer's copy goes
    too where the channel can); answers its fragment, shown as deleted."""
    ticket, message = _ticket_message(request, ticket_id, message_id)
    try:
        message = message_delete(message=message, by=request.user)
    except ApplicationError as exc:
        return _error(exc)
    return _message(request, ticket, message)


@login_required
@require_POST
def message_react_view(
    request: AuthenticatedHttpRequest, ticket_id: str, message_id: str
) -> HttpResponse:
    """React to a customer's message with one of the channel's emoji (``message_react``);
    answers the message's fragment and has the page fetch the reaction."""
    ticket, message = _ticket_message(request, ticket_id, message_id)
    try:
        reaction = message_react(
            message=message, by=request.user, emoji=request.POST.get("emoji", "")
        )
    except ApplicationError as exc:
        return _error(exc)
    return _changed(_message(request, ticket, message), reaction)


FORWARD_TARGETS = 8


@login_required
@require_http_methods(["GET", "POST"])
def message_forward_view(
    request: AuthenticatedHttpRequest, ticket_id: str, message_id: str
) -> HttpResponse:
    """GET: the message with its forward form in place. POST ``ticket=<id>``: send a copy to
    that ticket's customer (``message_forward``, the same sending rules as a reply)."""
    ticket, message = _ticket_message(request, ticket_id, message_id)
    can = ticket_permissions(ticket=ticket, user=request.user)
    if not message_actions(message, ticket, request.user, can).forward:
        return _error(MessageNotForwardable())
    if request.method == "GET":
        return _message(request, ticket, message, mode="forward")
    target_id = request.POST.get("ticket", "")
    try:
        target = ticket_get_for_agent(user=request.user, public_id=target_id)
        message_forward(message=message, to_ticket=target, by=request.user)
    except ApplicationError as exc:
        return _error(exc)
    notice = _("Forwarded to %(contact)s (#%(protocol)s).") % {
        "contact": target.contact.name or target.contact.phone,
        "protocol": target.protocol,
    }
    return _changed(_message(request, ticket, message), message, notice)


@login_required
@require_GET
def forward_targets(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """The open tickets the agent may send on (their own; every one for admins) whose contact,
    phone, protocol or messages match ``?q=``, for the forward form."""
    ticket = _ticket(request, ticket_id)
    user = request.user
    query = request.GET.get("q", "").strip()[:100]
    targets: list[Ticket] = []
    if query:
        targets = list(
            ticket_list_for_inbox(
                user=user,
                status=[Ticket.Status.OPEN],
                assignee=None if user.is_admin else "me",
                search=query,
            )
            .exclude(pk=ticket.pk)
            .prefetch_related(None)
            .order_by("-last_message_at", "-id")[:FORWARD_TARGETS]
        )
    context = {"targets": targets, "query": query, "ticket": ticket}
    return render(request, "tickets/partials/_forward_targets.html", context)


def _scheduled(request: AuthenticatedHttpRequest, ticket: Ticket) -> HttpResponse:
    context = {"ticket": ticket, "scheduled": list(messages_scheduled_of(ticket=ticket))}
    return render(request, "tickets/partials/_scheduled.html", context)


@login_required
@require_GET
def scheduled_list(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """The ticket's scheduled messages not sent yet (refreshed on live message events)."""
    return _scheduled(request, _ticket(request, ticket_id))


@login_required
@require_POST
def scheduled_cancel(
    request: AuthenticatedHttpRequest, ticket_id: str, message_id: str
) -> HttpResponse:
    """Cancel a scheduled message before it is sent (``message_schedule_cancel``: its author
    or an admin); answers the list without it."""
    ticket, message = _ticket_message(request, ticket_id, message_id)
    try:
        message = message_schedule_cancel(message=message, by=request.user)
    except ApplicationError as exc:
        return _error(exc)
    return _changed(_scheduled(request, ticket), message)


@login_required
@require_POST
def message_retry(
    request: AuthenticatedHttpRequest, ticket_id: str, message_id: str
) -> HttpResponse:
    """The "Try again" of a failed reply: it goes back through the outbound pipeline; answers the
    message's fragment, queued again."""
    ticket = _ticket(request, ticket_id)
    message = message_on_ticket(ticket=ticket, public_id=message_id)
    if message is None:
        raise Http404
    try:
        message = outbound_delivery_retry(message=message, by=request.user)
    except ApplicationError as exc:
        return _error(exc)
    return _message(request, ticket, message)


class ComposerForm(forms.Form):
    body = forms.CharField(required=False, max_length=4096, strip=False)
    note = forms.BooleanField(required=False)
    quoted = forms.UUIDField(required=False)
    scheduled_at = forms.DateTimeField(
        required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
    )
    file = forms.FileField(required=False)
    # The file is a recording made in the composer: sent as a voice note where the channel can.
    voice_note = forms.BooleanField(required=False)
    # A quick reply picked in the composer: its file goes with the text unless a file is attached.
    quick_reply = forms.IntegerField(required=False, min_value=1)


@login_required
@require_POST
def message_create(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """Send a reply (text, file, quoting a message, now or later) or add an internal note;
    answers the stored message's fragment (the live event later replaces it in place)."""
    ticket = _ticket(request, ticket_id)
    user = request.user
    form = ComposerForm(request.POST, request.FILES)
    if not form.is_valid():
        reason = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _error(ApplicationError(reason, code="validation_error"))
    data = form.cleaned_data
    try:
        if data["note"]:
            if data["file"] is not None or data["voice_note"]:
                raise ApplicationError(str(NOTE_WITHOUT_FILES), code="note_file_not_allowed")
            message = note_add(ticket=ticket, by=user, body=data["body"])
        else:
            quoted = (
                message_on_ticket(ticket=ticket, public_id=data["quoted"])
                if data["quoted"]
                else None
            )
            scheduled: datetime | None = data["scheduled_at"]
            media = data["file"]
            if data["voice_note"]:
                if media is None:
                    raise VoiceNoteNotAudio()
                media = voice_note_file(media)
                _voice_format_check(ticket, media)
            elif media is None and data["quick_reply"]:
                reply = quick_reply_get_for(user=user, pk=data["quick_reply"])
                media = quick_reply_file(quick_reply=reply)
            free_text_window_check(ticket, connection=ticket.connection)
            message = message_send(
                ticket=ticket,
                by=user,
                body=data["body"],
                media=media,
                quoted=quoted,
                scheduled_at=scheduled,
                voice_note=data["voice_note"],
            )
    except ApplicationError as exc:
        return _error(exc)
    return _message(request, ticket, message)


# ---------------------------------------------------------------- message templates

TEMPLATE_PARAMETER_PREFIX = "p:"


def _ticket_template(request: AuthenticatedHttpRequest, ticket: Ticket) -> MessageTemplate | None:
    """The approved template of the ticket's connection the form names (``template``), or None
    when none is chosen; 404 for another connection's or a missing one."""
    public_id = request.GET.get("template") or request.POST.get("template") or ""
    if not public_id:
        return None
    try:
        template = template_get(user=request.user, public_id=public_id)
    except TemplateNotFound as exc:
        raise Http404 from exc
    if template.connection_id != ticket.connection_id or not template.is_approved:
        raise Http404
    return template


def _template_values(data: Any) -> dict[str, str]:
    return {
        key.removeprefix(TEMPLATE_PARAMETER_PREFIX): str(value)
        for key, value in data.items()
        if key.startswith(TEMPLATE_PARAMETER_PREFIX)
    }


@login_required
@require_GET
def template_fields(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """The chosen template's parameters to fill, prefilled from the contact's fields where a
    parameter is named after one, with the contact's values as suggestions, and its preview."""
    ticket = _ticket(request, ticket_id)
    template = _ticket_template(request, ticket)
    if template is None:
        return HttpResponse("")
    defaults = template_parameter_defaults(template, ticket.contact)
    fields = [
        {
            "parameter": parameter,
            "name": f"{TEMPLATE_PARAMETER_PREFIX}{parameter.key}",
            "label": template_parameter_label(parameter),
            "value": defaults.get(parameter.key, ""),
        }
        for parameter in template_parameters(template)
    ]
    context = {
        "ticket": ticket,
        "template": template,
        "fields": fields,
        "suggestions": contact_field_values(ticket.contact),
        "preview": template_render_text(template, defaults),
    }
    return render(request, "tickets/partials/_template_fields.html", context)


@login_required
@require_GET
def template_preview(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """The text the customer will read, with what the agent filled so far."""
    ticket = _ticket(request, ticket_id)
    template = _ticket_template(request, ticket)
    if template is None:
        return HttpResponse("")
    text = template_render_text(template, _template_values(request.GET))
    return render(request, "tickets/partials/_template_preview.html", {"preview": text})


@login_required
@require_POST
def template_message_create(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """Send the chosen approved template with its parameters through the outbound pipeline;
    answers the stored message's fragment, like a reply."""
    ticket = _ticket(request, ticket_id)
    try:
        template = _ticket_template(request, ticket)
        if template is None:
            raise ApplicationError(_("Choose a template."), code="validation_error")
        message = template_send(
            ticket=ticket,
            by=request.user,
            template=template,
            parameters=_template_values(request.POST),
        )
    except ApplicationError as exc:
        fields = exc.extra.get("fields")
        if isinstance(fields, dict) and fields:
            details = "; ".join(f"{key}: {' '.join(map(str, v))}" for key, v in fields.items())
            exc = ApplicationError(f"{exc.message} {details}", code=exc.code)
        return _error(exc)
    return _message(request, ticket, message)


@login_required
@require_GET
def quick_replies(request: AuthenticatedHttpRequest, ticket_id: str) -> HttpResponse:
    """The quick replies whose shortcode starts with what follows "/" in the composer, each
    already rendered for this ticket and agent."""
    ticket = _ticket(request, ticket_id)
    user = request.user
    replies = list(quick_replies_for(user, prefix=request.GET.get("q", "").strip())[:8])
    options = [
        {"reply": reply, "text": quick_reply_render(quick_reply=reply, ticket=ticket, agent=user)}
        for reply in replies
    ]
    return render(request, "tickets/partials/_quick_replies.html", {"options": options})


def _transfer(request: AuthenticatedHttpRequest, ticket: Ticket) -> Ticket:
    user = request.user
    queue_id, agent_id = request.POST.get("queue", ""), request.POST.get("agent", "")
    to_queue = queues_for(user).filter(pk=queue_id).first() if queue_id.isdigit() else None
    to_agent = users_active().filter(pk=agent_id).first() if agent_id.isdigit() else None
    if to_queue is None and to_agent is None:
        raise ApplicationError(_("Choose a queue or an agent."), code="transfer_target_required")
    return ticket_transfer(
        ticket=ticket,
        by=user,
        to_queue=to_queue,
        to_agent=to_agent,
        note=request.POST.get("note", ""),
    )


ACTIONS: dict[str, Callable[[AuthenticatedHttpRequest, Ticket], Ticket]] = {
    "accept": lambda request, ticket: ticket_accept(ticket=ticket, by=request.user),
    "close": lambda request, ticket: ticket_close(ticket=ticket, by=request.user),
    "reopen": lambda request, ticket: ticket_reopen(ticket=ticket, by=request.user),
    "return": lambda request, ticket: ticket_return_to_queue(ticket=ticket, by=request.user),
    "transfer": _transfer,
}


@login_required
@require_POST
def ticket_action(request: AuthenticatedHttpRequest, ticket_id: str, action: str) -> HttpResponse:
    """Accept, close, reopen, return to the queue or transfer; answers the re-rendered panel
    (404 when the agent may no longer see the ticket afterwards: the page clears it)."""
    if action not in ACTIONS:
        raise Http404
    ticket = _ticket(request, ticket_id)
    try:
        ACTIONS[action](request, ticket)
    except ApplicationError as exc:
        return _error(exc)
    try:
        ticket = _ticket(request, ticket_id)
    except Http404:
        return _gone_after(action, ticket, ticket_id, request)
    # The re-rendered panel is the conversation opened by its agent now (an accept, a reopen).
    ticket_open_by(ticket=ticket, by=request.user)
    return render(request, "tickets/partials/_panel.html", _panel_context(request, ticket))


def _gone_after(
    action: str, ticket: Ticket, ticket_id: str, request: AuthenticatedHttpRequest
) -> HttpResponse:
    """The panel after an action took the ticket out of the agent's sight (a transfer to a
    queue they are not in): an explanation, and an ``HX-Trigger`` the page answers with a toast,
    the row's removal and the end of the viewing mark."""
    if action == "transfer":
        ticket.refresh_from_db(fields=["queue", "assignee"])
        target = ticket.assignee or ticket.queue
        text = _("Ticket transferred to %(target)s. It left your inbox.") % {
            "target": str(target) if target is not None else "—"
        }
    else:
        text = _("This ticket is no longer in your inbox.")
    response = render(request, "tickets/partials/_panel_gone.html", {"text": text})
    response["HX-Trigger"] = json.dumps(
        {"tt:ticket-gone": {"ticket": str(ticket_id), "message": text}}
    )
    return response
