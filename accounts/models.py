"""Users. The table exists in every tenant schema (agents and admins of that tenant) and in the
public schema (platform staff), so a user can only ever sign in on the host of its own schema."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from tenants.tenancy import tenant_media_path

SIGNATURE_MAX_LENGTH = 200


def user_avatar_path(instance: User, filename: str) -> str:
    """Avatars live under the tenant's private prefix with an unguessable name (served only
    through the signed-in avatar view)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "img"
    return tenant_media_path("avatars", f"{uuid.uuid4().hex}.{extension}")


class UserManager(BaseUserManager["User"]):
    """Creates users after model validation, so bad e-mails never reach the table."""

    use_in_migrations = True

    def _create(
        self, email: str, password: str | None, password_hash: str | None = None, **extra: Any
    ) -> User:
        """``password_hash``: the password already hashed (``make_password``), e.g. hashed while
        the caller did other work; it replaces ``password``."""
        user = self.model(email=email.strip().lower(), **extra)
        if password_hash is not None:
            user.password = password_hash
        else:
            user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", User.Role.AGENT)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """An admin of the current schema: a tenant's admin, or platform staff in public."""
        extra["role"] = User.Role.ADMIN
        extra["is_superuser"] = True
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin, BaseModel):
    """A person who signs in: an agent or admin of one tenant, or platform staff."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        AGENT = "agent", _("Agent")

    class Language(models.TextChoices):
        TENANT_DEFAULT = "", _("Account default")
        PT_BR = "pt-br", _("Portuguese (Brazil)")
        EN = "en", _("English")

    class Theme(models.TextChoices):
        SYSTEM = "system", _("Follow the system")
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")

    # Stored lower-cased (see save), so the plain unique index is a case-insensitive one.
    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive users cannot sign in; they are never deleted."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default="", blank=True
    )
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # The profile: what the user chooses for themselves (accounts.services.user_profile_update).
    avatar = models.FileField(_("photo"), upload_to=user_avatar_path, blank=True, max_length=255)
    signature = models.CharField(
        _("signature"), max_length=SIGNATURE_MAX_LENGTH, blank=True, default=""
    )
    sign_messages = models.BooleanField(_("sign my messages"), default=False)
    notify_sound = models.BooleanField(_("sound for new waiting tickets"), default=False)
    notify_sound_messages = models.BooleanField(
        _("sound for new messages in my tickets"), default=False
    )
    notify_desktop = models.BooleanField(_("desktop notifications"), default=False)
    # Written on every page's <html> (templates/base.html), so the chosen theme paints first.
    theme = models.CharField(_("theme"), max_length=8, choices=Theme.choices, default=Theme.SYSTEM)

    objects = UserManager()

    # Not a column: set on the request's user instance when an integrator's API key acts as
    # this user (integrations.authentication), so the timeline entries it causes name the key.
    acting_via_api_key: str = ""

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_staff(self) -> bool:
        """Admins of a schema may use that schema's Django admin."""
        return self.is_active and self.role == self.Role.ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class TwoFactorDevice(BaseModel):
    """A user's TOTP authenticator: the shared secret (encrypted, bound to this schema and user)
    and the time step of the last accepted code, so a code is never accepted twice.

    Created unconfirmed when enrolment starts; two-factor sign-in is on once ``confirmed_at`` is
    set (the user proved the authenticator app shows the right codes)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor_device")
    secret_encrypted = models.TextField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["user_id"]
        verbose_name = _("two-factor device")
        verbose_name_plural = _("two-factor devices")

    def __str__(self) -> str:
        return f"TOTP of user {self.user_id}"


class RecoveryCode(BaseModel):
    """A one-time code that replaces the authenticator's code once; only its keyed hash is
    kept, and ``used_at`` records when it was spent."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user_id", "pk"]
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique"),
        ]

    def __str__(self) -> str:
        return f"Recovery code {self.pk} of user {self.user_id}"
