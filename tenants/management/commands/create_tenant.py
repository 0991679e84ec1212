"""Provision a tenant from the command line (the same service as the platform admin)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import FieldValidationError
from tenants.services import tenant_provision


class Command(BaseCommand):
    help = "Create a tenant: schema, domain <slug>.<base domain> and its first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True, help="schema name and sub-domain")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", help="omit to generate one (printed once)")
        parser.add_argument("--admin-name", default="")
        parser.add_argument("--time-zone", default="America/Sao_Paulo")
        parser.add_argument("--language", default="pt-br", choices=["pt-br", "en"])
        parser.add_argument("--max-users", type=int, default=10)
        parser.add_argument("--max-channels", type=int, default=3)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = tenant_provision(
                name=options["name"],
                slug=options["slug"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
                admin_name=options["admin_name"],
                time_zone=options["time_zone"],
                language=options["language"],
                max_users=options["max_users"],
                max_channels=options["max_channels"],
            )
        except FieldValidationError as exc:
            lines = [f"  {field}: {' '.join(msgs)}" for field, msgs in exc.extra["fields"].items()]
            raise CommandError("Tenant not created:\n" + "\n".join(lines)) from exc
        domain = result.tenant.get_primary_domain()
        self.stdout.write(
            self.style.SUCCESS(f"Tenant {result.tenant.schema_name} created at {domain}")
        )
        password = result.admin_password if result.password_generated else "(as given)"
        self.stdout.write(f"Admin: {result.admin_email} / {password}")
