"""The domain event bus delivers after commit, in order, and never from a rolled-back change;
events published together (an inbound batch) keep that order, with one call for all of a
``Together`` subscriber's events and one computation per batch of ``together_memo``, and with
every ``Early`` subscriber's calls first, inside the early context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, transaction

from core.event_bus import (
    DomainEvent,
    Early,
    Together,
    publish,
    publishing_together,
    together_memo,
)
from tenants.tenancy import tenant_scope

received: list[tuple[Any, ...]] = []


@dataclass(frozen=True)
class Happened(DomainEvent):
    number: int


@dataclass(frozen=True)
class Located(DomainEvent):
    number: int


def _first(event: Happened) -> None:
    received.append(("first", event.number))


def _broken(event: Happened) -> None:
    raise RuntimeError("a broken subscriber")


def _second(event: Happened) -> None:
    received.append(("second", event.number))


def _schema(event: Located) -> None:
    received.append((connection.schema_name, event.number))


class RolledBack(Exception):
    pass


def _publish_then_fail(event: DomainEvent | None = None) -> None:
    with transaction.atomic():
        publish(event or Happened(number=2))
        raise RolledBack()


@dataclass(frozen=True)
class Batched(DomainEvent):
    number: int


@dataclass(frozen=True)
class Nested(DomainEvent):
    number: int


computed: list[list[int]] = []


def _numbers(events):
    numbers = [event.number for event in events]
    computed.append(numbers)
    return numbers


def _each(event: Batched) -> None:
    memo = together_memo("numbers", _numbers)
    received.append(("each", event.number, memo))
    if event.number == 2:  # a subscriber that changes something: its own commit, its event
        publish(Nested(number=20))


def _nested(event: Nested) -> None:
    received.append(("nested", event.number, together_memo("numbers", _numbers)))


def _many(events: list[Batched]) -> None:
    received.append(("many", [event.number for event in events], None))


def _one(event: Batched) -> None:
    received.append(("one", event.number, None))


listed = Together(_one, _many)


@dataclass(frozen=True)
class Live(DomainEvent):
    number: int


def _live(event: Live) -> None:
    received.append(("live", event.number, together_memo("numbers", _numbers)))


def _live_broken(event: Live) -> None:
    if event.number == 2:
        raise RuntimeError("a broken early subscriber")


def _slow(event: Live) -> None:
    received.append(("slow", event.number, None))


@contextmanager
def _early_block() -> Iterator[None]:
    received.append(("early block", 0, None))
    yield
    received.append(("early block ends", 0, None))


TABLE = {
    Happened: [_first, _broken, _second],
    Located: [_schema],
    Batched: [_each, listed],
    Nested: [_nested],
    Live: [_slow, Early(_live_broken), Early(_live), Together(_one, _many)],
}


@pytest.fixture(autouse=True)
def _table(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = "core.tests.test_event_bus.TABLE"
    settings.DOMAIN_EVENTS_STRICT = False  # production behaviour: log and go on
    received.clear()
    computed.clear()


@pytest.mark.django_db
def test_subscribers_run_only_after_commit_in_publication_order(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(Happened(number=1))
        publish(Happened(number=2))
        assert received == []  # still inside the transaction

    assert received == [("first", 1), ("second", 1), ("first", 2), ("second", 2)]


@pytest.mark.django_db
def test_a_rolled_back_change_emits_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publish(Happened(number=1))
        with pytest.raises(RolledBack):
            _publish_then_fail()

    assert received == [("first", 1), ("second", 1)]


def test_subscribers_run_in_the_tenant_the_event_was_published_from(
    alpha, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_scope(alpha.tenant):
            publish(Located(number=1))
        publish(Located(number=2))  # from the public schema
        assert connection.schema_name == "public"

    assert received == [("alpha", 1), ("public", 2)]


@pytest.mark.django_db
def test_events_published_together_keep_their_order_and_a_together_subscriber_gets_them_once(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic(), publishing_together():
            publish(Batched(number=1))
            with pytest.raises(RolledBack):  # a poison event's savepoint
                _publish_then_fail(Batched(number=9))
            publish(Batched(number=2))
            publish(Batched(number=3))
        assert received == []  # still inside the transaction

    assert received == [
        ("each", 1, [1, 2, 3]),
        ("many", [1, 2, 3], None),  # at the first of its events, all of them
        ("each", 2, [1, 2, 3]),
        ("each", 3, [1, 2, 3]),
        # Published by a subscriber inside the test's transaction, so delivered once the
        # batch's delivery is over (in a worker, in autocommit, it would be delivered at once).
        ("nested", 20, None),
    ]
    # Read once for the batch, then again after a subscriber published (it may be stale).
    assert computed == [[1, 2, 3], [1, 2, 3]]


@pytest.mark.django_db
def test_outside_a_batch_a_together_subscriber_is_called_per_event_and_nothing_is_memoized(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(Batched(number=1))
        publish(Batched(number=3))

    assert received == [("each", 1, None), ("one", 1, None), ("each", 3, None), ("one", 3, None)]
    assert computed == []


@pytest.mark.django_db
def test_early_subscribers_get_every_event_of_a_batch_first_inside_the_early_context(
    settings, django_capture_on_commit_callbacks
):
    settings.DOMAIN_EVENT_EARLY_CONTEXT = "core.tests.test_event_bus._early_block"
    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        publishing_together(),
    ):
        for number in (1, 2, 3):
            publish(Live(number=number))

    assert received == [
        ("early block", 0, None),
        ("live", 1, [1, 2, 3]),
        ("live", 2, [1, 2, 3]),  # after the broken early subscriber of the same event
        ("live", 3, [1, 2, 3]),
        ("early block ends", 0, None),
        # Then every other subscriber, event by event, in the table's order.
        ("slow", 1, None),
        ("many", [1, 2, 3], None),
        ("slow", 2, None),
        ("slow", 3, None),
    ]


@pytest.mark.django_db
def test_an_event_delivered_alone_reaches_early_subscribers_in_the_tables_order(
    settings, django_capture_on_commit_callbacks
):
    settings.DOMAIN_EVENT_EARLY_CONTEXT = "core.tests.test_event_bus._early_block"
    with django_capture_on_commit_callbacks(execute=True):
        publish(Live(number=1))

    assert received == [("slow", 1, None), ("live", 1, None), ("one", 1, None)]


@contextmanager
def _early_block_failing() -> Iterator[None]:
    yield
    raise RuntimeError("the early block could not send")


@pytest.mark.django_db
def test_a_failing_early_context_stops_none_of_the_other_subscribers(
    settings, django_capture_on_commit_callbacks
):
    settings.DOMAIN_EVENT_EARLY_CONTEXT = "core.tests.test_event_bus._early_block_failing"
    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        publishing_together(),
    ):
        publish(Live(number=1))
        publish(Live(number=3))

    assert received == [
        ("live", 1, [1, 3]),
        ("live", 3, [1, 3]),
        ("slow", 1, None),
        ("many", [1, 3], None),
        ("slow", 3, None),
    ]
