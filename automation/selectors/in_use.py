"""Whether the tenant uses the automations that follow an inbound message at all.

Most tenants have no business hours and no distributing queue; then the out-of-hours notice
and the distribution of a new ticket can do nothing, and an inbound batch publishes no task for
them (``tiktickets/event_handlers.py``). Read fresh for each batch, after its commit: a schedule
enabled or a queue switched to distribution counts for the next batch, with no cache to expire.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from automation.models import BusinessHours
from tickets.models import Queue


@dataclass(frozen=True)
class AutomationInUse:
    # Some schedule (the tenant's or a queue's) is enabled: a notice may be due.
    out_of_hours: bool
    # Some active queue distributes its tickets.
    distribution: bool


def automation_in_use() -> AutomationInUse:
    """Both answers in one statement (two ``EXISTS`` on small tables)."""
    hours_sql, hours_params = (
        BusinessHours.objects.filter(is_enabled=True).values("pk").query.sql_with_params()
    )
    queues_sql, queues_params = (
        Queue.objects.filter(is_active=True)
        .exclude(distribution=Queue.Distribution.NONE)
        .values("pk")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        # Both SELECTs are the ORM's own, their values bound parameters.
        cursor.execute(
            f"SELECT EXISTS ({hours_sql}), EXISTS ({queues_sql})",  # noqa: S608
            (*hours_params, *queues_params),
        )
        out_of_hours, distribution = cursor.fetchone()
    return AutomationInUse(out_of_hours=bool(out_of_hours), distribution=bool(distribution))
