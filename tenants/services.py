"""Writes on tenants: provisioning, suspension, resumption. The only way tenants change state."""

from __future__ import annotations

import secrets
import string
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record, changes_diff, snapshot
from core.event_bus import publish
from core.exceptions import FieldValidationError
from tenants.domain_events import TenantSettingsChanged
from tenants.models import RESERVED_SLUGS, Domain, Tenant, slug_validator, validate_time_zone
from tenants.realtime import (
    CLOSE_TENANT_SUSPENDED,
    TENANT_SOCKETS_GROUP,
    VISITORS_GROUP,
    sockets_disconnect,
)
from tenants.tenancy import group_name, public_scope, tenant_scope
from tenants.tenant_settings import TENANT_SETTINGS, setting_validate, settings_with_defaults


@dataclass(frozen=True)
class ProvisionedTenant:
    """What provisioning created; ``admin_password`` is shown once and never stored in clear."""

    tenant: Tenant
    admin_email: str
    admin_password: str
    password_generated: bool


# What the audit log keeps of a tenant and of its plan limits.
_LIMITS = ("max_users", "max_channels", "api_rate_limit_per_minute")
_AUDITED = ("name", "schema_name", "time_zone", "language", *_LIMITS)


def tenant_domain_for(slug: str) -> str:
    """The host a tenant is served on: ``<slug>.<base domain>``."""
    return f"{slug}.{settings.TIKTICKETS_BASE_DOMAIN}"


def generate_password(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def _messages(exc: ValidationError) -> list[str]:
    return [str(message) for message in exc.messages]


def _locale_errors(*, time_zone: str, language: str) -> dict[str, list[str]]:
    """What is wrong with a tenant's time zone and language, per field (empty: nothing)."""
    errors: dict[str, list[str]] = {}
    try:
        validate_time_zone(time_zone)
    except ValidationError as exc:
        errors["time_zone"] = _messages(exc)
    if language not in Tenant.Language.values:
        errors["language"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Tenant.Language.values)}
        ]
    return errors


def _validate_provisioning(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str | None,
    admin_name: str,
    time_zone: str,
    language: str,
    max_users: int,
    max_channels: int,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("A name is required.")]
    try:
        slug_validator(slug)
        if slug in RESERVED_SLUGS or slug.startswith("pg_"):
            raise ValidationError(_("This address is reserved."), code="reserved_slug")
        if Tenant.objects.filter(schema_name__iexact=slug).exists():
            raise ValidationError(_("This address is already taken."), code="slug_taken")
        if Domain.objects.filter(domain__iexact=tenant_domain_for(slug)).exists():
            raise ValidationError(_("This address is already taken."), code="domain_taken")
    except ValidationError as exc:
        errors["slug"] = _messages(exc)
    try:
        validate_email(admin_email)
    except ValidationError as exc:
        errors["admin_email"] = _messages(exc)
    if admin_password is not None:
        user_model = get_user_model()
        probe = user_model(email=admin_email, name=admin_name)
        try:
            validate_password(admin_password, user=probe)
        except ValidationError as exc:
            errors["admin_password"] = _messages(exc)
    errors.update(_locale_errors(time_zone=time_zone, language=language))
    if max_users < 1:
        errors["max_users"] = [_("A tenant needs room for at least one user.")]
    if max_channels < 0:
        errors["max_channels"] = [_("The limit cannot be negative.")]
    return errors


def _create_first_admin(*, email: str, password_hash: str, name: str) -> None:
    """Create the tenant's first admin in the current (new) schema; its checks need the schema."""
    try:
        get_user_model()._default_manager.create_superuser(
            email=email, password=None, password_hash=password_hash, name=name
        )
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"email": exc.messages}
        raise FieldValidationError(
            {f"admin_{field}": [str(m) for m in msgs] for field, msgs in fields.items()}
        ) from exc


def tenant_provision(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_password: str | None = None,
    admin_name: str = "",
    time_zone: str = "America/Sao_Paulo",
    language: str = Tenant.Language.PT_BR,
    max_users: int = 10,
    max_channels: int = 3,
) -> ProvisionedTenant:
    """Create a tenant: its row, schema (migrated), primary domain and first admin, atomically.

    Every input is validated before anything is written. The writes then run in one transaction
    (PostgreSQL DDL is transactional), so a failure at any step, including a concurrent
    provisioning of the same slug, leaves no schema, row or user behind.
    """
    slug = slug.strip().lower()
    admin_email = admin_email.strip()
    with public_scope():
        errors = _validate_provisioning(
            name=name,
            slug=slug,
            admin_email=admin_email,
            admin_password=admin_password,
            admin_name=admin_name,
            time_zone=time_zone,
            language=language,
            max_users=max_users,
            max_channels=max_channels,
        )
        if errors:
            raise FieldValidationError(errors)
        password_generated = admin_password is None
        password = admin_password if admin_password is not None else generate_password()
        slug_taken = FieldValidationError({"slug": [_("This address is already taken.")]})
        # The password hash is slow on purpose (most of a second); it runs beside the schema's
        # creation (the hash function releases the GIL) instead of after it.
        hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tenant-admin-hash")
        password_hash = hashing.submit(make_password, password)
        hashing.shutdown(wait=False)
        try:
            with transaction.atomic():
                tenant = Tenant(
                    schema_name=slug,
                    name=name.strip(),
                    time_zone=time_zone,
                    language=language,
                    max_users=max_users,
                    max_channels=max_channels,
                )
                try:
                    tenant.save(verbosity=0)  # type: ignore[call-arg]  # TenantMixin.save
                except ValidationError as exc:  # the slug was taken since we validated it
                    raise slug_taken from exc
                Domain.objects.create(
                    domain=tenant_domain_for(slug), tenant=tenant, is_primary=True
                )
                with tenant_scope(tenant):
                    _create_first_admin(
                        email=admin_email, password_hash=password_hash.result(), name=admin_name
                    )
                audit_record(
                    "tenant.created",
                    obj=tenant,
                    changes=changes_diff({}, snapshot(tenant, _AUDITED)),
                    extra={"admin_email": admin_email},
                )
        except IntegrityError as exc:  # a concurrent provisioning won the race for the slug
            raise slug_taken from exc
    return ProvisionedTenant(
        tenant=tenant,
        admin_email=admin_email,
        admin_password=password,
        password_generated=password_generated,
    )


@transaction.atomic
def tenant_suspend(*, tenant: Tenant) -> Tenant:
    """Suspend a tenant: its logins, API calls and open websockets are refused from now on."""
    if tenant.is_public:
        raise FieldValidationError({"status": [_("The platform itself cannot be suspended.")]})
    with public_scope():
        tenant.status = Tenant.Status.SUSPENDED
        tenant.suspended_at = timezone.now()
        tenant.save(update_fields=["status", "suspended_at", "updated_at"])
        audit_record("tenant.suspended", obj=tenant)
        with tenant_scope(tenant):
            groups = [group_name(TENANT_SOCKETS_GROUP), group_name(VISITORS_GROUP)]
    # HTTP requests re-read the tenant on every request; open sockets (agents' and web chat
    # visitors') are told to close.
    for group in groups:
        transaction.on_commit(partial(sockets_disconnect, group, CLOSE_TENANT_SUSPENDED))
    return tenant


@transaction.atomic
def tenant_resume(*, tenant: Tenant) -> Tenant:
    """Lift a suspension."""
    with public_scope():
        tenant.status = Tenant.Status.ACTIVE
        tenant.suspended_at = None
        tenant.save(update_fields=["status", "suspended_at", "updated_at"])
        audit_record("tenant.resumed", obj=tenant)
    return tenant


@transaction.atomic
def tenant_limits_update(
    *,
    tenant: Tenant,
    max_users: int,
    max_channels: int,
    api_rate_limit_per_minute: int | None = None,
) -> Tenant:
    """Change a tenant's plan limits (``api_rate_limit_per_minute`` None: the default).

    A limit below what the tenant already uses is allowed: nothing is deactivated, the tenant
    simply cannot add users or connections until it is back under the limit.
    """
    errors: dict[str, list[str]] = {}
    if max_users < 1:
        errors["max_users"] = [_("A tenant needs room for at least one user.")]
    if max_channels < 0:
        errors["max_channels"] = [_("The limit cannot be negative.")]
    if api_rate_limit_per_minute is not None and api_rate_limit_per_minute < 1:
        errors["api_rate_limit_per_minute"] = [_("At least one request per minute.")]
    if tenant.is_public:
        errors["max_users"] = [_("The platform itself has no limits.")]
    if errors:
        raise FieldValidationError(errors)
    with public_scope():
        before = snapshot(tenant, _LIMITS)
        tenant.max_users = max_users
        tenant.max_channels = max_channels
        tenant.api_rate_limit_per_minute = api_rate_limit_per_minute
        tenant.save(
            update_fields=["max_users", "max_channels", "api_rate_limit_per_minute", "updated_at"]
        )
        audit_record(
            "tenant.limits_updated",
            obj=tenant,
            changes=changes_diff(before, snapshot(tenant, _LIMITS)),
        )
    return tenant


@transaction.atomic
def tenant_locale_update(*, tenant: Tenant, time_zone: str, language: str) -> Tenant:
    """Change the tenant's time zone and default language (the one of users who chose none)."""
    errors = _locale_errors(time_zone=time_zone, language=language)
    if errors:
        raise FieldValidationError(errors)
    before = snapshot(tenant, ("time_zone", "language"))
    with public_scope():
        tenant.time_zone = time_zone
        tenant.language = language
        tenant.save(update_fields=["time_zone", "language", "updated_at"])
    # In the schema the change was made from: the tenant's own log.
    diff = changes_diff(before, snapshot(tenant, ("time_zone", "language")))
    if diff:
        audit_record("tenant.settings_updated", obj=tenant, changes=diff)
    return tenant


def tenant_public_ensure() -> Tenant:
    """Create the public tenant (the platform) on the base domain if missing; idempotent."""
    with public_scope(), transaction.atomic():
        public, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"name": "TikTickets platform"}
        )
        Domain.objects.get_or_create(
            domain=settings.TIKTICKETS_BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )
    return public


def tenant_settings_update(*, tenant: Tenant, values: dict[str, Any]) -> dict[str, Any]:
    """Change some settings of ``tenant``; every key must be known and every value well typed.

    Nothing is stored unless every value is valid. Returns all settings with defaults.
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key not in TENANT_SETTINGS or TENANT_SETTINGS[key].internal:
            errors[key] = [_("Unknown setting.")]
            continue
        if not TENANT_SETTINGS[key].available:
            errors[key] = [_("No channel supports this setting yet.")]
            continue
        try:
            cleaned[key] = setting_validate(key, value)
        except TypeError as exc:
            errors[key] = [_("Expected a value of type %(type)s.") % {"type": exc.args[0]}]
        except ValueError as exc:
            errors[key] = [_("Invalid value (%(reason)s).") % {"reason": exc.args[0]}]
    if errors:
        raise FieldValidationError(errors)
    with public_scope(), transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        before = settings_with_defaults(locked.settings or {})
        locked.settings = {**(locked.settings or {}), **cleaned}
        locked.save(update_fields=["settings", "updated_at"])
        tenant.settings = locked.settings
    # In the schema the change was made from: the tenant's own log.
    diff = changes_diff(
        {key: before.get(key) for key in cleaned}, {key: cleaned[key] for key in cleaned}
    )
    if diff:
        audit_record("tenant.settings_updated", obj=tenant, changes=diff)
    if cleaned:
        publish(TenantSettingsChanged(keys=tuple(sorted(cleaned))))
    return settings_with_defaults(tenant.settings)


def tenant_onboarding_update(
    *, tenant: Tenant, dismissed: bool | None = None, done: set[str] | None = None
) -> None:
    """Remember the getting-started checklist's state: hidden (by an admin, for everyone) and
    steps seen done, which are added and never removed."""
    with public_scope(), transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        stored = dict(locked.settings or {})
        if dismissed is not None:
            stored["onboarding_dismissed"] = dismissed
        steps = set(stored.get("onboarding_done") or []) | (done or set())
        stored["onboarding_done"] = sorted(steps)
        locked.settings = stored
        locked.save(update_fields=["settings", "updated_at"])
        tenant.settings = locked.settings
