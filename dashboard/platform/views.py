"""The platform pages on the base domain (public schema), for super admins: the tenants with
their usage, creating a tenant, suspending and resuming one, and changing its limits.

Platform staff are the superusers of the public schema and sign in at ``/platform/login/``
(the platform admin's own login sends there), always with a two-factor code. These routes exist
only in the public URLconf, so a tenant's users cannot reach them at all: on a tenant host
``/platform/`` is a 404, and their accounts do not exist in the public schema.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from core.exceptions import ApplicationError
from dashboard.accounts.two_factor_views import two_factor_context
from dashboard.htmx import form_add_service_error
from dashboard.platform.forms import TenantCreateForm, TenantLimitsForm
from dashboard.platform.selectors import (
    tenant_get_for_platform,
    tenant_list_with_usage,
    tenant_usage,
)
from tenants import services
from tenants.models import Tenant
from tenants.tenancy import in_public_schema

View = Callable[..., HttpResponseBase]


def platform_staff_required(view: View) -> View:
    """Super admins of the public schema only: anonymous visitors go to the platform sign-in,
    anyone else signed in gets 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not in_public_schema():
            raise Http404
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("platform:login"))
        if not (user.is_active and user.is_superuser):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _tenant(tenant_id: int) -> Tenant:
    try:
        return tenant_get_for_platform(tenant_id=tenant_id)
    except Tenant.DoesNotExist as exc:
        raise Http404 from exc


@platform_staff_required
def tenant_list(request: HttpRequest) -> HttpResponse:
    """Every tenant with its status, limits and usage."""
    return render(request, "platform/tenant_list.html", {"rows": tenant_list_with_usage()})


def _tenant_url(request: HttpRequest, domain: str) -> str:
    """The new tenant's address as this request reached the platform: same scheme, and the same
    port when it is not the scheme's default (``make run`` serves on :8000)."""
    _, port = split_domain_port(request.get_host())
    default = "443" if request.is_secure() else "80"
    return f"{request.scheme}://{domain}{'' if port in ('', default) else ':' + port}/"


@platform_staff_required
def tenant_create(request: HttpRequest) -> HttpResponse:
    """Provision a tenant (``tenant_provision``): schema, domain and first admin, atomically."""
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                provisioned = services.tenant_provision(
                    name=data["name"],
                    slug=data["slug"],
                    admin_email=data["admin_email"],
                    admin_name=data["admin_name"],
                    admin_password=data["admin_password"] or None,
                    time_zone=data["time_zone"],
                    language=data["language"],
                    max_users=data["max_users"],
                    max_channels=data["max_channels"],
                )
            except ApplicationError as error:
                form_add_service_error(form, error)
            else:
                # Rendered, not redirected: a generated password is shown this once and is
                # never stored anywhere (not even in the session).
                domain = services.tenant_domain_for(provisioned.tenant.schema_name)
                context = {"provisioned": provisioned, "tenant_url": _tenant_url(request, domain)}
                return render(request, "platform/tenant_created.html", context, status=201)
        return render(request, "platform/tenant_form.html", {"form": form}, status=400)
    return render(request, "platform/tenant_form.html", {"form": form})


@platform_staff_required
def tenant_limits(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """Change a tenant's limits (``tenant_limits_update``), next to what it uses now."""
    tenant = _tenant(tenant_id)
    initial = {
        "max_users": tenant.max_users,
        "max_channels": tenant.max_channels,
        "api_rate_limit_per_minute": tenant.api_rate_limit_per_minute,
    }
    form = TenantLimitsForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.tenant_limits_update(tenant=tenant, **form.cleaned_data)
            except ApplicationError as error:
                form_add_service_error(form, error)
            else:
                messages.success(request, _("Limits of %(name)s saved.") % {"name": tenant.name})
                return redirect("platform:tenants")
        status = 400
    context = {"tenant": tenant, "form": form, "usage": tenant_usage(tenant)}
    return render(request, "platform/tenant_limits.html", context, status=status)


@platform_staff_required
@require_POST
def tenant_suspend(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """Suspend a tenant: its sign-ins, API calls and open sockets are refused at once."""
    tenant = services.tenant_suspend(tenant=_tenant(tenant_id))
    messages.success(request, _("%(name)s is suspended.") % {"name": tenant.name})
    return redirect("platform:tenants")


@platform_staff_required
@require_POST
def tenant_resume(request: HttpRequest, tenant_id: int) -> HttpResponse:
    """Lift a tenant's suspension."""
    tenant = services.tenant_resume(tenant=_tenant(tenant_id))
    messages.success(request, _("%(name)s is active again.") % {"name": tenant.name})
    return redirect("platform:tenants")


@platform_staff_required
def two_factor_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Platform staff's two-factor sign-in: set it up (required), renew recovery codes."""
    return render(request, "platform/two_factor.html", two_factor_context(request.user))
