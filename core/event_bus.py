"""The domain event bus: services publish typed events; subscribers run after commit.

``publish(event)`` never calls anybody from inside an open transaction: the subscribers run once
the current transaction commits (at once when there is none), and a rolled-back change emits
nothing. The table of subscribers is project wiring and lives in one file,
``settings.DOMAIN_EVENT_SUBSCRIBERS`` (``tiktickets/event_handlers.py``); it is imported lazily
by name, so the apps below the project never import it.

Subscribers only enqueue tasks or push to the channel layer. A failing subscriber is logged and
does not stop the others, nor turn an already committed change into an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, ClassVar

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string
from django_tenants.utils import tenant_context

logger = logging.getLogger(__name__)

Subscriber = Callable[[Any], None]
SubscriberTable = Mapping[type["DomainEvent"], Sequence[Subscriber]]


@dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event: a frozen dataclass of ids, named in the past tense.

    Events carry identifiers, not model instances: subscribers read the committed state.
    """

    name: ClassVar[str] = "event"


@cache
def _table(path: str) -> SubscriberTable:
    table: SubscriberTable = import_string(path)
    return table


def subscribers_for(event: DomainEvent) -> Sequence[Subscriber]:
    """The subscribers of the event's exact class, in the order the table lists them."""
    return _table(settings.DOMAIN_EVENT_SUBSCRIBERS).get(type(event), ())


def _deliver(event: DomainEvent) -> None:
    for subscriber in subscribers_for(event):
        try:
            subscriber(event)
        except Exception:  # one broken subscriber must not silence the others
            if getattr(settings, "DOMAIN_EVENTS_STRICT", False):
                raise  # the test suite: a failing subscriber fails the test
            logger.exception("subscriber %r failed on %s", subscriber, event)


def _deliver_in(tenant: Any, event: DomainEvent) -> None:
    if tenant is None or getattr(connection, "tenant", None) is tenant:
        # Still in the publishing tenant (the usual case: a request or task that committed):
        # entering it again would only make the next query re-issue ``SET search_path``.
        _deliver(event)
        return
    with tenant_context(tenant):
        _deliver(event)


def publish_now(event: DomainEvent) -> None:
    """Deliver a signal that describes no stored change (someone is typing) at once: with
    nothing to commit there is nothing to wait for, and a wait would hold it back for as long
    as an unrelated transaction of the caller lasts."""
    _deliver(event)


def publish(event: DomainEvent) -> None:
    """Deliver ``event`` to its subscribers after the current transaction commits, inside the
    tenant (schema) it was published from, even if the caller has left that tenant by then."""
    transaction.on_commit(partial(_deliver_in, getattr(connection, "tenant", None), event))
