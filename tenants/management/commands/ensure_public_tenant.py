"""Create the public tenant on the base domain if it does not exist (safe on every deploy)."""

from typing import Any

from django.core.management.base import BaseCommand

from tenants.services import tenant_public_ensure


class Command(BaseCommand):
    help = "Create the public tenant (platform host) if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        public = tenant_public_ensure()
        self.stdout.write(f"Public tenant ready on {public.get_primary_domain()}")
