"""Who reacts to which domain event: the one table of subscriptions (STYLE §B.9).

``core.event_bus.publish`` calls these after commit. Handlers only push to the channel layer or
enqueue tasks; they read what they need from the committed state.
"""

from __future__ import annotations

from core.event_bus import SubscriberTable

SUBSCRIBERS: SubscriberTable = {}
