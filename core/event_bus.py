"""The domain event bus: services publish typed events; subscribers run after commit.

``publish(event)`` never calls anybody from inside an open transaction: the subscribers run once
the current transaction commits (at once when there is none), and a rolled-back change emits
nothing. The table of subscribers is project wiring and lives in one file,
``settings.DOMAIN_EVENT_SUBSCRIBERS`` (``tiktickets/event_handlers.py``); it is imported lazily
by name, so the apps below the project never import it.

Subscribers only enqueue tasks or push to the channel layer. A failing subscriber is logged and
does not stop the others, nor turn an already committed change into an error.

Events published inside ``publishing_together()`` (the inbound batches: up to 50 events per
transaction) are delivered together after the commit, still one by one and in order, with two
savings for their subscribers: a subscriber listed as ``Together(one, many)`` is called once
with all its events (a task that takes a list), and ``together_memo`` lets a subscriber read
what it needs for all the events at once (one query per batch instead of one per event).

A subscriber listed as ``Early(subscriber)`` is what a person is waiting for (the live updates
of the agents' screens): for events delivered together it runs for all of them, in their order,
before any other subscriber of any of them, inside ``settings.DOMAIN_EVENT_EARLY_CONTEXT`` (a
context manager, named like the table; the live updates send a batch's envelopes together when
it exits). Without it, the last event of a batch waited for the other subscribers of every event
before it (the chatbot, the tasks they publish: docs/performance.md, "Live updates first").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import groupby
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string
from django_tenants.utils import tenant_context

logger = logging.getLogger(__name__)

Subscriber = Callable[[Any], None]
SubscriberTable = Mapping[type["DomainEvent"], Sequence[Subscriber]]
T = TypeVar("T")


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


@dataclass(frozen=True)
class Together:
    """A subscriber with a second form for events delivered together: ``one(event)`` as
    usual, ``many(events)`` once for all its events of a batch (in their order), where the
    batch reaches its first one. For subscribers whose work does not depend on the order
    relative to the other subscribers (publishing a task that takes a list)."""

    one: Callable[[Any], None]
    many: Callable[[list[Any]], None]

    def __call__(self, event: Any) -> None:
        self.one(event)


@dataclass(frozen=True)
class Early:
    """A subscriber that events delivered together reach first: ``subscriber(event)`` for
    each of them, in their order, before the other subscribers of any of them (see the module
    doc). Delivered alone, an event reaches it in the table's order, as any subscriber."""

    subscriber: Callable[[Any], None]

    def __call__(self, event: Any) -> None:
        self.subscriber(event)


def _early_context() -> AbstractContextManager[Any]:
    path = getattr(settings, "DOMAIN_EVENT_EARLY_CONTEXT", "")
    if not path:
        return nullcontext()
    factory: Callable[[], AbstractContextManager[Any]] = import_string(path)
    return factory()


@dataclass
class _Delivery:
    """The events being delivered together, and what subscribers read once for all of them."""

    events: Sequence[DomainEvent]
    memo: dict[str, Any] = field(default_factory=dict)


# Set inside ``publishing_together()``: where ``publish`` collects the events.
_collecting: ContextVar[list[tuple[Any, DomainEvent]] | None] = ContextVar(
    "event_bus_collecting", default=None
)
# Set while events published together are delivered.
_delivering: ContextVar[_Delivery | None] = ContextVar("event_bus_delivering", default=None)


def _call(subscriber: Callable[[Any], None], argument: Any) -> None:
    try:
        subscriber(argument)
    except Exception:  # one broken subscriber must not silence the others
        if getattr(settings, "DOMAIN_EVENTS_STRICT", False):
            raise  # the test suite: a failing subscriber fails the test
        logger.exception("subscriber %r failed on %s", subscriber, argument)


def _deliver_early(events: Sequence[DomainEvent]) -> None:
    """The ``Early`` subscribers of ``events``, event by event, inside the early context."""

    try:
        with _early_context():
            for event in events:
                for subscriber in subscribers_for(event):
                    if isinstance(subscriber, Early):
                        _call(subscriber.subscriber, event)
    except Exception:  # the context's own failure (at its exit): as a subscriber's
        if getattr(settings, "DOMAIN_EVENTS_STRICT", False):
            raise
        logger.exception("the early subscribers of %s events failed", len(events))


def _deliver(event: DomainEvent) -> None:
    for subscriber in subscribers_for(event):
        _call(subscriber, event)


def _in_tenant(tenant: Any, deliver: Callable[[], None]) -> None:
    if tenant is None or getattr(connection, "tenant", None) is tenant:
        # Still in the publishing tenant (the usual case: a request or task that committed):
        # entering it again would only make the next query re-issue ``SET search_path``.
        deliver()
        return
    with tenant_context(tenant):
        deliver()


def _deliver_in(tenant: Any, event: DomainEvent) -> None:
    _in_tenant(tenant, partial(_deliver, event))


def _deliver_many(events: Sequence[DomainEvent]) -> None:
    """Every event to its subscribers in order, as ``_deliver`` would one after the other,
    except that the ``Early`` subscribers get all the events first; a ``Together`` subscriber
    gets all its events at its first one."""
    token = _delivering.set(_Delivery(events))
    try:
        _deliver_early(events)
        done: set[Together] = set()
        for event in events:
            for subscriber in subscribers_for(event):
                if isinstance(subscriber, Early):
                    continue  # delivered above
                if not isinstance(subscriber, Together):
                    _call(subscriber, event)
                elif subscriber not in done:
                    done.add(subscriber)
                    mine = [e for e in events if subscriber in subscribers_for(e)]
                    _call(subscriber.many, mine)
    finally:
        _delivering.reset(token)


def _deliver_together(collected: list[tuple[Any, DomainEvent]]) -> None:
    for tenant, run in groupby(collected, key=lambda pair: pair[0]):
        events = [event for _, event in run]
        _in_tenant(tenant, partial(_deliver_many, events))


@contextmanager
def publishing_together() -> Iterator[None]:
    """Inside a transaction: the events published in this block are delivered together once
    it commits (after the hooks registered before the block's end). Events published inside a
    savepoint that rolls back are dropped, as ``publish`` drops them."""
    if not connection.in_atomic_block:
        raise RuntimeError("publishing_together() needs a transaction")
    collected: list[tuple[Any, DomainEvent]] = []
    token = _collecting.set(collected)
    try:
        yield
    finally:
        _collecting.reset(token)
    transaction.on_commit(partial(_deliver_together, collected))


def together_memo(key: str, compute: Callable[[Sequence[DomainEvent]], T]) -> T | None:
    """While events published together are delivered: ``compute(events)`` for all of them,
    once per ``key`` (computed again after anything published meanwhile committed, since a
    nested change can make it stale); None otherwise, and the caller reads for its one event."""
    delivery = _delivering.get()
    if delivery is None:
        return None
    if key not in delivery.memo:
        delivery.memo[key] = compute(delivery.events)
    found: T = delivery.memo[key]
    return found


def publish_now(event: DomainEvent) -> None:
    """Deliver a signal that describes no stored change (someone is typing) at once: with
    nothing to commit there is nothing to wait for, and a wait would hold it back for as long
    as an unrelated transaction of the caller lasts."""
    _deliver(event)


def publish(event: DomainEvent) -> None:
    """Deliver ``event`` to its subscribers after the current transaction commits, inside the
    tenant (schema) it was published from, even if the caller has left that tenant by then."""
    tenant = getattr(connection, "tenant", None)
    collected = _collecting.get()
    if collected is not None:
        # Appended at commit (a rolled-back savepoint drops it), delivered with the others.
        transaction.on_commit(partial(collected.append, (tenant, event)))
        return
    delivery = _delivering.get()
    if delivery is not None:
        # A subscriber of events delivered together changed something (the chatbot answered):
        # what the others read for the whole batch may be stale now.
        delivery.memo.clear()
    transaction.on_commit(partial(_deliver_in, tenant, event))
