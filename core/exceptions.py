"""One error family with stable codes, rendered as ``{code, message, extra}`` by the API.

Services raise ``ApplicationError`` subclasses (each app keeps its own in ``errors.py``); the DRF
handler below turns those, DRF's own exceptions and Django's ``ValidationError``/``Http404``/
``PermissionDenied`` into one body shape with a correct status.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A domain error that callers may show to a user; ``code`` is stable for integrators."""

    code: str = "application_error"
    http_status: int = status.HTTP_400_BAD_REQUEST
    default_message: str | Promise = ""

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        http_status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = str(message or self.default_message or _("The request could not be done."))
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        self.extra: dict[str, Any] = extra or {}
        super().__init__(self.message)


class NotFound(ApplicationError):
    """Nothing the caller may see answers to that id (missing, hidden or malformed alike)."""

    code = "not_found"
    http_status = status.HTTP_404_NOT_FOUND
    default_message = gettext_lazy("Not found.")


class FieldValidationError(ApplicationError):
    """Input failed validation; ``extra["fields"]`` maps each field to its messages."""

    code = "validation_error"

    def __init__(self, fields: dict[str, list[str]], message: str | None = None) -> None:
        super().__init__(message or _("Some fields are invalid."), extra={"fields": fields})


def error_body(code: str, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The one error body shape of the API."""
    return {"code": code, "message": message, "extra": extra or {}}


_DRF_CODES: dict[type[drf_exceptions.APIException], str] = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "throttled",
    drf_exceptions.ParseError: "parse_error",
}


def _detail_code(detail: Any) -> str | None:
    """The code DRF attached to a single-message detail (e.g. simplejwt's token codes)."""
    if isinstance(detail, drf_exceptions.ErrorDetail):
        return str(detail.code)
    if isinstance(detail, dict) and isinstance(detail.get("code"), str):
        return str(detail["code"])
    return None


def _detail_message(detail: Any) -> str:
    if isinstance(detail, dict) and "detail" in detail:
        return str(detail["detail"])
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: every error leaves as ``{code, message, extra}``."""
    if isinstance(exc, ApplicationError):
        app_response = Response(
            error_body(exc.code, exc.message, exc.extra), status=exc.http_status
        )
        if "retry_after" in exc.extra:
            app_response["Retry-After"] = str(exc.extra["retry_after"])
        if exc.http_status == status.HTTP_401_UNAUTHORIZED:  # RFC 9110: a 401 names its scheme
            app_response["WWW-Authenticate"] = 'Bearer realm="api"'

        return app_response
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        return response

    if isinstance(exc, drf_exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = error_body(
            "validation_error", _("Some fields are invalid."), {"fields": fields}
        )
        return response

    code = _detail_code(exc.detail) or _DRF_CODES.get(type(exc)) or exc.default_code
    extra: dict[str, Any] = {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, drf_exceptions.Throttled) and wait is not None:
        extra["retry_after"] = int(wait)
    response.data = error_body(str(code), _detail_message(exc.detail), extra)
    return response
