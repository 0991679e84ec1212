"""Business hours: open and closed on both sides of each boundary in the tenant's time zone
(America/Sao_Paulo and Asia/Tokyo), holidays, overnight hours, and the out-of-hours message
sent once per ticket per closed period through the real inbound and outbound pipelines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from automation.models import OutOfHoursNotice
from automation.selectors.business_hours import queues_open_at, schedule_for_queue
from automation.tests.conftest import receive, receive_in_batch, run_automation_tasks
from automation.tests.factories import WEEKDAYS, business_hours_create
from channels_integrations.models import OutboundDelivery
from channels_integrations.providers.base import InboundMessage
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.tasks import inbound_event_process_task
from channels_integrations.tests.support import sample_connection, text_item
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import QueueFactory

NOTICE_TASK = "automation.tasks.out_of_hours_notice_send_task"
# Monday 7 December 2026 and Tuesday 8 December 2026.
MONDAY, TUESDAY = date(2026, 12, 7), date(2026, 12, 8)


def utc(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def _set_time_zone(fixture, zone: str) -> None:
    fixture.tenant.time_zone = zone
    fixture.tenant.save(update_fields=["time_zone"])


@pytest.mark.parametrize(
    ("zone", "moment", "is_open"),
    [
        # São Paulo is UTC-3: 08:00 local is 11:00 UTC, 12:00 local is 15:00 UTC.
        ("America/Sao_Paulo", utc(MONDAY, 10, 59, 59), False),
        ("America/Sao_Paulo", utc(MONDAY, 11, 0, 0), True),
        ("America/Sao_Paulo", utc(MONDAY, 14, 59, 59), True),
        ("America/Sao_Paulo", utc(MONDAY, 15, 0, 0), False),  # lunch
        ("America/Sao_Paulo", utc(MONDAY, 16, 0, 0), True),
        ("America/Sao_Paulo", utc(MONDAY, 21, 0, 0), False),  # 18:00 local
        # Tokyo is UTC+9: Monday 08:00 local is Sunday 23:00 UTC.
        ("Asia/Tokyo", utc(date(2026, 12, 6), 22, 59, 59), False),
        ("Asia/Tokyo", utc(date(2026, 12, 6), 23, 0, 0), True),
        ("Asia/Tokyo", utc(MONDAY, 2, 59, 59), True),
        ("Asia/Tokyo", utc(MONDAY, 3, 0, 0), False),
        # The same UTC moment that is open in São Paulo is night in Tokyo.
        ("Asia/Tokyo", utc(MONDAY, 12, 0, 0), False),
    ],
)
def test_open_and_closed_on_both_sides_of_each_boundary_in_the_tenants_zone(
    alpha, zone, moment, is_open
):
    _set_time_zone(alpha, zone)
    with tenant_scope(alpha.tenant):
        business_hours_create(intervals=WEEKDAYS)
        schedule = schedule_for_queue(queue_id=None)

    assert schedule is not None
    assert schedule.is_open(moment) is is_open


def test_a_holiday_is_closed_all_day_and_the_next_opening_skips_it(alpha):
    with tenant_scope(alpha.tenant):
        business_hours_create(intervals=WEEKDAYS, holidays=(TUESDAY,))
        schedule = schedule_for_queue(queue_id=None)

    assert schedule.is_open(utc(MONDAY, 12)) is True
    assert schedule.is_open(utc(TUESDAY, 12)) is False  # 09:00 local, but a holiday
    # Monday 19:00 local: closed until Wednesday 08:00 local (11:00 UTC).
    assert schedule.next_opening(utc(MONDAY, 22)) == utc(date(2026, 12, 9), 11)


def test_overnight_hours_are_two_intervals_and_midnight_closes_the_first(alpha):
    with tenant_scope(alpha.tenant):
        business_hours_create(intervals={0: [("22:00", "00:00")], 1: [("00:00", "02:00")]})
        schedule = schedule_for_queue(queue_id=None)

    assert schedule.is_open(utc(MONDAY, 23)) is False  # 20:00 local
    assert schedule.is_open(utc(TUESDAY, 1, 30)) is True  # Monday 22:30 local
    assert schedule.is_open(utc(TUESDAY, 4, 30)) is True  # Tuesday 01:30 local
    assert schedule.is_open(utc(TUESDAY, 5, 0)) is False  # Tuesday 02:00 local


def test_a_queue_with_its_own_schedule_follows_it_and_the_others_the_tenants(alpha):
    with tenant_scope(alpha.tenant):
        night = QueueFactory(name="Night")
        sales = QueueFactory(name="Sales")
        business_hours_create(intervals=WEEKDAYS)
        business_hours_create(queue=night, intervals={0: [("20:00", "23:00")]})
        # Monday 21:00 local: the tenant is closed, the night queue open.
        opened = queues_open_at(queue_ids=[night.pk, sales.pk], at=utc(TUESDAY, 0))

    assert opened == {night.pk: True, sales.pk: False}


def test_a_disabled_or_missing_schedule_is_always_open(alpha, beta):
    with tenant_scope(alpha.tenant):
        business_hours_create(intervals={}, is_enabled=False)
        assert schedule_for_queue(queue_id=None) is None
    with tenant_scope(beta.tenant):
        assert schedule_for_queue(queue_id=None) is None


# --------------------------------------------------------------------------- the notice


@pytest.fixture
def connection(alpha, sample_providers, media_root):
    connection = sample_connection(alpha.tenant)
    with tenant_scope(alpha.tenant):
        business_hours_create(intervals=WEEKDAYS, message="Fechados agora, {name}.")
        yield connection


def _notices():
    return list(
        Message.objects.filter(sender=Message.Sender.SYSTEM, payload__has_key="out_of_hours")
        .order_by("id")
        .values_list("body", flat=True)
    )


def test_the_out_of_hours_message_is_sent_once_per_closed_period(
    connection, published, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    # Monday 07:00 and 07:30 local: one closed period (until 08:00).
    receive(connection, capture, text_item("e1", date=utc(MONDAY, 10).timestamp()))
    receive(connection, capture, text_item("e2", date=utc(MONDAY, 10, 30).timestamp()))
    # Monday 09:00 local: open.
    receive(connection, capture, text_item("e3", date=utc(MONDAY, 12).timestamp()))
    # Monday 12:30 local (lunch): another closed period.
    receive(connection, capture, text_item("e4", date=utc(MONDAY, 15, 30).timestamp()))
    receive(connection, capture, text_item("e5", date=utc(MONDAY, 15, 45).timestamp()))

    ran = run_automation_tasks(published, capture)

    assert [name for name, _ in ran].count(NOTICE_TASK) == 5
    assert _notices() == ["Fechados agora, Ana.", "Fechados agora, Ana."]
    ticket = Ticket.objects.get()
    periods = list(OutOfHoursNotice.objects.filter(ticket=ticket).values_list("period", flat=True))
    assert periods == ["2026-12-07T08:00:00-03:00", "2026-12-07T13:00:00-03:00"]
    # Through the outbound pipeline: each notice has its delivery.
    notices = Message.objects.filter(payload__has_key="out_of_hours")
    assert OutboundDelivery.objects.filter(message__in=notices).count() == 2


def test_a_batchs_notices_go_in_one_task_once_per_ticket_and_closed_period(
    connection, published, django_capture_on_commit_callbacks
):
    """An inbound batch publishes one notice task with its messages; run twice (a worker
    killed after sending), it sends nothing more."""
    capture = django_capture_on_commit_callbacks
    receive_in_batch(
        connection,
        capture,
        # Monday 07:00 and 07:30 local from Ana, 07:10 from Bia: one closed period each.
        text_item("e1", "chat-1", date=utc(MONDAY, 10).timestamp()),
        text_item("e2", "chat-2", date=utc(MONDAY, 10, 10).timestamp(), name="Bia"),
        text_item("e3", "chat-1", date=utc(MONDAY, 10, 30).timestamp()),
        # Monday 09:00 local: open.
        text_item("e4", "chat-2", date=utc(MONDAY, 12).timestamp(), name="Bia"),
    )

    ran = run_automation_tasks(published, capture)
    run_automation_tasks(published, capture)

    assert [name for name, _ in ran if "out_of_hours" in name] == [
        "automation.tasks.out_of_hours_notices_send_task"
    ]
    assert sorted(_notices()) == ["Fechados agora, Ana.", "Fechados agora, Bia."]
    assert OutOfHoursNotice.objects.count() == 2


def test_running_the_notice_twice_for_one_message_sends_one(
    connection, published, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    receive(connection, capture, text_item("e1", date=utc(MONDAY, 10).timestamp()))
    run_automation_tasks(published, capture)
    run_automation_tasks(published, capture)

    assert _notices() == ["Fechados agora, Ana."]


def test_no_notice_on_a_ticket_an_agent_is_attending(
    connection, published, django_capture_on_commit_callbacks
):
    from accounts.tests.factories import UserFactory

    capture = django_capture_on_commit_callbacks
    receive(connection, capture, text_item("e1", date=utc(MONDAY, 12).timestamp()))
    Ticket.objects.update(status=Ticket.Status.OPEN, assignee=UserFactory())
    receive(connection, capture, text_item("e2", date=utc(MONDAY, 22).timestamp()))

    run_automation_tasks(published, capture)

    assert _notices() == []


def test_the_schedule_of_one_tenant_never_answers_another(
    alpha, beta, sample_providers, media_root, published, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    at_alpha = sample_connection(alpha.tenant)
    at_beta = sample_connection(beta.tenant)
    with tenant_scope(alpha.tenant):
        business_hours_create(intervals=WEEKDAYS)
    night = utc(MONDAY, 3).timestamp()
    with tenant_scope(beta.tenant):
        receive(at_beta, capture, text_item("b1", date=night))
        run_automation_tasks(published, capture)
        assert _notices() == []
    published.clear()
    with tenant_scope(alpha.tenant):
        receive(at_alpha, capture, text_item("a1", date=night))
        run_automation_tasks(published, capture)
        assert len(_notices()) == 1


def test_no_notice_ever_goes_to_a_group(
    alpha, connection, published, django_capture_on_commit_callbacks
):
    """A group chat's message (WhatsApp QR, the tenant reading groups) opens a group ticket
    that gets no notice, while a person writing at the same moment gets one."""
    capture = django_capture_on_commit_callbacks
    tenant_settings_update(tenant=alpha.tenant, values={"ignore_group_messages": False})
    items = [
        InboundMessage(
            event_id=f"g-{n}",
            external_id="120363025246125244@g.us" if group else "chat-9",
            provider_message_id=f"m-{n}",
            kind="text",
            body="Oi",
            contact_name="" if group else "Ana",
            sent_at=utc(MONDAY, 3),
            is_group=group,
            extra={"group_sender": {"name": "Bia", "number": "5511988887777"}} if group else {},
        )
        for n, group in enumerate((True, False))
    ]
    with capture(execute=True):
        for event_id in inbound_events_record(connection=connection, items=items):
            inbound_event_process_task.apply(args=(event_id,))

    run_automation_tasks(published, capture)

    group_ticket = Ticket.objects.get(contact__is_group=True)
    assert group_ticket.messages.count() == 1  # the group's message, and no notice
    assert _notices() == ["Fechados agora, Ana."]  # the person's
