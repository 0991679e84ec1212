"""Where two-factor sign-in is required (a tenant's setting, or platform staff), a signed-in
user without it can use nothing but the page that sets it up (and sign out)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from accounts.errors import TwoFactorEnrolmentRequired
from accounts.models import User
from accounts.two_factor import two_factor_enabled, two_factor_required
from core.exceptions import error_body
from dashboard.accounts.two_factor_views import VERIFIED_SESSION_KEY, two_factor_page_url

# Reachable while enrolment is due: the pages that set it up, signing in and out.
_OPEN_VIEWS = {
    ("accounts", "profile"),
    ("accounts", "logout"),
    ("accounts", "two-factor-start"),
    ("accounts", "two-factor-confirm"),
    ("platform", "two-factor"),
    ("platform", "two-factor-start"),
    ("platform", "two-factor-confirm"),
    ("platform", "login"),
    ("platform", "login-code"),
    ("platform_admin", "logout"),
}


class TwoFactorEnrolmentMiddleware:
    """Runs once the URL is resolved (``process_view``), so it knows the view by its name."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: object, args: object, kwargs: object
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if (
            not isinstance(user, User)
            or request.session.get(VERIFIED_SESSION_KEY)
            or not two_factor_required(user)
        ):
            return None
        if two_factor_enabled(user):
            request.session[VERIFIED_SESSION_KEY] = True
            return None
        match = request.resolver_match
        if match is not None and (match.namespace, match.url_name) in _OPEN_VIEWS:
            return None
        return self._refuse(request)

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
