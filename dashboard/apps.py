from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Every server-rendered page: the agents' inbox and panels, the contacts pages, the tenant
    admin's /manage/ pages, sign-in, and the platform pages of the base domain. No models: pages
    read through the domain apps' selectors and write through their services."""

    name = "dashboard"
    verbose_name = "Dashboard"
