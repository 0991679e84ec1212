"""Where two-factor sign-in is required (a tenant's setting, or platform staff), a signed-in
user without it can use nothing but the page that sets it up (and sign out)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.errors import TwoFactorEnrolmentRequired
from accounts.models import User
from accounts.two_factor import two_factor_enabled, two_factor_required
from core.exceptions import error_body
from dashboard.accounts.two_factor_views import VERIFIED_SESSION_KEY, two_factor_page_url
from tenants.tenancy import in_public_schema

# Reachable while enrolment is due: the pages that set it up and signing out.
_OPEN_NAMES = {
    "accounts": ("profile", "logout", "two-factor-start", "two-factor-confirm"),
    "platform": ("two-factor", "two-factor-start", "two-factor-confirm", "login", "login-code"),
    "platform_admin": ("logout",),
}


def _open_paths() -> set[str]:
    namespaces = ("platform", "platform_admin") if in_public_schema() else ("accounts",)
    return {reverse(f"{ns}:{name}") for ns in namespaces for name in _OPEN_NAMES[ns]}


class TwoFactorEnrolmentMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and not request.session.get(VERIFIED_SESSION_KEY)
            and two_factor_required(user)
        ):
            if two_factor_enabled(user):
                request.session[VERIFIED_SESSION_KEY] = True
            elif not self._open(request.path):
                return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        return path.startswith("/static/") or path in _open_paths()

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            error = TwoFactorEnrolmentRequired()
            return JsonResponse(error_body(error.code, error.message), status=error.http_status)
        target = two_factor_page_url() + "#two-factor"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
