"""``manage.py tenant_template``: bring the template schema new tenants are copied from up to date.

Part of every migration step, after ``migrate_schemas``: without it new tenants are still
created correctly, only slower (``tenants.schema_template``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenants.schema_template import template_is_current, template_refresh, template_schema_name


class Command(BaseCommand):
    help = "Create or migrate the template schema that new tenants' schemas are copied from."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options.get("verbosity", 1))
        template_refresh(verbosity=max(verbosity - 1, 0))
        if not template_is_current():  # a migration the command could not apply
            raise SystemExit(f"the template schema {template_schema_name()} is not current")
        if verbosity:
            self.stdout.write(f"template schema {template_schema_name()} is current")
