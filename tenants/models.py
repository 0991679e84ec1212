"""Tenants (one PostgreSQL schema each) and the host names that route to them; public schema."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists

from core.models import BaseModel
from tenants.schema_template import schema_copy_from_template

# Schema names end up in host names, channel-layer group names, cache keys and file paths, which
# accept only a narrow alphabet; django-tenants itself would accept spaces and non-ASCII. A new
# slug is a DNS label: letters, digits and hyphens ("_" is not valid in a host name, and Django
# refuses such a Host), starting with a letter and not ending with a hyphen.
SLUG_REGEX = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
# What the table accepts: also the underscores of tenants created before hyphens were allowed.
SCHEMA_NAME_REGEX = r"^[a-z][a-z0-9_-]{1,39}$"
slug_validator = RegexValidator(
    SLUG_REGEX,
    _(
        "Use 2 to 40 characters: lower-case letters, digits and hyphens, starting with a "
        "letter and not ending with a hyphen."
    ),
    code="invalid_slug",
)
RESERVED_SLUGS = frozenset(
    {"public", "www", "admin", "api", "static", "media", "ws", "app", "mail", "pg_catalog"}
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("Unknown time zone: %(tz)s"), code="invalid_time_zone", params={"tz": value}
        )


class Tenant(TenantMixin, BaseModel):
    """A customer company; its data lives in the PostgreSQL schema named by ``schema_name``."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    class Language(models.TextChoices):
        PT_BR = "pt-br", _("Portuguese (Brazil)")
        EN = "en", _("English")

    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    max_users = models.PositiveIntegerField(
        _("maximum users"), default=10, validators=[MinValueValidator(1)]
    )
    max_channels = models.PositiveIntegerField(
        _("maximum channel connections"), default=3, validators=[MinValueValidator(0)]
    )
    # Requests per minute of all the tenant's API keys together (integrations); null: the
    # installation's default (API_TENANT_RATE_LIMIT_PER_MINUTE).
    api_rate_limit_per_minute = models.PositiveIntegerField(
        _("API requests per minute"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="America/Sao_Paulo", validators=[validate_time_zone]
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.PT_BR
    )
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    # Typed per-tenant settings (tenants.tenant_settings); only non-default values are stored.
    settings = models.JSONField(_("settings"), default=dict, blank=True)

    # Schemas are created by the provisioning service (tenants.services.tenant_provision) inside
    # its transaction, and never dropped implicitly.
    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(schema_name__regex=SCHEMA_NAME_REGEX)
                | models.Q(schema_name="public"),
                name="tenant_schema_name_format",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="suspended") | models.Q(suspended_at__isnull=False),
                name="tenant_suspended_has_timestamp",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool | None:
        """A new schema is a copy of the template schema when it is current (fast), else
        migrated one migration at a time (``tenants.schema_template``)."""
        if check_if_exists and schema_exists(self.schema_name):
            return False
        if sync_schema and schema_copy_from_template(self.schema_name):
            return True
        result: bool | None = super().create_schema(
            check_if_exists=check_if_exists, sync_schema=sync_schema, verbosity=verbosity
        )
        return result

    @property
    def slug(self) -> str:
        return self.schema_name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Domain(DomainMixin, BaseModel):
    """A host name that routes requests to a tenant (``<slug>.<base domain>`` by default)."""

    class Meta:
        ordering = ["domain"]
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain


class ChannelRoute(BaseModel):
    """Routes a provider webhook that arrives on the platform host to its tenant and connection.

    Meta posts every event of the app to one URL and names the account inside the body (phone
    number id, page id); Telegram posts to a per-connection URL whose token is the key. Either
    way the key is looked up here, in the public schema, before any tenant schema is entered.
    Written only through ``tenants.channel_routes``.
    """

    provider = models.CharField(_("provider"), max_length=32)
    external_account_id = models.CharField(_("external account id"), max_length=255)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="channel_routes")
    # The connection inside the tenant's schema (its public id: schemas share no foreign keys).
    connection_public_id = models.UUIDField()

    class Meta:
        ordering = ["provider", "external_account_id"]
        verbose_name = _("channel route")
        verbose_name_plural = _("channel routes")
        constraints = [
            # One account (a phone number, a page, a bot URL) belongs to one connection only.
            models.UniqueConstraint(
                fields=["provider", "external_account_id"], name="channelroute_account_unique"
            ),
        ]
        indexes = [
            # Replacing or clearing the routes of one connection.
            models.Index(
                fields=["tenant", "connection_public_id"], name="channelroute_connection_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_account_id}"
