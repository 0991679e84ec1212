"""The domain event bus delivers after commit, in order, and never from a rolled-back change."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection, transaction

from core.event_bus import DomainEvent, publish
from tenants.tenancy import tenant_scope

received: list[tuple[str, int]] = []


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


def _publish_then_fail() -> None:
    with transaction.atomic():
        publish(Happened(number=2))
        raise RolledBack()


TABLE = {Happened: [_first, _broken, _second], Located: [_schema]}


@pytest.fixture(autouse=True)
def _table(settings):
    settings.DOMAIN_EVENT_SUBSCRIBERS = "core.tests.test_event_bus.TABLE"
    settings.DOMAIN_EVENTS_STRICT = False  # production behaviour: log and go on
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


def test_subscribers_run_in_the_tenant_the_event_was_published_from(
    alpha, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with tenant_scope(alpha.tenant):
            publish(Located(number=1))
        publish(Located(number=2))  # from the public schema
        assert connection.schema_name == "public"

    assert received == [("alpha", 1), ("public", 2)]
