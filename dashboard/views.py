"""Pages that belong to no single area: the base domain's landing page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def platform_home(request: HttpRequest) -> HttpResponse:
    """The base domain's landing page, pointing platform staff at their admin."""
    return render(request, "core/platform_home.html")
