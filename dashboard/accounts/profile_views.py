"""The profile page: one's name, photo, language, signature and notifications, the password,
two-factor sign-in (``two_factor_views``) and the devices signed in. Each form posts to its own
URL and comes back to the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.errors import LoginThrottled
from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from accounts.selectors import user_avatar_get
from accounts.services import (
    user_avatar_remove,
    user_avatar_set,
    user_password_change,
    user_profile_update,
)
from accounts.sessions import user_sessions, user_sessions_end
from core.client_ip import client_ip
from core.exceptions import ApplicationError
from dashboard.accounts.forms import PasswordChangeForm, ProfileForm
from dashboard.accounts.two_factor_views import two_factor_context
from dashboard.htmx import form_add_service_error
from tickets.errors import MediaNotFound
from tickets.media import file_response


def _initial(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "language": user.language,
        "signature": user.signature,
        "sign_messages": user.sign_messages,
        "notify_sound": user.notify_sound,
        "notify_sound_messages": user.notify_sound_messages,
        "notify_desktop": user.notify_desktop,
        "theme": user.theme,
    }


def _render(
    request: AuthenticatedHttpRequest,
    *,
    form: forms.Form | None = None,
    password_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    context = {
        "form": form or ProfileForm(initial=_initial(user)),
        "password_form": password_form or PasswordChangeForm(),
        "sessions": user_sessions(user=user, current_key=request.session.session_key),
        **two_factor_context(user),
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the profile; POST saves name, language, signature, notifications, theme and
    photo."""
    if request.method != "POST":
        return _render(request)
    user = request.user
    form = ProfileForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _profile_save(user, data)
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("accounts:profile")
    user.refresh_from_db()
    return _render(request, form=form, status=400)


@transaction.atomic
def _profile_save(user: User, data: dict[str, Any]) -> None:
    """The preferences and the photo, all or nothing."""
    user_profile_update(
        user=user,
        name=data["name"],
        language=data["language"],
        signature=data["signature"],
        sign_messages=data["sign_messages"],
        notify_sound=data["notify_sound"],
        notify_desktop=data["notify_desktop"],
        theme=data["theme"],
        notify_sound_messages=data["notify_sound_messages"],
    )
    if data["avatar"] is not None:
        user_avatar_set(user=user, file=data["avatar"])
    elif data["remove_avatar"]:
        user_avatar_remove(user=user)


@login_required
@require_POST
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Change one's password with the current one; other devices are signed out."""
    form = PasswordChangeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            ended = user_password_change(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                request=request,
                ip=client_ip(request),
            )
        except LoginThrottled as exc:
            form.add_error(None, exc.message)
            status = 429
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Password changed; %(count)s other session(s) signed out.") % {"count": ended},
            )
            return redirect("accounts:profile")
    return _render(request, password_form=form, status=status)


@login_required
@require_POST
def sessions_end(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Sign out one other session (``session`` posted) or every other one ("everywhere")."""
    only = request.POST.get("session") or None
    ended = user_sessions_end(
        user=request.user,
        keep_key=request.session.session_key,
        only_id=only,
        tokens=only is None,
    )
    messages.success(request, _("%(count)s session(s) signed out.") % {"count": ended})
    return redirect("accounts:profile")


@login_required
@require_GET
def avatar(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A user's photo, for the signed-in users of the same tenant only."""
    member = user_avatar_get(pk=pk)
    if member is None:
        raise Http404
    try:
        return file_response(member.avatar, inline=True)
    except MediaNotFound as exc:
        raise Http404 from exc
