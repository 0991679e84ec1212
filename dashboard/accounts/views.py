"""Dashboard sign-in and sign-out (session authentication, CSRF-protected), and the
"forgot password" pages with their one-time links. The sign-in also serves platform staff on
the base domain (``/platform/login/``); its code step is in ``two_factor_views``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from accounts import login_throttle
from accounts.errors import LoginThrottled
from accounts.forms import LoginForm
from accounts.password_reset import reset_link_user
from accounts.services import password_reset_complete, password_reset_request
from core.client_ip import client_ip
from core.exceptions import ApplicationError
from dashboard.accounts.forms import PasswordForgotForm, PasswordResetForm
from dashboard.accounts.two_factor_views import sign_in_continue
from dashboard.htmx import form_add_service_error
from tenants.tenancy import in_public_schema


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    public = in_public_schema()
    if request.user.is_authenticated and request.method == "GET":
        return redirect(next_url or ("platform:tenants" if public else settings.LOGIN_REDIRECT_URL))
    form = LoginForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid() and form.user is not None:
        # Users with two-factor sign-in are signed in only after the code step.
        return sign_in_continue(request, form.user, next_url)
    status = 429 if form.retry_after else (400 if request.method == "POST" else 200)
    context = {
        "form": form,
        "next": next_url,
        "login_url": reverse("platform:login" if public else "accounts:login"),
        "forgot_url": None if public else reverse("accounts:password-forgot"),
    }
    response = render(request, "accounts/login.html", context, status=status)
    if form.retry_after:
        response["Retry-After"] = str(form.retry_after)
    return response


def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """The Django admin's own sign-in would skip the code step: it sends to the dashboard's."""
    target = reverse("platform:login" if in_public_schema() else "accounts:login")
    next_url = request.GET.get("next", "")
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_forgot(request: HttpRequest) -> HttpResponse:
    """ "Forgot password": the same answer for every address, a link mailed to known ones."""
    form = PasswordForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_request(
                email=form.cleaned_data["email"],
                ip=client_ip(request),
                link_base=f"{request.scheme}://{request.get_host()}",
            )
        except LoginThrottled as exc:
            response = render(
                request, "accounts/password_forgot.html", {"form": form, "error": exc}, status=429
            )
            response["Retry-After"] = str(exc.retry_after)
            return response
        return render(request, "accounts/password_forgot.html", {"sent": True})
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password_forgot.html", {"form": form}, status=status)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """A one-time link: choose a new password, then sign in with it."""
    ip = client_ip(request)
    locked_for = login_throttle.seconds_locked(email=None, ip=ip)
    user = None if locked_for else reset_link_user(uid, token)
    if user is None:
        if not locked_for:
            login_throttle.record_failure(email=None, ip=ip)
        response = render(
            request,
            "accounts/password_reset.html",
            {"invalid": True},
            status=429 if locked_for else 400,
        )
        response["Referrer-Policy"] = "no-referrer"
        return response
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset_complete(user=user, new_password=form.cleaned_data["new_password"])
        except ApplicationError as exc:
            form_add_service_error(form, exc)
        else:
            messages.success(request, _("Password changed. Sign in with the new one."))
            return redirect("accounts:login")
    status = 400 if request.method == "POST" else 200
    response = render(request, "accounts/password_reset.html", {"form": form}, status=status)
    # The link carries the token: keep it out of the Referer of anything the page loads.
    response["Referrer-Policy"] = "no-referrer"
    return response
