"""The audit log: who did what, to which object, when and from where.

One table in the public schema (the platform's log) and one in every tenant schema (that
tenant's log). Rows are append-only: a database trigger refuses UPDATE and DELETE, except the
retention deletion of ``audit.services.audit_retention_apply``. Nothing here points at a model
of a higher app: the actor and the object are stored as kind/type, id and a label copied at
write time, so an entry outlives what it names.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    USER = "user", _("User")
    API_KEY = "api_key", _("API key")
    PLATFORM_STAFF = "platform_staff", _("Platform staff")
    SYSTEM = "system", _("System")
    # Someone not signed in: a failed sign-in, a password reset request.
    ANONYMOUS = "anonymous", _("Anonymous")


class AuditEntry(models.Model):
    """One recorded action; never changed once written."""

    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=64)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=255, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    # {field: {"before": value, "after": value}}, secrets already masked.
    changes = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The log's keyset pagination: newest first, ties broken by id.
            models.Index(fields=["-created_at", "-id"], name="audit_entry_recent"),
            models.Index(fields=["action", "-created_at", "-id"], name="audit_entry_action"),
            models.Index(
                fields=["actor_kind", "actor_id", "-created_at", "-id"], name="audit_entry_actor"
            ),
            models.Index(
                fields=["object_type", "object_id", "-created_at", "-id"], name="audit_entry_object"
            ),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_label}"
