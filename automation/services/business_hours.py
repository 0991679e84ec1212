"""Business hours: admins set a schedule (the tenant's or a queue's own), and a customer who
writes on a waiting ticket while it is closed gets its out-of-hours message once per closed
period, through the outbound pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.errors import AdminRequired
from accounts.models import User
from audit.services import audit_record
from automation.domain_events import BusinessHoursChanged
from automation.models import (
    BusinessHours,
    BusinessHoursHoliday,
    BusinessHoursInterval,
    OutOfHoursNotice,
)
from automation.selectors.business_hours import MIDNIGHT, schedule_for_queue
from automation.selectors.flows import flow_holds_ticket
from core.event_bus import publish
from core.exceptions import FieldValidationError
from tickets.message_variables import SYSTEM_TEXT, variables_check
from tickets.models import Message, Queue, Ticket
from tickets.services.greetings import ticket_system_message_queue

OUT_OF_HOURS_MARK = "out_of_hours"
MESSAGE_MAX_LENGTH = 4096
MAX_INTERVALS_PER_DAY = 6
MAX_HOLIDAYS = 200


@dataclass(frozen=True)
class IntervalInput:
    weekday: int
    opens_at: time
    closes_at: time


@dataclass(frozen=True)
class HolidayInput:
    date: date
    name: str = ""


def _check_intervals(intervals: Sequence[IntervalInput]) -> None:
    """Each interval opens before it closes (00:00 closing: midnight); the intervals of a day
    do not overlap and are at most MAX_INTERVALS_PER_DAY. Errors name the interval's index."""
    errors: dict[str, list[str]] = {}
    by_day: dict[int, list[tuple[int, IntervalInput]]] = {}
    for index, interval in enumerate(intervals):
        key = f"intervals.{index}"
        if not 0 <= interval.weekday <= 6:
            errors[key] = [_("The weekday must be 0 (Monday) to 6 (Sunday).")]
        elif interval.closes_at != MIDNIGHT and interval.opens_at >= interval.closes_at:
            errors[key] = [_("An interval must open before it closes.")]
        else:
            by_day.setdefault(interval.weekday, []).append((index, interval))
    for day in by_day.values():
        if len(day) > MAX_INTERVALS_PER_DAY:
            errors[f"intervals.{day[-1][0]}"] = [
                _("At most %(count)d intervals per day.") % {"count": MAX_INTERVALS_PER_DAY}
            ]
            continue
        day.sort(key=lambda pair: pair[1].opens_at)
        for (_i, earlier), (index, later) in zip(day, day[1:], strict=False):
            earlier_end = earlier.closes_at
            if earlier_end == MIDNIGHT or later.opens_at < earlier_end:
                errors[f"intervals.{index}"] = [_("This interval overlaps another of that day.")]
    if errors:
        raise FieldValidationError(errors)


@transaction.atomic
def business_hours_set(
    *,
    by: User,
    queue: Queue | None = None,
    is_enabled: bool,
    out_of_hours_message: str,
    intervals: Sequence[IntervalInput],
    holidays: Sequence[HolidayInput] = (),
    bot_stops_out_of_hours: bool = False,
) -> BusinessHours:
    """Replace the tenant's schedule (``queue`` None) or give a queue its own (admins only).

    Enabled, a schedule needs its out-of-hours message. ``bot_stops_out_of_hours``: while it
    is closed the chatbot does not answer (by default it runs out of hours too). Intervals
    and holidays are replaced as a whole; bad input is refused (400 naming the field and
    index) and nothing changes.
    """
    if not by.is_admin:
        raise AdminRequired()
    message = out_of_hours_message.strip()
    variables_check({"out_of_hours_message": message}, allowed=SYSTEM_TEXT)
    if len(message) > MESSAGE_MAX_LENGTH:
        raise FieldValidationError(
            {"out_of_hours_message": [_("The message is too long.")]},
        )
    if is_enabled and not message:
        raise FieldValidationError(
            {"out_of_hours_message": [_("An enabled schedule needs its out-of-hours message.")]}
        )
    _check_intervals(intervals)
    if len(holidays) > MAX_HOLIDAYS:
        raise FieldValidationError(
            {"holidays": [_("At most %(count)d holidays.") % {"count": MAX_HOLIDAYS}]}
        )
    dates = [holiday.date for holiday in holidays]
    if len(set(dates)) != len(dates):
        raise FieldValidationError({"holidays": [_("A date is listed twice.")]})
    scope = Q(queue__isnull=True) if queue is None else Q(queue=queue)
    try:
        with transaction.atomic():
            row = BusinessHours.objects.select_for_update().filter(scope).first()
            if row is None:
                row = BusinessHours.objects.create(queue=queue)
    except IntegrityError:  # a concurrent first save created it
        row = BusinessHours.objects.select_for_update().get(scope)
    row.is_enabled = is_enabled
    row.out_of_hours_message = message
    row.bot_stops_out_of_hours = bot_stops_out_of_hours
    row.save()
    row.intervals.all().delete()
    BusinessHoursInterval.objects.bulk_create(
        BusinessHoursInterval(
            schedule=row, weekday=i.weekday, opens_at=i.opens_at, closes_at=i.closes_at
        )
        for i in intervals
    )
    row.holidays.all().delete()
    BusinessHoursHoliday.objects.bulk_create(
        BusinessHoursHoliday(schedule=row, date=h.date, name=h.name.strip()[:80]) for h in holidays
    )
    publish(BusinessHoursChanged(queue_id=row.queue_id))
    audit_record(
        "business_hours.updated",
        actor=by,
        obj=row,
        extra={
            "queue_id": row.queue_id,
            "is_enabled": is_enabled,
            "intervals": len(intervals),
            "holidays": len(holidays),
        },
    )
    return row


@transaction.atomic
def business_hours_delete(*, by: User, queue: Queue) -> bool:
    """Drop a queue's own schedule (it follows the tenant's again); True if it had one."""
    if not by.is_admin:
        raise AdminRequired()
    deleted, _rows = BusinessHours.objects.filter(queue=queue).delete()
    if deleted:
        publish(BusinessHoursChanged(queue_id=queue.pk))
        audit_record("business_hours.deleted", actor=by, obj=queue)
    return bool(deleted)


@transaction.atomic
def out_of_hours_notice_send(*, message_id: int) -> Message | None:
    """Answer a customer's message received while the ticket's schedule is closed with its
    out-of-hours message, once per ticket per closed period; the notice sent, or None.

    Only for a customer's message on a waiting (pending) ticket: an agent already attending
    answers themselves; never for groups or blocked contacts; not while the chatbot has the
    ticket, unless the schedule stops the bot out of hours. The moment is the message's own
    (when the channel says it was sent), read in the tenant's time zone. The closed period is
    named by its end (the next opening); a unique row per (ticket, period) settles
    simultaneous messages, so only one of them sends.
    """
    message = (
        Message.objects.select_related("ticket__contact", "ticket__queue", "ticket__connection")
        .filter(pk=message_id, direction=Message.Direction.INBOUND, deleted_at__isnull=True)
        .first()
    )
    if message is None:
        return None
    ticket = message.ticket
    contact = ticket.contact
    if ticket.status != Ticket.Status.PENDING or ticket.deleted_at is not None:
        return None
    if contact.is_group or contact.is_blocked:
        return None
    schedule = schedule_for_queue(queue_id=ticket.queue_id)
    at = message.sent_at or message.delivered_at or message.created_at
    if schedule is None or not schedule.message:
        return None
    period = schedule.closed_period(at)
    if period is None:
        return None
    if not schedule.stops_bot and flow_holds_ticket(ticket=ticket):
        return None  # the bot answers (it runs out of hours too); the notice waits for a person
    try:
        with transaction.atomic():
            notice = OutOfHoursNotice.objects.create(ticket=ticket, period=period)
    except IntegrityError:
        return None  # this closed period's notice was already sent
    notice.message = ticket_system_message_queue(
        ticket=ticket,
        text=schedule.message,
        at=at,
        payload={OUT_OF_HOURS_MARK: period},
    )
    notice.save(update_fields=["message"])
    return notice.message
