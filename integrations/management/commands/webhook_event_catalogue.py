"""Print the webhook event catalogue as docs/integrations.md shows it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from integrations.webhook_events import catalogue_markdown


class Command(BaseCommand):
    help = "Print the webhook event catalogue (Markdown table) for docs/integrations.md."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(catalogue_markdown())
