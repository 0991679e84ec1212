"""Request types whose ``user`` is a signed-in ``User``, so views read it without casts.

Django and DRF type ``request.user`` as "a user or ``AnonymousUser``". Behind a guarantee of
sign-in (DRF's default ``IsAuthenticated`` permission, ``login_required``/``admin_required`` on
a page) it is always our ``User``; these types state that guarantee once, in the signature:

    class TicketAcceptApi(APIView):
        def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response: ...

    @login_required
    def inbox(request: AuthenticatedHttpRequest) -> HttpResponse: ...

They are annotations only: at run time the view still receives Django's or DRF's request.
Hooks whose signature a framework fixes (``ModelAdmin.save_model``) use ``request_user``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A Django request of a signed-in user (pages behind ``login_required``)."""

    user: User


class AuthenticatedRequest(Request):
    """A DRF request of an authenticated user (API views under ``IsAuthenticated``)."""

    user: User


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a request typed as a plain ``HttpRequest`` by a framework hook
    (the Django admin's, which only runs for signed-in staff)."""
    user = request.user
    if not isinstance(user, User):  # the admin site refused anonymous callers already
        raise PermissionDenied
    return user
