"""Retry a tenant's failed or quarantined inbound events from the command line (each retry in
the audit log, as from /manage/inbound/)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_integrations.models import InboundEvent
from channels_integrations.selectors import inbound_events_for_review
from channels_integrations.services.inbound_replay import inbound_events_replay
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope


class Command(BaseCommand):
    help = (
        "Retry failed or quarantined inbound events of one tenant: the given --event ids, or "
        "every --failed and/or --quarantined one (the newest 200 per run)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, help="the tenant's schema name")
        parser.add_argument("--event", type=int, action="append", default=[], help="an event id")
        parser.add_argument("--failed", action="store_true", help="every failed event")
        parser.add_argument("--quarantined", action="store_true", help="every quarantined one")

    def handle(self, *args: Any, **options: Any) -> None:
        with public_scope():
            tenant = Tenant.objects.filter(schema_name=options["tenant"]).first()
        if tenant is None or tenant.schema_name == "public":
            raise CommandError(f"No tenant {options['tenant']!r}.")
        statuses = [
            status
            for status, wanted in (
                (InboundEvent.Status.FAILED, options["failed"]),
                (InboundEvent.Status.QUARANTINED, options["quarantined"]),
            )
            if wanted
        ]
        if not options["event"] and not statuses:
            raise CommandError("Name events with --event, or choose --failed / --quarantined.")
        with tenant_scope(tenant):
            event_ids = list(options["event"])
            for status in statuses:
                event_ids += [event.pk for event in inbound_events_for_review(status=status)]
            outcome = inbound_events_replay(event_ids=event_ids, by=None, via="command")
        for event_id, error in outcome.refused.items():
            self.stderr.write(f"Event {event_id} not retried: {error.code} ({error.message})")
        self.stdout.write(f"Retried {len(outcome.replayed)} event(s) of {tenant.schema_name}.")
