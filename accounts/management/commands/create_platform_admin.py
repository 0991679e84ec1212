"""Create a platform super admin (public schema) who manages tenants at /admin/ on the base host."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import user_create
from core.exceptions import FieldValidationError
from tenants.services import generate_password
from tenants.tenancy import public_scope


class Command(BaseCommand):
    help = "Create a platform super admin in the public schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--password", help="omit to generate one (printed once)")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or generate_password()
        try:
            with public_scope():
                user = user_create(
                    email=options["email"], name=options["name"], password=password, role="admin"
                )
        except FieldValidationError as exc:
            lines = [f"  {field}: {' '.join(msgs)}" for field, msgs in exc.extra["fields"].items()]
            raise CommandError("Platform admin not created:\n" + "\n".join(lines)) from exc
        shown = password if not options["password"] else "(as given)"
        self.stdout.write(self.style.SUCCESS(f"Platform admin: {user.email} / {shown}"))
