"""``manage.py provider_simulator``: the local Telegram Bot API / Graph API simulator of the
``simulator`` package (demo, support and load tests), or its webhook poster with ``--post``."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from simulator import add_arguments, run_from_options


class Command(BaseCommand):
    help = (
        "Serve a simulated Telegram Bot API and Meta Graph API on 127.0.0.1 (point "
        "TELEGRAM_API_BASE_URL and META_GRAPH_API_URL at it), or post signed webhooks with --post."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_from_options(options, write=self.stdout.write)
