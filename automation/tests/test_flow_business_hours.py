"""The chatbot and business hours in America/Sao_Paulo (UTC-3), on both sides of each
boundary: by default the bot keeps answering out of hours; when the schedule stops it, the
customer gets the out-of-hours notice once per closed period and the bot stays silent until
the first message after opening, where it starts or continues the flow."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from automation.selectors.business_hours import bot_pause
from automation.services.flow_runs import flow_runs_inactive_process
from automation.tests.conftest import run_automation_tasks
from automation.tests.factories import WEEKDAYS, business_hours_create
from automation.tests.support import (
    after_commit,
    bot_texts,
    customer_writes,
    with_inactivity,
)
from tenants.tenancy import tenant_scope
from tickets.models import ConnectionRouting, Message, Ticket, TicketEvent

MONDAY = date(2026, 12, 7)
MENU = "Olá Ana! 1 Vendas 2 Suporte técnico 3 Atendente"
CLOSED = "Fechados agora, {{name}}."


def utc(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(MONDAY.year, MONDAY.month, MONDAY.day, hour, minute, second, tzinfo=UTC)


@pytest.fixture(autouse=True)
def sao_paulo(alpha):
    alpha.tenant.time_zone = "America/Sao_Paulo"
    alpha.tenant.save(update_fields=["time_zone"])


def _writes(alpha, connection, capture, published, text: str, at: datetime) -> None:
    """The customer writes at ``at`` (the channel's timestamp), then the automation tasks the
    message enqueued (the out-of-hours notice) run."""
    customer_writes(alpha.tenant, connection, capture, text, date=at.timestamp())
    with tenant_scope(alpha.tenant):
        run_automation_tasks(published, capture)
    published.clear()


def _notices(ticket) -> list[str]:
    return list(
        Message.objects.filter(ticket=ticket, payload__has_key="out_of_hours")
        .order_by("pk")
        .values_list("body", flat=True)
    )


def _bot_steps(ticket) -> list[str]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.BOT)
        .order_by("pk")
        .values_list("data__step", flat=True)
    )


def test_by_default_the_bot_answers_out_of_hours_and_no_notice_talks_over_it(
    alpha, connection, setup, published, django_capture_on_commit_callbacks
):
    business_hours_create(intervals=WEEKDAYS, message=CLOSED)
    capture = django_capture_on_commit_callbacks

    # Monday 07:59:59 local: closed, but the bot was not told to stop.
    _writes(alpha, connection, capture, published, "oi", utc(10, 59, 59))

    ticket = Ticket.objects.get()
    assert bot_texts(ticket) == [MENU]
    assert _notices(ticket) == []
    assert ticket.flow_run.is_started


def test_stopped_out_of_hours_the_notice_goes_once_and_the_bot_starts_at_opening(
    alpha, connection, setup, published, django_capture_on_commit_callbacks
):
    _admin, sales, _support, _flow = setup
    business_hours_create(intervals=WEEKDAYS, message=CLOSED, bot_stops=True)
    capture = django_capture_on_commit_callbacks

    # Monday 07:58 and 07:59:59 local: one closed period, one notice, no bot.
    _writes(alpha, connection, capture, published, "oi", utc(10, 58))
    _writes(alpha, connection, capture, published, "1", utc(10, 59, 59))
    ticket = Ticket.objects.get()
    assert _notices(ticket) == ["Fechados agora, Ana."]
    assert bot_texts(ticket) == []
    run = ticket.flow_run
    assert (run.is_started, run.node_id, run.retries) == (False, "menu", 0)
    assert run.paused_period == "2026-12-07T08:00:00-03:00"
    assert _bot_steps(ticket) == ["attached", "paused_out_of_hours"]  # once per period

    # 08:00:00 local: open. This first message starts the flow (it answers nothing yet).
    _writes(alpha, connection, capture, published, "1", utc(11))
    ticket.refresh_from_db()
    assert bot_texts(ticket) == [MENU]
    assert _notices(ticket) == ["Fechados agora, Ana."]
    run.refresh_from_db()
    assert (run.is_started, run.paused_period, run.ended_at) == (True, "", None)

    # The customer's next answer is read as usual.
    _writes(alpha, connection, capture, published, "vendas", utc(11, 1))
    ticket.refresh_from_db()
    assert ticket.queue == sales
    assert ticket.flow_run.end_reason == "handed_over"


def test_stopped_at_lunch_the_bot_waits_on_its_step_and_continues_after_opening(
    alpha, connection, setup, published, django_capture_on_commit_callbacks
):
    business_hours_create(intervals=WEEKDAYS, message=CLOSED, bot_stops=True)
    capture = django_capture_on_commit_callbacks

    # 11:59:59 local: open, the bot shows its menu.
    _writes(alpha, connection, capture, published, "oi", utc(14, 59, 59))
    ticket = Ticket.objects.get()
    assert bot_texts(ticket) == [MENU]

    # 12:00:00 local (lunch): the answer and a wrong one are not read, nor counted.
    _writes(alpha, connection, capture, published, "2", utc(15))
    _writes(alpha, connection, capture, published, "xyz", utc(15, 30))
    assert bot_texts(ticket) == [MENU]
    assert _notices(ticket) == ["Fechados agora, Ana."]
    run = ticket.flow_run
    run.refresh_from_db()
    assert (run.node_id, run.retries, run.ended_at) == ("menu", 0, None)

    # 13:00:00 local: open again; the next message is the answer to the menu.
    _writes(alpha, connection, capture, published, "2", utc(16))
    assert bot_texts(ticket) == [MENU, "Reinicie o roteador. Voltou?"]
    run.refresh_from_db()
    assert (run.node_id, run.paused_period) == ("sup", "")
    assert _notices(ticket) == ["Fechados agora, Ana."]


def test_a_queue_with_its_own_hours_decides_for_its_tickets(
    alpha, connection, setup, published, django_capture_on_commit_callbacks
):
    """The tenant's schedule stops the bot; the Vendas queue has its own, open at night, that
    does not: the tickets of Vendas get the bot at night, others do not."""
    _admin, sales, support, _flow = setup
    business_hours_create(intervals=WEEKDAYS, message=CLOSED, bot_stops=True)
    business_hours_create(queue=sales, intervals={0: [("08:00", "12:00")]}, message=CLOSED)
    night = utc(23)  # 20:00 local

    assert bot_pause(queue_id=support.pk, at=night) is not None
    assert bot_pause(queue_id=sales.pk, at=night) is None  # its own schedule lets the bot run
    assert bot_pause(queue_id=support.pk, at=utc(12)) is None  # 09:00 local: open

    ConnectionRouting.objects.create(connection=connection, default_queue=sales)
    _writes(alpha, connection, django_capture_on_commit_callbacks, published, "oi", night)
    ticket = Ticket.objects.get()
    assert ticket.queue == sales
    assert bot_texts(ticket) == [MENU]


def test_the_inactivity_rule_waits_while_the_bot_is_stopped(
    alpha, connection, setup, published, django_capture_on_commit_callbacks
):
    _admin, _sales, support, _flow = setup
    with_inactivity(setup, minutes=15, message="Sem resposta: passei para a equipe.")
    business_hours_create(intervals=WEEKDAYS, message=CLOSED, bot_stops=True)
    capture = django_capture_on_commit_callbacks
    _writes(alpha, connection, capture, published, "oi", utc(14, 50))  # 11:50 local
    ticket = Ticket.objects.get()
    run = ticket.flow_run
    run.inactive_at = utc(15, 5)  # silent since 11:50 local
    run.save(update_fields=["inactive_at"])

    counts: list[int] = []
    # 12:06 local (lunch): nothing moves; the silence counts again from 13:00 local.
    after_commit(
        alpha.tenant, capture, lambda: counts.append(flow_runs_inactive_process(now=utc(15, 6)))
    )
    run.refresh_from_db()
    assert counts == [0]
    assert run.inactive_at == utc(16) + timedelta(minutes=15)
    assert bot_texts(ticket) == [MENU]

    # 13:16 local: open, still silent: moved on, and told.
    after_commit(
        alpha.tenant, capture, lambda: counts.append(flow_runs_inactive_process(now=utc(16, 16)))
    )
    ticket.refresh_from_db()
    assert counts == [0, 1]
    assert ticket.queue == support
    assert bot_texts(ticket)[-1] == "Sem resposta: passei para a equipe."
