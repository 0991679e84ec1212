"""Admin pages for users, queues, quick replies and the tenant's settings. Short views: a
selector, a form for the shape, the service for the rules; a service's refusal is shown next to
the field it names (``form_add_service_error``) with status 400, and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.presence import AWAY, OFFLINE, ONLINE, presence_statuses_shown
from accounts.requests import AuthenticatedHttpRequest
from accounts.services import user_password_reset_by_admin
from accounts.two_factor import (
    two_factor_enabled,
    two_factor_reset_by_admin,
    users_with_two_factor_flag,
)
from automation.selectors.business_hours import queues_open_at
from core.exceptions import ApplicationError
from dashboard.decorators import admin_required
from dashboard.htmx import form_add_service_error, htmx_partial
from dashboard.manage.forms import (
    QueueDeleteForm,
    QueueForm,
    QuickReplyForm,
    SettingsForm,
    UserForm,
)
from tenants.services import tenant_locale_update, tenant_settings_update
from tenants.tenancy import current_tenant
from tenants.tenant_settings import settings_with_defaults
from tickets.errors import QueueNotFound, QuickReplyNotFound, UserNotFound
from tickets.models import Queue
from tickets.selectors import (
    queue_get_for,
    queues_for,
    quick_replies_for,
    quick_reply_get_for,
    user_get,
    users_for_admin,
)
from tickets.services.agents import agent_create, agent_deactivate, agent_reactivate, agent_update
from tickets.services.queues import queue_create, queue_delete, queue_members_set, queue_update
from tickets.services.quick_replies import (
    quick_reply_create,
    quick_reply_delete,
    quick_reply_update,
)

T = TypeVar("T")


# The /manage/ index: one card per page, in the order of the menu; ``admin`` pages are shown to
# admins only. A page is listed here only once it exists.
MANAGE_PAGES: list[dict[str, Any]] = [
    {
        "url": "manage:users",
        "title": gettext_lazy("Users"),
        "text": gettext_lazy(
            "Invite agents, choose their queues and roles, let them sign in or not."
        ),
        "admin": True,
    },
    {
        "url": "manage:queues",
        "title": gettext_lazy("Queues"),
        "text": gettext_lazy("Where tickets wait: names, colours, greetings and members."),
        "admin": True,
    },
    {
        "url": "manage:tags",
        "title": gettext_lazy("Tags"),
        "text": gettext_lazy("Labels for contacts, used to filter the inbox."),
        "admin": True,
    },
    {
        "url": "manage:contact-attributes",
        "title": gettext_lazy("Contact attributes"),
        "text": gettext_lazy(
            "Fields of your own on every contact: what they are and their choices."
        ),
        "admin": True,
    },
    {
        "url": "manage:business-hours",
        "title": gettext_lazy("Business hours"),
        "text": gettext_lazy(
            "When the team answers, holidays, and the message customers get out of hours."
        ),
        "admin": True,
    },
    {
        "url": "manage:quick-replies",
        "title": gettext_lazy("Quick replies"),
        "text": gettext_lazy("Ready answers typed with / in the composer."),
        "admin": False,
    },
    {
        "url": "manage:connections",
        "title": gettext_lazy("Connections"),
        "text": gettext_lazy(
            "WhatsApp, Telegram, Instagram, Messenger and the web chat of your site."
        ),
        "admin": True,
    },
    {
        "url": "manage:templates",
        "title": gettext_lazy("Message templates"),
        "text": gettext_lazy(
            "WhatsApp's approved messages: to start conversations and write after 24 hours."
        ),
        "admin": True,
    },
    {
        "url": "manage:inbound",
        "title": gettext_lazy("Inbound events"),
        "text": gettext_lazy(
            "Messages the channels sent that failed or could not be read: why, and retry."
        ),
        "admin": True,
    },
    {
        "url": "manage:flows",
        "title": gettext_lazy("Chatbot flows"),
        "text": gettext_lazy(
            "Build the bot that greets customers, shows menus and hands tickets over."
        ),
        "admin": True,
    },
    {
        "url": "manage:api-keys",
        "title": gettext_lazy("API keys"),
        "text": gettext_lazy("Keys for your systems to use the API, each with its scopes."),
        "admin": True,
    },
    {
        "url": "manage:webhooks",
        "title": gettext_lazy("Webhooks"),
        "text": gettext_lazy("Signed notices to your systems when things happen, with their log."),
        "admin": True,
    },
    {
        "url": "manage:privacy",
        "title": gettext_lazy("Data rights (LGPD)"),
        "text": gettext_lazy(
            "Contacts' data exports and erasures with their deadlines, and how long "
            "conversations are kept."
        ),
        "admin": True,
    },
    {
        "url": "manage:settings",
        "title": gettext_lazy("Settings"),
        "text": gettext_lazy("How tickets open and close, and the company's defaults."),
        "admin": True,
    },
    {
        "url": "manage:audit",
        "title": gettext_lazy("Audit log"),
        "text": gettext_lazy(
            "Who did what and when: sign-ins, changes to users, settings and connections, "
            "exports and deletions."
        ),
        "admin": True,
    },
    {
        "url": "manage:style",
        "title": gettext_lazy("Style guide"),
        "text": gettext_lazy(
            "Every colour and component of the dashboard, in the current theme, for new pages."
        ),
        "admin": True,
    },
]


@login_required
def manage_index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Cards to each administration page the user may open."""
    pages = [page for page in MANAGE_PAGES if request.user.is_admin or not page["admin"]]
    return render(request, "manage/index.html", {"section": "index", "pages": pages})


# The colours /manage/style/ shows: css/tokens.css's --color-<name> for each name.
STYLE_COLOUR_TOKENS = (
    "bg",
    "surface",
    "surface-sunken",
    "fg",
    "muted",
    "border",
    "border-strong",
    "accent",
    "accent-soft",
    "danger",
    "danger-soft",
    "warn",
    "warn-soft",
    "success",
    "success-soft",
    "info",
    "note",
    "bubble-agent",
)


@admin_required
def style_guide(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The design system on one page: the tokens and each component with its class names."""
    return render(
        request, "manage/style.html", {"section": "style", "colour_tokens": STYLE_COLOUR_TOKENS}
    )


def _submit(
    request: AuthenticatedHttpRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], str],
    done: str,
) -> HttpResponse | None:
    """For a valid POSTed form: ``save`` its cleaned data through the services and redirect to
    ``done`` with the message ``save`` returns; a service's refusal goes next to the field it
    names instead (then None: the caller renders the form again, with status 400)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        message = save(form.cleaned_data)
    except ApplicationError as exc:
        form_add_service_error(form, exc)
        return None
    messages.success(request, message)
    return redirect(done)


def _or_404(fetch: Callable[[], T]) -> T:
    """The row a selector reads, or the page's 404 when it answers "not found" (missing, or
    not the caller's to see)."""
    try:
        return fetch()
    except (QueueNotFound, QuickReplyNotFound, UserNotFound) as exc:
        raise Http404 from exc


def _page(
    request: AuthenticatedHttpRequest, template: str, context: dict[str, Any], form: Any
) -> HttpResponse:
    status = 400 if request.method == "POST" and form is not None and form.errors else 200
    return render(request, template, context, status=status)


# ---------------------------------------------------------------- queues


def _queue_save(data: dict[str, Any], *, by: User, queue: Queue | None = None) -> Queue:
    """Create the queue (``queue`` None) or update it from the form's data, then set its
    members; the services refuse what breaks their rules."""
    names = ("name", "color", "greeting_message", "is_active", "distribution", "agent_capacity")
    fields = {name: data[name] for name in names}
    fields["distribution"] = fields["distribution"] or Queue.Distribution.NONE
    if queue is None:
        queue = queue_create(by=by, **fields)
    else:
        queue_update(queue=queue, by=by, **fields)
    queue_members_set(queue=queue, agent_ids=[int(pk) for pk in data["members"]], by=by)
    return queue


def _queues_presence(queues: Sequence[Queue]) -> None:
    """Each queue's members with their status (``queue.people``: online first) and whether its
    business hours are open now (``queue.open_now``), in one Redis round trip and three
    queries whatever the number of queues."""
    members = {member.pk for queue in queues for member in queue.members.all()}
    statuses = presence_statuses_shown(sorted(members))
    opened = queues_open_at(queue_ids=[queue.pk for queue in queues], at=timezone.now())
    rank = {ONLINE: 0, AWAY: 1}
    for queue in queues:
        people = [(member, statuses.get(member.pk, OFFLINE)) for member in queue.members.all()]
        queue.people = sorted(people, key=lambda pair: rank.get(pair[1], 2))  # type: ignore[attr-defined]
        queue.open_now = opened[queue.pk]  # type: ignore[attr-defined]


@admin_required
def queue_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Queues with their agents; a form to add one."""
    user = request.user
    form = QueueForm(request.POST or None)

    def save(data: dict[str, Any]) -> str:
        queue = _queue_save(data, by=user)
        return _("Queue %(name)s created.") % {"name": queue.name}

    if saved := _submit(request, form, save, "manage:queues"):
        return saved
    queues = list(
        queues_for(user)
        .prefetch_related(None)
        .prefetch_related(
            Prefetch("members", queryset=User.objects.filter(is_active=True).order_by("name"))
        )
        .annotate(agents=Count("members"))
        .order_by("name")
    )
    _queues_presence(queues)
    context = {"section": "queues", "queues": queues, "form": form}
    return _page(request, "tickets/manage/queues.html", context, form)


@admin_required
def queue_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    queue = _or_404(lambda: queue_get_for(user=request.user, pk=pk))
    initial = {
        "name": queue.name,
        "color": queue.color,
        "greeting_message": queue.greeting_message,
        "is_active": queue.is_active,
        "distribution": queue.distribution,
        "agent_capacity": queue.agent_capacity,
        "members": [str(member.pk) for member in queue.members.all()],
    }
    form = QueueForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> str:
        _queue_save(data, by=user, queue=queue)
        return _("Queue %(name)s saved.") % {"name": queue.name}

    if saved := _submit(request, form, save, "manage:queues"):
        return saved
    context = {
        "section": "queues",
        "queue": queue,
        "form": form,
        "delete_form": QueueDeleteForm(queue=queue),
    }
    return _page(request, "tickets/manage/queue_edit.html", context, form)


@admin_required
@require_POST
def queue_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    queue = _or_404(lambda: queue_get_for(user=request.user, pk=pk))
    form = QueueDeleteForm(request.POST, queue=queue)
    if form.is_valid():
        move_to = Queue.objects.filter(pk=form.cleaned_data["move_to"]).first()
        try:
            moved = queue_delete(queue=queue, move_to=move_to, by=user)
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Queue %(name)s deleted; %(count)s tickets moved.")
                % {"name": queue.name, "count": moved},
            )
            return redirect("manage:queues")
    context = {
        "section": "queues",
        "queue": queue,
        "form": QueueForm(initial={"name": queue.name, "color": queue.color}),
        "delete_form": form,
    }
    return render(request, "tickets/manage/queue_edit.html", context, status=400)


# ---------------------------------------------------------------- quick replies


@login_required
def quick_reply_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everyone's shared replies and one's own; admins also create shared ones."""
    user = request.user
    form = QuickReplyForm(request.POST or None, request.FILES or None, can_share=user.is_admin)

    def save(data: dict[str, Any]) -> str:
        quick_reply_create(
            by=user,
            shortcode=data["shortcode"],
            body=data["body"],
            shared=bool(data.get("shared")),
            media=data["file"],
        )
        return _("Quick reply /%(code)s saved.") % {"code": data["shortcode"]}

    if saved := _submit(request, form, save, "manage:quick-replies"):
        return saved
    replies = quick_replies_for(user).select_related("owner")
    context = {"section": "quick-replies", "replies": replies, "form": form}
    return _page(request, "tickets/manage/quick_replies.html", context, form)


@login_required
def quick_reply_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    reply = _or_404(lambda: quick_reply_get_for(user=request.user, pk=pk))
    initial = {"shortcode": reply.shortcode, "body": reply.body}
    form = QuickReplyForm(
        request.POST or None, request.FILES or None, initial=initial, has_media=bool(reply.media)
    )

    def save(data: dict[str, Any]) -> str:
        quick_reply_update(
            quick_reply=reply,
            by=user,
            shortcode=data["shortcode"],
            body=data["body"],
            media=data["file"],
            remove_media=bool(data.get("remove_media")),
        )
        return _("Quick reply /%(code)s saved.") % {"code": reply.shortcode}

    if saved := _submit(request, form, save, "manage:quick-replies"):
        return saved
    context = {"section": "quick-replies", "reply": reply, "form": form}
    return _page(request, "tickets/manage/quick_reply_edit.html", context, form)


@login_required
@require_POST
def quick_reply_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reply = _or_404(lambda: quick_reply_get_for(user=request.user, pk=pk))
    try:
        quick_reply_delete(quick_reply=reply, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Quick reply /%(code)s deleted.") % {"code": reply.shortcode})
    return redirect("manage:quick-replies")


# ---------------------------------------------------------------- users


@admin_required
def user_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tenant's users, active or not; a form to add one."""
    admin = request.user
    form = UserForm(request.POST or None)

    def save(data: dict[str, Any]) -> str:
        created = agent_create(
            by=admin,
            email=data["email"],
            name=data["name"],
            password=data["password"],
            role=data["role"],
            queue_ids=[int(pk) for pk in data["queues"]],
        )
        if data["language"]:
            agent_update(user=created, by=admin, language=data["language"])
        return _("User %(name)s created.") % {"name": created.name}

    if saved := _submit(request, form, save, "manage:users"):
        return saved
    users = users_with_two_factor_flag(users_for_admin()).order_by("-is_active", "name")
    context = {"section": "users", "users": users, "form": form}
    return _page(request, "tickets/manage/users.html", context, form)


@admin_required
def user_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    admin = request.user
    member = _or_404(lambda: user_get(pk=pk))
    initial = {
        "name": member.name,
        "role": member.role,
        "language": member.language,
        "queues": [str(queue.pk) for queue in member.queues.all()],
    }
    form = UserForm(request.POST or None, initial=initial, editing=True)

    def save(data: dict[str, Any]) -> str:
        agent_update(
            user=member,
            by=admin,
            name=data["name"],
            role=data["role"],
            language=data["language"],
            queue_ids=[int(pk) for pk in data["queues"]],
        )
        return _("User %(name)s saved.") % {"name": data["name"]}

    if saved := _submit(request, form, save, "manage:users"):
        return saved
    context = {
        "section": "users",
        "member": member,
        "form": form,
        "member_two_factor": two_factor_enabled(member),
    }
    return _page(request, "tickets/manage/user_edit.html", context, form)


@admin_required
@require_POST
def user_active(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Deactivate or reactivate (the services refuse the last admin, open tickets, the limit)."""
    admin = request.user
    member = _or_404(lambda: user_get(pk=pk))
    try:
        if member.is_active:
            agent_deactivate(user=member, by=admin)
            messages.success(request, _("%(name)s can no longer sign in.") % {"name": member.name})
        else:
            agent_reactivate(user=member, by=admin)
            messages.success(request, _("%(name)s can sign in again.") % {"name": member.name})
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("manage:user", pk=member.pk)
    return redirect("manage:users")


@admin_required
@require_POST
def user_password_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Give a user a generated password, shown once in this answer and never again; their
    sessions end. htmx asks for the result fragment only."""
    member = _or_404(lambda: user_get(pk=pk))
    context: dict[str, Any] = {"member": member}
    status = 200
    try:
        context["new_password"] = user_password_reset_by_admin(user=member, by=request.user)
    except ApplicationError as exc:
        context["reset_error"] = exc.message
        status = 400
    if htmx_partial(request):
        response = render(request, "tickets/manage/_password_reset.html", context, status=status)
    else:
        initial = {
            "name": member.name,
            "role": member.role,
            "language": member.language,
            "queues": [str(queue.pk) for queue in member.queues.all()],
        }
        context |= {
            "section": "users",
            "form": UserForm(initial=initial, editing=True),
            "member_two_factor": two_factor_enabled(member),
        }
        response = render(request, "tickets/manage/user_edit.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_POST
def user_two_factor_reset(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Remove a user's authenticator and recovery codes (a lost phone); they are signed out
    everywhere and set it up again where the account requires it."""
    member = _or_404(lambda: user_get(pk=pk))
    try:
        two_factor_reset_by_admin(user=member, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Two-factor sign-in of %(name)s was reset.") % {"name": member.name or member.email},
        )
    return redirect("manage:user", pk=member.pk)


# ---------------------------------------------------------------- settings


@admin_required
def tenant_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The tenant's time zone, language and every available setting, typed; all or none."""
    tenant = current_tenant()
    initial = {
        **settings_with_defaults(tenant.settings or {}),
        "time_zone": tenant.time_zone,
        "language": tenant.language,
    }
    form = SettingsForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> str:
        values = dict(data)
        time_zone, language = values.pop("time_zone"), values.pop("language")
        with transaction.atomic():
            tenant_settings_update(tenant=tenant, values=values)
            tenant_locale_update(tenant=tenant, time_zone=time_zone, language=language)
        return _("Settings saved.")

    if saved := _submit(request, form, save, "manage:settings"):
        return saved
    return _page(
        request, "tickets/manage/settings.html", {"section": "settings", "form": form}, form
    )
