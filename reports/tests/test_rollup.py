"""The rollup follows the timeline: every ticket change publishes a domain event, whose handler
enqueues the refresh of that ticket's attendance row; after each step the row equals the raw
computation (``attendance_values_raw``), and ``reports_rebuild`` recomputes every row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time

import pytest
from celery.signals import after_task_publish
from django.core.management import call_command
from django.db import transaction

from accounts.tests.factories import UserFactory
from automation.services.business_hours import (
    IntervalInput,
    business_hours_delete,
    business_hours_set,
)
from automation.tests.factories import business_hours_create
from contacts.tests.factories import ContactFactory
from core.event_bus import publishing_together
from reports import tasks
from reports.models import Attendance
from reports.selectors import ATTENDANCE_COLUMNS, attendance_values_raw
from reports.selectors.business_time import BUSINESS_COLUMNS, QueueSchedules, business_seconds
from reports.services import attendances_business_refresh, attendances_refresh
from tenants.services import tenant_settings_update
from tickets.models import Ticket
from tickets.services.messages import ReceivedMessage, message_receive, message_send
from tickets.services.tickets import (
    ticket_accept,
    ticket_close,
    ticket_create_outbound,
    ticket_transfer,
)
from tickets.tests.factories import ConnectionFactory, QueueFactory


@pytest.fixture
def published() -> Iterator[list[tuple[str, tuple, str | None]]]:
    """(task name, args, schema) of every task this process publishes during the test."""
    records: list[tuple[str, tuple, str | None]] = []

    def record(sender=None, headers=None, body=None, **kwargs):
        records.append((sender, tuple(body[0]), (headers or {}).get("_schema_name")))

    after_task_publish.connect(record, weak=False)
    yield records
    after_task_publish.disconnect(record)


def _rollup(ticket: Ticket) -> dict:
    return Attendance.objects.filter(ticket_id=ticket.pk).values(*ATTENDANCE_COLUMNS).get()


def _raw(ticket: Ticket) -> dict:
    return attendance_values_raw().filter(pk=ticket.pk).get()


def test_an_inbound_batch_refreshes_its_rows_with_one_task_for_its_tickets_and_messages(
    in_alpha, published, django_capture_on_commit_callbacks
):
    """The domain events of an inbound batch (published together) enqueue one refresh with
    all the batch's tickets and all its messages (two before: one each); the rows equal the
    raw values, and running the task again (handed out twice) writes the same rows."""
    queue = QueueFactory()
    agent = UserFactory(queues=[queue])
    connection = ConnectionFactory(provider="telegram", default_queue=queue)
    contacts = [ContactFactory() for _ in range(3)]

    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        publishing_together(),
    ):
        messages = [
            message_receive(received=ReceivedMessage(connection=connection, contact=c))[0]
            for c in contacts
        ]
    tickets = [message.ticket for message in messages]
    refreshes = [(name, args, schema) for name, args, schema in published if "reports." in name]
    assert refreshes == [
        (
            "reports.tasks.attendances_refresh_for_batch_task",
            ([t.pk for t in tickets], [m.pk for m in messages]),
            "alpha",
        ),
    ]
    for _ in range(2):
        for name, args, _schema in refreshes:
            getattr(tasks, name.rsplit(".", 1)[-1]).apply(args=args).get()
        for ticket in tickets:
            assert _rollup(ticket) == _raw(ticket)
    assert Attendance.objects.count() == 3
    # A settled attendance (first inbound, accepted, answered) is skipped by the message task.
    ticket_accept(ticket=tickets[0], by=agent)
    reply = message_send(ticket=tickets[0], by=agent, body="Olá")
    attendances_refresh(ticket_ids=[tickets[0].pk])
    assert tasks.attendance_refresh_for_messages_task.apply(args=([reply.pk],)).get() == 0
    assert tasks.attendances_refresh_for_batch_task.apply(args=([], [reply.pk])).get() == 0
    Attendance.objects.filter(ticket=tickets[0]).update(status="closed")  # made stale
    refreshed = tasks.attendances_refresh_for_batch_task.apply(args=([tickets[0].pk], [reply.pk]))
    assert refreshed.get() == 1  # a changed ticket is refreshed even when settled
    assert _rollup(tickets[0]) == _raw(tickets[0])


def test_each_change_refreshes_its_row_to_the_raw_values(
    in_alpha, published, django_capture_on_commit_callbacks
):
    queue = QueueFactory()
    agent, other = UserFactory(queues=[queue]), UserFactory(queues=[queue])
    connection = ConnectionFactory(provider="telegram", default_queue=queue)
    contact = ContactFactory()
    tenant_settings_update(tenant=in_alpha.tenant, values={"reopen_window_minutes": 60})

    def step(change) -> Ticket:
        """Run one change with its after-commit handlers, then the tasks they enqueued (as the
        worker would: the same task, in the schema it was published from)."""
        published.clear()
        with django_capture_on_commit_callbacks(execute=True):
            result = change()
        refreshes = [
            (name, args) for name, args, schema in published if name.startswith("reports.")
        ]
        assert refreshes, "the change enqueued no refresh of its attendance"
        assert {schema for name, _, schema in published if name.startswith("reports.")} == {"alpha"}
        for name, args in refreshes:
            getattr(tasks, name.rsplit(".", 1)[-1]).apply(args=args).get()
        return result

    def received():
        return message_receive(received=ReceivedMessage(connection=connection, contact=contact))

    message, _ = step(received)
    ticket = message.ticket
    assert _rollup(ticket) == _raw(ticket)
    assert _rollup(ticket)["first_inbound_at"] == message.created_at

    step(lambda: ticket_accept(ticket=ticket, by=agent))
    assert _rollup(ticket)["first_accepted_at"] is not None
    reply = step(lambda: message_send(ticket=ticket, by=agent, body="Olá"))
    assert _rollup(ticket)["first_response_at"] == reply.created_at
    # Once accepted, answered and with a first inbound message, more messages change nothing:
    # their refresh is skipped, and the row still equals the raw values.
    later = step(lambda: message_send(ticket=ticket, by=agent, body="Mais uma"))
    assert tasks.attendance_refresh_for_message_task.apply(args=(later.pk,)).get() == 0
    assert _rollup(ticket) == _raw(ticket)
    step(lambda: ticket_transfer(ticket=ticket, by=agent, to_agent=other))
    assert _rollup(ticket)["agent_id"] == other.pk
    step(lambda: ticket_close(ticket=ticket, by=other))
    assert _rollup(ticket)["closed_at"] is not None
    # The customer writes again within the reopen window: the same attendance, reopened.
    step(received)
    assert (_rollup(ticket)["reopen_count"], _rollup(ticket)["closed_at"]) == (1, None)
    assert _rollup(ticket) == _raw(ticket)

    outbound = step(
        lambda: ticket_create_outbound(contact=ContactFactory(), connection=connection, by=agent)
    )
    assert _rollup(outbound) == _raw(outbound)
    assert _rollup(outbound)["is_outbound"] is True


def test_the_rebuild_command_recomputes_every_row(in_alpha):
    connection = ConnectionFactory()
    tickets = [
        message_receive(received=ReceivedMessage(connection=connection, contact=ContactFactory()))[
            0
        ].ticket
        for _ in range(3)
    ]
    Attendance.objects.all().delete()
    call_command("reports_rebuild", tenant="alpha", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert sorted(Attendance.objects.values_list("ticket_id", flat=True)) == sorted(
        t.pk for t in tickets
    )
    rollup = list(Attendance.objects.order_by("ticket_id").values(*ATTENDANCE_COLUMNS))
    raw = list(attendance_values_raw().order_by("pk"))
    assert rollup == raw
    # Nothing changed since: a second rebuild rewrites no row.
    assert attendances_refresh() == 0
    # With no schedule, business time is calendar time.
    row = Attendance.objects.get(ticket_id=tickets[0].pk)
    assert (row.resolution_business_seconds, row.wait_business_seconds) == (None, None)
    # Under a schedule (closed all week but Monday 08:00-09:00), the rebuild recomputes the
    # business-hours columns to what the raw values give.
    business_hours_create(intervals={0: [("08:00", "09:00")]})
    for ticket in tickets:
        ticket_accept(ticket=ticket, by=UserFactory(queues=[ticket.queue] if ticket.queue else []))
    call_command("reports_rebuild", tenant="alpha", stdout=open("/dev/null", "w"))  # noqa: SIM115
    schedules = QueueSchedules()
    for values in attendance_values_raw().order_by("pk"):
        stored = Attendance.objects.filter(ticket_id=values["ticket_id"]).values().get()
        expected = business_seconds(values, schedules(values["queue_id"]))
        assert {column: stored[column] for column in BUSINESS_COLUMNS} == expected
        assert expected["wait_business_seconds"] is not None
    assert attendances_business_refresh() == 0


def test_a_schedule_change_refreshes_the_business_hours_figures(
    in_alpha, team, stories, published, django_capture_on_commit_callbacks
):
    """Saving or dropping a schedule publishes BusinessHoursChanged; its handler enqueues the
    recomputation, which the worker runs in the tenant's schema."""
    t4 = Attendance.objects.get(ticket_id=stories[4].pk)  # 08:00-10:00 on Tuesday 10 March
    assert t4.resolution_business_seconds == t4.resolution_seconds == 7200  # no schedule yet

    def run(change) -> None:
        published.clear()
        with django_capture_on_commit_callbacks(execute=True):
            change()
        tasks_run = [(n, a, s) for n, a, s in published if n.startswith("reports.")]
        assert [(n, s) for n, _a, s in tasks_run] == [
            ("reports.tasks.attendances_business_refresh_task", "alpha")
        ]
        for _name, args, _schema in tasks_run:
            tasks.attendances_business_refresh_task.apply(args=args).get()

    # The tenant's schedule: Tuesdays 09:00-09:30 only.
    run(
        lambda: business_hours_set(
            by=team["admin"],
            is_enabled=True,
            out_of_hours_message="Fechado",
            intervals=[IntervalInput(weekday=1, opens_at=time(9), closes_at=time(9, 30))],
        )
    )
    t4.refresh_from_db()
    assert t4.resolution_business_seconds == 1800
    # Q2 gets its own schedule (disabled: always open); then drops it (the tenant's again).
    t5 = stories[5]  # Q2, outbound, first response 14:05 -> 14:06 on Wednesday
    run(
        lambda: business_hours_set(
            by=team["admin"],
            queue=team["q2"],
            is_enabled=False,
            out_of_hours_message="",
            intervals=[],
        )
    )
    assert Attendance.objects.get(ticket_id=t5.pk).first_response_business_seconds == 60
    run(lambda: business_hours_delete(by=team["admin"], queue=team["q2"]))
    assert Attendance.objects.get(ticket_id=t5.pk).first_response_business_seconds == 0
    assert Attendance.objects.get(ticket_id=stories[4].pk).resolution_business_seconds == 1800


def test_the_refresh_compiled_in_one_tenant_writes_only_the_other_tenants_rows(alpha, beta):
    """The refresh of given tickets is compiled once per process and serves every tenant: run in
    beta after alpha compiled it, it reads and writes beta's tables only (even for an id that is
    one of alpha's tickets too), and alpha's rows stay as they were."""
    from tenants.tenancy import tenant_scope

    def receive_three():  # untyped, as the tests are: the factories stand in for models
        connection = ConnectionFactory()
        return [
            message_receive(
                received=ReceivedMessage(connection=connection, contact=ContactFactory())
            )[0].ticket
            for _ in range(3)
        ]

    with tenant_scope(alpha.tenant):
        alpha_tickets = receive_three()
        Attendance.objects.all().delete()
        assert attendances_refresh(ticket_ids=[t.pk for t in alpha_tickets]) == 3
        alpha_rows = list(Attendance.objects.order_by("ticket_id").values(*ATTENDANCE_COLUMNS))
    with tenant_scope(beta.tenant):
        beta_tickets = receive_three()
        Attendance.objects.all().delete()
        ids = sorted({t.pk for t in beta_tickets} | {t.pk for t in alpha_tickets})
        assert attendances_refresh(ticket_ids=ids) == 3
        assert list(Attendance.objects.order_by("ticket_id").values(*ATTENDANCE_COLUMNS)) == list(
            attendance_values_raw().filter(pk__in=[t.pk for t in beta_tickets]).order_by("pk")
        )
    with tenant_scope(alpha.tenant):
        assert (
            list(Attendance.objects.order_by("ticket_id").values(*ATTENDANCE_COLUMNS)) == alpha_rows
        )
