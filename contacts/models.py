"""Contacts (the customers a tenant talks to), how each channel reaches them, and tags."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from tenants.tenancy import tenant_media_path

color_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1a2b3c."), code="invalid_color"
)


class Tag(BaseModel):
    """A coloured label on contacts; the inbox filters tickets by their contact's tags."""

    name = models.CharField(_("name"), max_length=60)
    color = models.CharField(
        _("colour"), max_length=7, default="#5b6478", validators=[color_validator]
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class ContactAttributeDefinition(BaseModel):
    """A custom field the tenant defines for its contacts (e.g. "CPF", a date, a choice)."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        BOOLEAN = "boolean", _("Yes/no")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=80)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("contact attribute")
        verbose_name_plural = _("contact attributes")

    def __str__(self) -> str:
        return self.label


def contact_avatar_path(instance: Contact, filename: str) -> str:
    """A contact's picture (from a provider's profile) lives under the tenant's private prefix
    with an unguessable name, served only through the contact's visibility check."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return tenant_media_path("contact-avatars", f"{uuid.uuid4().hex}.{extension}")


class Contact(BaseModel):
    """A person (or group) the tenant talks to, on any number of channels."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=150)
    # E.164 ("+5511987654321") or empty: Instagram and Messenger users have no phone number.
    phone = models.CharField(_("phone"), max_length=20, blank=True, default="")
    email = models.EmailField(_("e-mail"), blank=True, default="")
    avatar_url = models.URLField(_("avatar"), max_length=1000, blank=True, default="")
    # The picture a provider's profile gives (private storage) and when it was last asked for
    # (at most daily, whatever the answer).
    avatar = models.FileField(
        _("picture"), upload_to=contact_avatar_path, max_length=255, blank=True
    )
    avatar_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True, default="")
    # Values keyed by ContactAttributeDefinition.key, validated by the contact services.
    custom_attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    is_blocked = models.BooleanField(_("blocked"), default=False)
    is_group = models.BooleanField(_("group"), default=False)
    tags = models.ManyToManyField(Tag, related_name="contacts", blank=True)
    # The "wallet": agents this contact belongs to.
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="owned_contacts", blank=True
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=~models.Q(phone=""), name="contact_phone_unique"
            ),
        ]
        indexes = [
            # Contact search and the inbox search by name (trigram, case-insensitive).
            GinIndex(fields=["name"], name="contact_name_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["phone"], name="contact_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactIdentity(BaseModel):
    """How one channel provider knows a contact (WhatsApp id, Telegram user id, page-scoped id)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    provider = models.CharField(_("provider"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=255)
    display_name = models.CharField(_("name on the channel"), max_length=255, blank=True)

    class Meta:
        ordering = ["provider", "external_id"]
        verbose_name = _("contact identity")
        verbose_name_plural = _("contact identities")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="contact_identity_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id}"


def contact_import_file_path(instance: ContactImport, filename: str) -> str:
    """Uploaded CSVs live under the tenant's private prefix with an unguessable name."""
    return tenant_media_path("imports", f"{uuid.uuid4().hex}.csv")


class ContactImport(BaseModel):
    """One CSV import of contacts, processed in the background, with its progress and errors."""

    class Status(models.TextChoices):
        # Uploaded and checked; shown to the user, who picks the duplicate policy and starts it.
        PREVIEW = "preview", _("Waiting for confirmation")
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.FileField(_("file"), upload_to=contact_import_file_path, max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )

    class Duplicates(models.TextChoices):
        """What a row whose phone already belongs to a contact does."""

        SKIP = "skip", _("Skip them (keep the contacts as they are)")
        UPDATE = "update", _("Update the contacts with the file's values")
        ASK = "ask", _("Let me choose, contact by contact")

    duplicates = models.CharField(
        _("existing contacts"), max_length=8, choices=Duplicates.choices, default=Duplicates.UPDATE
    )
    # Under "ask": the file rows (numbered as in the file) whose existing contact is updated.
    update_rows = models.JSONField(_("rows to update"), default=list, blank=True)
    # Tags added to every imported contact (new or updated).
    tags = models.ManyToManyField(Tag, related_name="imports", blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    # One entry per problem: {"row": <line number in the file, header = 1>, "field", "message"}.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_imports",
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")

    def __str__(self) -> str:
        return self.original_name or str(self.public_id)
