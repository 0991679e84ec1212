"""Delivery statuses only move forward: queued < sent < delivered < read; failed from early."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.services.messages import message_status_update
from tickets.tests.factories import MessageFactory


@pytest.fixture
def outbound(alpha):
    with tenant_scope(alpha.tenant):
        yield MessageFactory(
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.AGENT,
            sender_contact=None,
            status=Message.Status.QUEUED,
            provider_message_id="wamid.out",
        )


def _update(message, status, **kwargs):
    return message_status_update(
        connection=message.connection, provider_message_id="wamid.out", status=status, **kwargs
    )


def test_statuses_move_forward_and_stamp_their_times(outbound):
    at = timezone.now()

    _update(outbound, "sent", at=at)
    _update(outbound, "delivered", at=at + timedelta(seconds=1))
    updated = _update(outbound, "read", at=at + timedelta(seconds=2))

    assert updated.status == Message.Status.READ
    assert updated.sent_at == at
    assert updated.delivered_at == at + timedelta(seconds=1)
    assert updated.read_at == at + timedelta(seconds=2)


def test_a_late_delivered_report_never_moves_read_back(outbound):
    _update(outbound, "read")

    updated = _update(outbound, "delivered")

    outbound.refresh_from_db()
    assert updated.status == outbound.status == Message.Status.READ


def test_read_without_earlier_reports_fills_the_skipped_times(outbound):
    at = timezone.now()

    updated = _update(outbound, "read", at=at)

    assert (updated.sent_at, updated.delivered_at, updated.read_at) == (at, at, at)


def test_failed_keeps_the_error_detail(outbound):
    _update(outbound, "sent")

    updated = _update(outbound, "failed", error_code="131047", error_detail="Re-engagement")

    outbound.refresh_from_db()
    assert outbound.status == Message.Status.FAILED
    assert (updated.error_code, updated.error_detail) == ("131047", "Re-engagement")


def test_failed_after_delivered_is_ignored(outbound):
    _update(outbound, "delivered")

    _update(outbound, "failed", error_code="x")

    outbound.refresh_from_db()
    assert outbound.status == Message.Status.DELIVERED
    assert outbound.error_code == ""


def test_an_unknown_provider_id_returns_none(outbound):
    assert (
        message_status_update(
            connection=outbound.connection, provider_message_id="nope", status="read"
        )
        is None
    )
