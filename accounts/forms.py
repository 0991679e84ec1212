"""Sign-in forms for the dashboard and both Django admin sites; all go through one service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.errors import InvalidCredentials, LoginThrottled
from accounts.models import User
from core.client_ip import client_ip


def _authenticate_or_form_error(request: HttpRequest | None, email: str, password: str) -> User:
    try:
        return services.user_authenticate(
            request=request,
            email=email,
            password=password,
            ip=client_ip(request) if request is not None else "unknown",
        )
    except LoginThrottled as exc:
        raise forms.ValidationError(
            _("Too many failed sign-in attempts. Try again in %(minutes)s minute(s)."),
            code=exc.code,
            params={"minutes": max(1, round(exc.retry_after / 60)), "retry_after": exc.retry_after},
        ) from exc
    except InvalidCredentials as exc:
        raise forms.ValidationError(exc.message, code=exc.code) from exc


class LoginForm(forms.Form):
    """E-mail and password; ``user`` is set once the form is valid."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None
        self.retry_after: int | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.user = _authenticate_or_form_error(
                self.request, cleaned["email"], cleaned["password"]
            )
        except forms.ValidationError as exc:
            if exc.code == LoginThrottled.code:
                self.retry_after = int(exc.params["retry_after"]) if exc.params else 1
            raise
        return cleaned


class ThrottledAdminAuthenticationForm(AdminAuthenticationForm):
    """The Django admin's sign-in, sharing the dashboard's lockout counters."""

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        if email and password:
            self.user_cache = _authenticate_or_form_error(self.request, email, password)
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
