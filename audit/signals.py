"""Session sign-in and sign-out, recorded from django.contrib.auth's signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="audit_user_logged_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record("auth.sign_in", actor=user, obj=user, request=request, extra={"via": "session"})


@receiver(user_logged_out, dispatch_uid="audit_user_logged_out")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # signing out with no session: nothing happened
        return
    audit_record("auth.sign_out", actor=user, obj=user, request=request, extra={"via": "session"})
