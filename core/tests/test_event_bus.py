"""The domain event bus delivers after commit, in order, and never from a rolled-back change."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from core.event_bus import DomainEvent, publish

received: list[tuple[str, int]] = []


@dataclass(frozen=True)
class Happened(DomainEvent):
    number: int


@dataclass(frozen=True)
class Ignored(DomainEvent):
    number: int


def _first(event: Happened) -> None:
    received.append(("first", event.number))


def _broken(event: Happened) -> None:
    raise RuntimeError("a broken subscriber")


def _second(event: Happened) -> None:
    received.append(("second", event.number))


class RolledBack(Exception):
    pass


def _publish_then_fail() -> None:
    with transaction.atomic():
        publish(Happened(number=2))
        raise RolledBack()


TABLE = {Happened: [_first, _broken, _second]}


@pytest.fixture(autouse=True)
def _table(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = "core.tests.test_event_bus.TABLE"
    received.clear()


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


@pytest.mark.django_db
def test_events_without_subscribers_are_dropped_quietly(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publish(Ignored(number=1))

    assert received == []
