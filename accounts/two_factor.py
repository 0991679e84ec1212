"""Two-factor sign-in with TOTP (RFC 6238, through pyotp) and one-time recovery codes.

The shared secret is stored encrypted with the project's keys (``core.encryption``), together
with the schema and user it belongs to: a secret copied into another tenant's row, or onto
another user, never decrypts as valid. Recovery codes are kept only as a keyed hash bound to the
schema and the user. Every check of a code counts towards the sign-in lockout of the e-mail and
the address (``accounts.login_throttle``), so guessing codes locks out like guessing passwords,
and the time step of the last accepted code is kept so a code cannot be used twice.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass

import pyotp
import segno
from cryptography.fernet import InvalidToken
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts import login_throttle
from accounts.errors import (
    AdminRequired,
    LoginThrottled,
    TwoFactorCodeInvalid,
    TwoFactorCodeRequired,
    TwoFactorEnrolmentRequired,
    TwoFactorState,
)
from accounts.models import RecoveryCode, TwoFactorDevice, User
from accounts.sessions import user_sessions_end
from audit.services import audit_record
from core.encryption import current_fernet
from tenants.tenancy import current_schema, current_tenant, in_public_schema
from tenants.tenant_settings import tenant_setting

RECOVERY_CODE_COUNT = 10
# Codes one step (30 s) before or after the server's clock are accepted: phones drift.
ACCEPTED_CLOCK_DRIFT_STEPS = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


@dataclass(frozen=True)
class Enrolment:
    """What the profile shows while enrolment waits for its first code."""

    secret: str
    uri: str
    qr_svg: str


# --------------------------------------------------------------------------- reads


def two_factor_enabled(user: User) -> bool:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def users_with_two_factor_flag(users: QuerySet[User]) -> QuerySet[User]:
    """``users`` with ``two_factor_on`` on each row (in the same query)."""
    confirmed = TwoFactorDevice.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False)
    return users.annotate(two_factor_on=Exists(confirmed))


def two_factor_required(user: User) -> bool:
    """Platform staff always sign in with a second factor; a tenant's users when the tenant
    asks for it (setting ``require_two_factor``)."""
    if in_public_schema():
        return bool(user.is_superuser)
    return bool(tenant_setting("require_two_factor"))


@dataclass(frozen=True)
class TwoFactorStatus:
    """What a user's two-factor section shows: on (with the recovery codes left), or the
    enrolment going on, or neither."""

    enabled: bool
    pending: Enrolment | None
    codes_left: int


def two_factor_status(user: User) -> TwoFactorStatus:
    """One query when off (two when on, counting the recovery codes left)."""
    device = TwoFactorDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        return TwoFactorStatus(enabled=True, pending=None, codes_left=left)
    secret = _secret(device) if device is not None else None
    pending = _enrolment(user, secret) if secret is not None else None
    return TwoFactorStatus(enabled=False, pending=pending, codes_left=0)


# --------------------------------------------------------------------------- writes


@transaction.atomic
def two_factor_enrolment_start(*, user: User) -> Enrolment:
    """A new secret for the user's authenticator app (replacing an unconfirmed one)."""
    device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise TwoFactorState()
    secret = pyotp.random_base32()
    if device is None:
        device = TwoFactorDevice(user=user)
    device.secret_encrypted = _encrypt(user, secret)
    device.last_used_step = None
    device.save()
    return _enrolment(user, secret)


@transaction.atomic
def two_factor_enrolment_confirm(*, user: User, code: str, ip: str) -> list[str]:
    """Turn two-factor sign-in on once the app shows the right code; returns the recovery codes
    (shown once: only their hashes are kept)."""
    device = (
        TwoFactorDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=True)
        .first()
    )
    if device is None:
        raise TwoFactorState()
    _throttle_check(user, ip)
    step = _totp_step_matching(device, code)
    if step is None:
        login_throttle.record_failure(email=user.email, ip=ip)
        raise TwoFactorCodeInvalid()
    device.confirmed_at, device.last_used_step = timezone.now(), step
    device.save(update_fields=["confirmed_at", "last_used_step", "updated_at"])
    audit_record("two_factor.enabled", actor=user, obj=user)
    return _recovery_codes_replace(user)


def two_factor_verify(*, user: User, code: str, ip: str) -> None:
    """Accept the authenticator's current code (once) or an unused recovery code (spent now);
    anything else counts as a failed sign-in and raises ``TwoFactorCodeInvalid``."""
    _throttle_check(user, ip)
    if not _code_accept(user, code):
        login_throttle.record_failure(email=user.email, ip=ip)
        # Kept only where no transaction rolls it back: the sign-in's code step.
        audit_record("auth.two_factor_failed", actor=user, obj=user)
        raise TwoFactorCodeInvalid()
    login_throttle.clear_email_failures(email=user.email)


def two_factor_sign_in_check(*, user: User, code: str | None, ip: str) -> None:
    """After the password, for sign-ins that carry everything in one request (the token API):
    the code when the user has two-factor sign-in; refused when it is required but not set up."""
    if two_factor_enabled(user):
        if not code:
            raise TwoFactorCodeRequired()
        two_factor_verify(user=user, code=code, ip=ip)
    elif two_factor_required(user):
        raise TwoFactorEnrolmentRequired()


@transaction.atomic
def two_factor_disable(*, user: User, code: str, ip: str) -> None:
    """Turn two-factor sign-in off after a current code (or a recovery code)."""
    if not two_factor_enabled(user):
        raise TwoFactorState()
    if two_factor_required(user):
        raise TwoFactorState(_("Two-factor sign-in is required here; it cannot be turned off."))
    two_factor_verify(user=user, code=code, ip=ip)
    _two_factor_remove(user)
    audit_record("two_factor.disabled", actor=user, obj=user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User, code: str, ip: str) -> list[str]:
    """New recovery codes after a current code; the old ones stop working."""
    if not two_factor_enabled(user):
        raise TwoFactorState()
    two_factor_verify(user=user, code=code, ip=ip)
    audit_record("two_factor.recovery_codes_regenerated", actor=user, obj=user)
    return _recovery_codes_replace(user)


@transaction.atomic
def two_factor_reset_by_admin(*, user: User, by: User) -> None:
    """An admin removes a user's authenticator and recovery codes (a lost phone): the user is
    signed out everywhere and, where two-factor sign-in is required, enrols again at sign-in."""
    if not by.is_admin:
        raise AdminRequired()
    _two_factor_remove(user)
    user_sessions_end(user=user, keep_key=None, tokens=True)
    audit_record("two_factor.reset", actor=by, obj=user)


# --------------------------------------------------------------------------- internals


def _throttle_check(user: User, ip: str) -> None:
    locked_for = login_throttle.seconds_locked(email=user.email, ip=ip)
    if locked_for:
        raise LoginThrottled(retry_after=locked_for)


def _two_factor_remove(user: User) -> None:
    TwoFactorDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()


def _encrypt(user: User, secret: str) -> str:
    plain = json.dumps({"schema": current_schema(), "user": user.pk, "secret": secret})
    return current_fernet().encrypt(plain.encode()).decode()


def _secret(device: TwoFactorDevice) -> str | None:
    """The device's secret, or None when it does not decrypt or belongs elsewhere."""
    try:
        stored = json.loads(current_fernet().decrypt(device.secret_encrypted.encode()))
    except (InvalidToken, ValueError):
        return None
    if stored.get("schema") != current_schema() or stored.get("user") != device.user_id:
        return None
    secret = stored.get("secret")
    return secret if isinstance(secret, str) else None


def _enrolment(user: User, secret: str) -> Enrolment:
    issuer = "TikTickets" if in_public_schema() else f"TikTickets {current_tenant().name}"
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    svg = segno.make(uri, error="m").svg_inline(scale=4, border=4, light="#fff", dark="#000")
    return Enrolment(secret=secret, uri=uri, qr_svg=svg)


def _normalized(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _totp_step_matching(device: TwoFactorDevice, code: str) -> int | None:
    """The time step whose code ``code`` is, newer than the last accepted one (None: none)."""
    code = _normalized(code)
    secret = _secret(device)
    if secret is None or len(code) != 6 or not code.isdigit():
        return None
    totp, now = pyotp.TOTP(secret), timezone.now()
    current = totp.timecode(now)
    drift = ACCEPTED_CLOCK_DRIFT_STEPS
    for offset in sorted(range(-drift, drift + 1), key=abs):
        step = current + offset
        if device.last_used_step is not None and step <= device.last_used_step:
            continue
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return step
    return None


@transaction.atomic
def _code_accept(user: User, code: str) -> bool:
    device = (
        TwoFactorDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=False)
        .first()
    )
    if device is None:
        return False
    step = _totp_step_matching(device, code)
    if step is not None:
        device.last_used_step = step
        device.save(update_fields=["last_used_step", "updated_at"])
        return True
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_recovery_hash(user, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


def _recovery_hash(user: User, code: str) -> str:
    value = f"{current_schema()}:{user.pk}:{_normalized(code)}"
    return salted_hmac("accounts.two_factor.recovery", value, algorithm="sha256").hexdigest()


def _recovery_codes_replace(user: User) -> list[str]:
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    shown = [f"{code[:5]}-{code[5:]}" for code in codes]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=_recovery_hash(user, code)) for code in codes
    )
    return shown
