"""The dashboard's two htmx conventions: one view serves a page or its fragment, and service
errors land next to the form field they name."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest

from core.exceptions import ApplicationError, FieldValidationError


def htmx_partial(request: HttpRequest) -> bool:
    """True when htmx asks for a fragment (not a boosted full-page navigation)."""
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.boosted


# Conflicts whose code says which input caused them (their ``extra`` carries the value only).
FIELD_OF_CODE: dict[str, str] = {
    "queue_exists": "name",
    "tag_exists": "name",
    "quick_reply_exists": "shortcode",
    "contact_attribute_exists": "key",
    "contact_phone_exists": "phone",
}


def form_add_service_error(form: forms.BaseForm, error: ApplicationError) -> None:
    """Show a service's error on the form: per field when it names fields the form has
    (``extra["fields"]``, which any error may carry, say ``contact_phone_exists``, or
    ``extra["field"]``, or a conflict code of ``FIELD_OF_CODE``), else above the form. The
    message is already translated into the request's language by the service."""
    fields = error.extra.get("fields")
    if isinstance(error, FieldValidationError) or isinstance(fields, dict):
        fields = fields or {}
        placed = False
        for name, messages in fields.items():
            target = name if name in form.fields else None
            for message in messages if isinstance(messages, list) else [messages]:
                form.add_error(target, str(message))
                placed = True
        if not placed:
            form.add_error(None, error.message)
        return
    field = error.extra.get("field") or FIELD_OF_CODE.get(error.code)
    target = field if isinstance(field, str) and field in form.fields else None
    form.add_error(target, error.message)
