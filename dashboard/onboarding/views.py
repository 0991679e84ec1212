"""The getting-started checklist on an empty inbox (admins): loaded into the inbox's empty
state by htmx, hidden for the whole tenant by any admin."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedHttpRequest
from dashboard.decorators import admin_required
from dashboard.htmx import htmx_partial
from dashboard.onboarding.progress import onboarding_steps
from tenants.services import tenant_onboarding_update
from tenants.tenancy import current_tenant


@admin_required
def onboarding_checklist(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The checklist fragment; empty once hidden or complete."""
    steps = onboarding_steps(tenant=current_tenant(), user=request.user)
    if steps is None:
        return HttpResponse("")
    context = {"steps": steps, "done": sum(step.done for step in steps), "total": len(steps)}
    return render(request, "onboarding/_checklist.html", context)


@admin_required
@require_POST
def onboarding_dismiss(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Hide the checklist for every admin of the tenant."""
    tenant_onboarding_update(tenant=current_tenant(), dismissed=True)
    if htmx_partial(request):
        return HttpResponse("")
    return redirect("tickets:inbox")
