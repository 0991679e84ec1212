"""Business hours (a weekly schedule per tenant and optionally per queue, with holidays), the
out-of-hours notices already sent, and the distribution turns of round-robin queues."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from tickets.models import Message, Queue, Ticket


class BusinessHours(BaseModel):
    """A weekly schedule in the tenant's time zone: the tenant's (``queue`` empty, one at most)
    or one queue's own, which replaces the tenant's for that queue's tickets.

    Disabled, it is always open. Outside its intervals, and all day on its holidays, a
    customer who writes on a waiting ticket gets ``out_of_hours_message`` once per closed
    period (automation.services.business_hours). The chatbot keeps answering while it is
    closed unless ``bot_stops_out_of_hours``: then the bot waits, silent, until it opens.
    """

    queue = models.OneToOneField(
        Queue,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="business_hours",
        verbose_name=_("queue"),
    )
    is_enabled = models.BooleanField(_("enabled"), default=False)
    out_of_hours_message = models.TextField(_("out-of-hours message"), blank=True, default="")
    bot_stops_out_of_hours = models.BooleanField(_("stop the bot out of hours"), default=False)

    class Meta:
        ordering = ["queue_id", "id"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        constraints = [
            # One tenant-wide schedule (queue empty) and one per queue.
            models.UniqueConstraint(
                Coalesce("queue", Value(0)), name="businesshours_one_per_scope"
            ),
        ]

    def __str__(self) -> str:
        return f"business hours of queue {self.queue_id}" if self.queue_id else "business hours"


class BusinessHoursInterval(models.Model):
    """One open interval of a weekday, [opens_at, closes_at) in the tenant's time zone;
    ``closes_at`` 00:00 means "until midnight". A day may have several; a day without any is
    closed."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    schedule = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["weekday", "opens_at"]
        verbose_name = _("open interval")
        verbose_name_plural = _("open intervals")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="bhinterval_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")) | Q(closes_at="00:00"),
                name="bhinterval_opens_before_closing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class BusinessHoursHoliday(models.Model):
    """A date on which the schedule is closed all day."""

    schedule = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=80, blank=True, default="")

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="bhholiday_unique_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


class OutOfHoursNotice(models.Model):
    """The out-of-hours message a ticket got for one closed period, identified by when that
    period ends (``period``: the next opening, ISO 8601, or ``never``). The unique constraint
    is what makes it once per ticket per closed period, also for simultaneous messages."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=40)
    message = models.ForeignKey(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("out-of-hours notice")
        verbose_name_plural = _("out-of-hours notices")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "period"], name="outofhours_once_per_period"),
        ]

    def __str__(self) -> str:
        return f"out-of-hours notice of {self.ticket_id} until {self.period}"


class DistributionTurn(models.Model):
    """When a queue last gave an agent a ticket automatically: round-robin picks the online
    agent whose turn is oldest (never first)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["queue_id", "last_assigned_at"]
        verbose_name = _("distribution turn")
        verbose_name_plural = _("distribution turns")
        constraints = [
            models.UniqueConstraint(fields=["queue", "agent"], name="distributionturn_unique"),
        ]

    def __str__(self) -> str:
        return f"turn of {self.agent_id} in {self.queue_id}"
