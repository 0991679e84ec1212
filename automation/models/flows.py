"""The ChatFlow bot: flows, their immutable versions, the files their nodes send, which
connection uses which flow, and the run of a flow on a ticket."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from connections.models import ChannelConnection
from core.models import BaseModel
from tenants.tenancy import tenant_media_path
from tickets.models import Ticket


class Flow(BaseModel):
    """A bot a tenant builds: its graph lives in versions, ``current_version`` is what new
    tickets start on. At most one active flow is the tenant's default (used by connections
    without a flow of their own)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("tenant default"), default=False)
    # E.164 numbers ("+5511987654321"); when not empty, only these contacts get the bot.
    test_contacts = models.JSONField(_("test contacts"), default=list, blank=True)
    current_version = models.ForeignKey(
        "FlowVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("flow")
        verbose_name_plural = _("flows")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True, deleted_at__isnull=True),
                name="flow_one_default",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FlowVersion(BaseModel):
    """One saved graph of a flow, never changed afterwards: tickets inside the bot keep the
    version they started on, and a rollback saves an old graph as a new version."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    graph = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["flow_id", "-number"]
        verbose_name = _("flow version")
        verbose_name_plural = _("flow versions")
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="flowversion_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.flow_id} v{self.number}"


def flow_media_path(instance: FlowMedia, filename: str) -> str:
    return tenant_media_path("flows", f"{uuid.uuid4().hex}/{filename}")


class FlowMedia(BaseModel):
    """A file a flow's media interaction sends (referenced by ``public_id`` in the graph)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(upload_to=flow_media_path, max_length=500)
    name = models.CharField(max_length=255)
    mime = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("flow file")
        verbose_name_plural = _("flow files")

    def __str__(self) -> str:
        return self.name


class ConnectionFlow(BaseModel):
    """The flow a connection's new tickets get (instead of the tenant default)."""

    connection = models.OneToOneField(
        ChannelConnection, on_delete=models.CASCADE, related_name="flow_link"
    )
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="connection_links")

    class Meta:
        ordering = ["connection_id"]
        verbose_name = _("connection flow")
        verbose_name_plural = _("connection flows")

    def __str__(self) -> str:
        return f"{self.connection_id} -> {self.flow_id}"


class FlowRun(BaseModel):
    """A ticket inside the bot: the version it runs, the node it waits on, its retries.

    At most one per ticket, ever: a ticket the bot left (handed over, closed, taken by an
    agent) never re-enters it, and a reopened ticket never resumes an old node.
    """

    class EndReason(models.TextChoices):
        HANDED_OVER = "handed_over", _("Handed over")
        CLOSED = "closed", _("Closed by keyword")
        RETRY_LIMIT = "retry_limit", _("Retry limit")
        INACTIVITY = "inactivity", _("Inactivity")
        TAKEN = "taken", _("Taken by a person")

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="flow_run")
    version = models.ForeignKey(FlowVersion, on_delete=models.PROTECT, related_name="runs")
    node_id = models.CharField(max_length=64)
    retries = models.PositiveIntegerField(default=0)
    # Bumped on every step: a delayed send of an earlier step is dropped when it no longer
    # matches.
    step = models.PositiveIntegerField(default=0)
    last_interaction_at = models.DateTimeField()
    # When the inactivity rule of the version moves the ticket on (null: no rule).
    inactive_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=16, choices=EndReason.choices, blank=True)
    # False: attached while the business hours kept the bot stopped; the flow's first step is
    # sent with the customer's first message once they are open.
    is_started = models.BooleanField(default=True)
    # The closed period (see OutOfHoursNotice.period) the bot is stopped in, while it is.
    paused_period = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("flow run")
        verbose_name_plural = _("flow runs")
        indexes = [
            # The inactivity job: active runs whose deadline passed.
            models.Index(
                fields=["inactive_at"],
                condition=Q(ended_at__isnull=True, inactive_at__isnull=False),
                name="flowrun_inactive_idx",
            )
        ]

    def __str__(self) -> str:
        return f"run of ticket {self.ticket_id}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None
