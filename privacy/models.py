"""Data subjects' requests (export, erasure) with their deadlines, and the retention policy."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contacts.models import Contact
from core.models import BaseModel

# The LGPD (Art. 19, II) gives the controller 15 days to answer a full access request; the same
# due date is shown for every request so that none is left waiting unseen.
ANSWER_DAYS = 15


class PrivacyRequest(BaseModel):
    """One data-subject request about a contact: an export of their data or its erasure.

    The request log of the tenant: who asked, when, the state of the background job (with its
    progress), and when it was fulfilled. It never copies the contact's data: it points to the
    contact row, which an erasure turns into "Erased contact #id". An export's ZIP lives in the
    tenant's private storage until ``expires_at``.
    """

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASURE = "erasure", _("Erasure")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Fulfilled")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Fulfilled, file removed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The contact's id, kept when the contact row is deleted: the log still says whose it was.
    contact_ref = models.PositiveBigIntegerField(_("contact number"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    include_notes = models.BooleanField(_("internal notes included"), default=False)
    # 0..100 and the step being worked on (services.erasure / services.exports name them).
    progress = models.PositiveSmallIntegerField(
        _("progress"), default=0, validators=[MaxValueValidator(100)]
    )
    step = models.CharField(max_length=32, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    file = models.FileField(max_length=500, blank=True)
    expires_at = models.DateTimeField(_("download until"), null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("data subject request")
        verbose_name_plural = _("data subject requests")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | Q(fulfilled_at__isnull=False),
                name="privacyrequest_done_has_fulfilled_at",
            ),
        ]
        indexes = [
            # The sweeper and the beat's expiry job: unfinished requests, exports with a file.
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["pending", "running"]),
                name="privacyrequest_open_idx",
            ),
            models.Index(
                fields=["expires_at"],
                condition=Q(status="done", kind="export"),
                name="privacyrequest_expiry_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of contact #{self.contact_ref}"

    @property
    def due_at(self) -> datetime:
        return self.created_at + timedelta(days=ANSWER_DAYS)

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING, self.Status.FAILED)


class RetentionPolicy(BaseModel):
    """The tenant's retention of closed tickets (one row at most; off until an admin enables it).

    Tickets closed more than ``months`` ago lose their conversation: ``anonymise`` removes the
    messages' text and files and keeps the contact; ``erase`` does that and also erases the
    contacts left with no other ticket (as an erasure request would).
    """

    class Action(models.TextChoices):
        ANONYMISE = "anonymise", _("Remove the conversations' messages and files")
        ERASE = "erase", _("Also erase contacts left with no other ticket")

    is_enabled = models.BooleanField(_("enabled"), default=False)
    months = models.PositiveSmallIntegerField(
        _("months after closing"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    action = models.CharField(
        _("what happens"), max_length=10, choices=Action.choices, default=Action.ANONYMISE
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run_tickets = models.PositiveIntegerField(default=0)
    last_run_contacts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(months__gte=1, months__lte=120), name="retentionpolicy_months_range"
            ),
        ]

    def __str__(self) -> str:
        return f"retention {self.months} months ({self.action})"
