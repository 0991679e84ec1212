"""The audit trail of security-relevant attempts and of operators' interventions, as
structured records on the ``tiktickets.audit`` logger (configured in settings ``LOGGING``).

Each record's message says what happened; its fields (``audit_event``, ``tenant_schema``,
``user_id`` and the event's own) are attributes of the log record, for a log shipper to index.
Values that would tell one tenant's secrets to whoever reads the logs (another tenant's account
ids) are written as ``audit_hash``: keyed with SECRET_KEY, so equal values can be matched
across records but a short id cannot be recovered by trying every candidate.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.crypto import salted_hmac

from tenants.tenancy import current_tenant

logger = logging.getLogger("tiktickets.audit")


def audit_hash(value: str) -> str:
    """A keyed hash of ``value`` to log instead of the value."""
    return salted_hmac("tiktickets.audit", value, algorithm="sha256").hexdigest()


def _audit(level: int, event: str, user_id: int | None, fields: dict[str, Any]) -> None:
    record = {
        "audit_event": event,
        "tenant_schema": current_tenant().schema_name,
        "user_id": user_id,
        **fields,
    }
    logger.log(
        level,
        "%s %s",
        event,
        " ".join(f"{key}={value}" for key, value in record.items()),
        extra=record,
    )


def audit_warning(event: str, *, user_id: int | None, **fields: Any) -> None:
    """Log a refused attempt (``event``) by ``user_id`` in the current tenant."""
    _audit(logging.WARNING, event, user_id, fields)


def audit_info(event: str, *, user_id: int | None, **fields: Any) -> None:
    """Log an intervention (``event``) done by ``user_id`` in the current tenant (``None``: an
    operator at the command line, whose ``via`` field says so)."""
    _audit(logging.INFO, event, user_id, fields)
