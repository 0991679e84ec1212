"""Protocol numbers: the attendance number customers can quote, ``YYYYMMDD-NNNNNN``.

The date is the tenant's local date; the counter is a PostgreSQL sequence in the tenant's own
schema (created by the tickets migrations), so numbers are unique per tenant without locks.
"""

from __future__ import annotations

import zoneinfo

from django.db import connection
from django.utils import timezone

from tenants.tenancy import current_tenant


def protocol_next() -> str:
    """A new, unique protocol number for the current tenant."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('ticket_protocol_seq')")
        (value,) = cursor.fetchone()
    tz = zoneinfo.ZoneInfo(current_tenant().time_zone)
    return f"{timezone.now().astimezone(tz):%Y%m%d}-{value:06d}"
