"""The WhatsApp customer service window: free-form messages are allowed only within 24 hours of
the customer's last message; after that only approved templates.

https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages#customer-service-windows
"""

from __future__ import annotations

from datetime import datetime, timedelta

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether a free-form (non-template) message may be sent now, given when the customer last
    wrote; never written means closed."""
    if last_inbound_at is None:
        return False
    return now - last_inbound_at < CUSTOMER_SERVICE_WINDOW
