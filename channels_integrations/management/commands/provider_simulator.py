"""``manage.py provider_simulator``: the local Telegram Bot API / Graph API simulator of
bench/simulator.py (demo and load tests), or its webhook poster with ``--post``."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Serve a simulated Telegram Bot API and Meta Graph API on 127.0.0.1 (point "
        "TELEGRAM_API_BASE_URL and META_GRAPH_API_URL at it), or post signed webhooks with --post."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        try:
            from bench.simulator import add_arguments
        except ImportError:  # not in the image: handle() says so
            return
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            from bench.simulator import run_from_options
        except ImportError as exc:
            raise CommandError(
                "The provider simulator ships with the source checkout (bench/), not the image."
            ) from exc
        run_from_options(options, write=self.stdout.write)
