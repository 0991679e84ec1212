"""Two-factor sign-in in the dashboard and on the platform pages: the second step of the
sign-in, and the profile's section to set it up, turn it off and renew the recovery codes.

The same views serve a tenant host (URL namespace ``accounts``, back to the profile) and the
base domain (namespace ``platform``, for platform staff, back to their two-factor page).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from accounts.errors import LoginThrottled, TwoFactorCodeInvalid
from accounts.models import User
from accounts.requests import AuthenticatedHttpRequest
from accounts.two_factor import (
    recovery_codes_regenerate,
    two_factor_disable,
    two_factor_enabled,
    two_factor_enrolment_confirm,
    two_factor_enrolment_start,
    two_factor_required,
    two_factor_status,
    two_factor_verify,
)
from core.client_ip import client_ip
from core.exceptions import ApplicationError
from tenants.tenancy import current_schema, in_public_schema

# The session of a sign-in whose password was right and whose code is awaited (not signed in).
PENDING_SESSION_KEY = "two_factor_pending"
# Set on a session once its user is known to have two-factor sign-in (skips the check).
VERIFIED_SESSION_KEY = "two_factor_ok"
PENDING_SECONDS = 300
_BACKEND = "django.contrib.auth.backends.ModelBackend"
T = TypeVar("T")


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"}
        ),
        help_text=gettext_lazy(
            "The 6-digit code from your authenticator app, or one of your recovery codes."
        ),
    )


def _namespace() -> str:
    return "platform" if in_public_schema() else "accounts"


def _home_url() -> str:
    return (
        reverse("platform:tenants") if in_public_schema() else reverse(settings.LOGIN_REDIRECT_URL)
    )


def two_factor_page_url() -> str:
    """Where a user sets up two-factor sign-in: the profile, or the platform staff's page."""
    return reverse("platform:two-factor") if in_public_schema() else reverse("accounts:profile")


def _back() -> HttpResponse:
    return redirect(two_factor_page_url() + "#two-factor")


def sign_in_continue(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    """After a right password: users with two-factor sign-in go to the code step (still signed
    out); the others are signed in, and sent to set it up where it is required."""
    if two_factor_enabled(user):
        request.session[PENDING_SESSION_KEY] = {
            "user": user.pk,
            "schema": current_schema(),
            "at": time.time(),
            "next": next_url,
        }
        return redirect(f"{_namespace()}:login-code")
    login(request, user, backend=_BACKEND)
    if two_factor_required(user):
        messages.info(request, _("Set up two-factor sign-in to continue."))
        return _back()
    return redirect(next_url or _home_url())


def _pending_user(request: HttpRequest) -> tuple[User | None, str]:
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict) or pending.get("schema") != current_schema():
        return None, ""
    if time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None, ""
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    return user, str(pending.get("next") or "")


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of the sign-in: the authenticator's code or a recovery code."""
    user, next_url = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in again to continue."))
        return redirect(f"{_namespace()}:login")
    form = TwoFactorCodeForm(request.POST or None)
    status, retry_after = 200, 0
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                two_factor_verify(user=user, code=form.cleaned_data["code"], ip=client_ip(request))
            except LoginThrottled as exc:
                form.add_error(None, exc.message)
                status, retry_after = 429, exc.retry_after
            except TwoFactorCodeInvalid as exc:
                form.add_error("code", exc.message)
            else:
                request.session.pop(PENDING_SESSION_KEY, None)
                login(request, user, backend=_BACKEND)
                request.session[VERIFIED_SESSION_KEY] = True
                return redirect(next_url or _home_url())
    context = {"form": form, "login_url": reverse(f"{_namespace()}:login")}
    response = render(request, "accounts/login_code.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


# --------------------------------------------------------------------------- the profile section


def two_factor_context(user: User) -> dict[str, Any]:
    """What the two-factor section of the profile (or platform page) shows."""
    ns = _namespace()
    status = two_factor_status(user)
    return {
        "two_factor": {
            "enabled": status.enabled,
            "required": two_factor_required(user),
            "pending": status.pending,
            "codes_left": status.codes_left,
            "form": TwoFactorCodeForm(),
            "urls": {
                name: reverse(f"{ns}:two-factor-{name}")
                for name in ("start", "confirm", "disable", "recovery")
            },
        }
    }


def _recovery_codes_page(request: AuthenticatedHttpRequest, codes: list[str]) -> HttpResponse:
    """The recovery codes, shown once in this answer (never cached)."""
    response = render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {
            "codes": codes,
            "back_url": two_factor_page_url(),
            "base_template": (
                "platform/base_platform.html" if in_public_schema() else "base_dashboard.html"
            ),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def _with_posted_code(
    request: AuthenticatedHttpRequest, action: Callable[[str, str], T]
) -> T | None:
    """``action(code, ip)`` with the posted code; None (its message shown) when refused."""
    form = TwoFactorCodeForm(request.POST)
    try:
        if not form.is_valid():
            raise TwoFactorCodeInvalid()
        return action(form.cleaned_data["code"], client_ip(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None


@login_required
@require_POST
def two_factor_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        two_factor_enrolment_start(user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back()


@login_required
@require_POST
def two_factor_confirm(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    codes = _with_posted_code(
        request, lambda code, ip: two_factor_enrolment_confirm(user=user, code=code, ip=ip)
    )
    if codes is None:
        return _back()
    request.session[VERIFIED_SESSION_KEY] = True
    messages.success(request, _("Two-factor sign-in is on."))
    return _recovery_codes_page(request, codes)


@login_required
@require_POST
def two_factor_disable_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    done = _with_posted_code(
        request, lambda code, ip: two_factor_disable(user=user, code=code, ip=ip) or True
    )
    if done:
        request.session.pop(VERIFIED_SESSION_KEY, None)
        messages.success(request, _("Two-factor sign-in is off."))
    return _back()


@login_required
@require_POST
def two_factor_recovery(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    codes = _with_posted_code(
        request, lambda code, ip: recovery_codes_regenerate(user=user, code=code, ip=ip)
    )
    if codes is None:
        return _back()
    messages.success(request, _("New recovery codes made; the old ones no longer work."))
    return _recovery_codes_page(request, codes)
