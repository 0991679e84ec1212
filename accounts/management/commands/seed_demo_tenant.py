"""Create (idempotently) the `demo` tenant with one admin and one agent, plus a platform admin,
and print their credentials. Built on the same services as production; for `make run` only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import User
from accounts.services import user_create
from tenants.models import Tenant
from tenants.services import generate_password, tenant_provision
from tenants.tenancy import public_scope, tenant_scope

DEMO_SLUG = "demo"
PEOPLE = {
    # label: (schema, e-mail, name, role)
    "Platform admin": ("public", "platform@example.com", "Platform Admin", User.Role.ADMIN),
    "Demo admin": (DEMO_SLUG, "admin@demo.example.com", "Ana Admin", User.Role.ADMIN),
    "Demo agent": (DEMO_SLUG, "agent@demo.example.com", "Bruno Agente", User.Role.AGENT),
}


class Command(BaseCommand):
    help = "Create the demo tenant and its users if missing, and print their credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--credentials",
            default=".dev/demo-credentials.json",
            help="where the generated passwords are kept between runs",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["credentials"])
        known: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        with public_scope():
            demo = Tenant.objects.filter(schema_name=DEMO_SLUG).first()
        if demo is None:
            demo = tenant_provision(
                name="Demo",
                slug=DEMO_SLUG,
                admin_email=PEOPLE["Demo admin"][1],
                admin_name=PEOPLE["Demo admin"][2],
                admin_password=None,
            ).tenant
            self.stdout.write(f"Created tenant {DEMO_SLUG} at {demo.get_primary_domain()}")
        for label, (schema, email, name, role) in PEOPLE.items():
            scope = public_scope() if schema == "public" else tenant_scope(demo)
            with scope:
                known[email] = self._ensure_user(email, name, role, known.get(email))
            self.stdout.write(f"{label}: {email} / {known[email]}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=2))
        path.chmod(0o600)

    @staticmethod
    def _ensure_user(email: str, name: str, role: str, password: str | None) -> str:
        """The user's working password: the stored one if it still signs in, else a new one."""
        user = User.objects.filter(email=email).first()
        if user is None:
            password = password or generate_password()
            user_create(email=email, name=name, password=password, role=role)
            return password
        if password and user.check_password(password):
            return password
        password = generate_password()
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
        return password
