"""Pages that belong to no single area: the base domain's landing page, and the profile page
whose screen is still to be built."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def placeholder(request: HttpRequest, **kwargs: object) -> HttpResponse:
    """A dashboard page whose screen is being built (removed when every screen exists)."""
    return render(request, "core/placeholder.html")


def platform_home(request: HttpRequest) -> HttpResponse:
    """The base domain's landing page, pointing platform staff at their admin."""
    return render(request, "core/platform_home.html")
