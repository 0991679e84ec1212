"""API keys: create (the secret is returned once), revoke, and authenticate a presented key."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record, changes_diff, snapshot
from connections.models import ChannelConnection
from core.exceptions import FieldValidationError
from integrations.errors import (
    ApiKeyExpired,
    ApiKeyInvalid,
    ApiKeyIpNotAllowed,
    ApiKeyRevoked,
)
from integrations.key_format import SECRET_PREFIX
from integrations.models import ApiKey
from integrations.scopes import ALL_SCOPES

# "tt_" and 8 characters of the secret: enough to tell keys apart, useless to an attacker.
DISPLAY_PREFIX_LENGTH = len(SECRET_PREFIX) + 8
NAME_MAX_LENGTH = 80
# What the audit log keeps of a key (never its secret or hash).
_AUDITED = (
    "name",
    "prefix",
    "scopes",
    "connection",
    "expires_at",
    "allowed_ips",
    "rate_limit_per_minute",
)
MAX_ALLOWED_IPS = 50
# last_used_* is written at most this often per key (and whenever the address changes).
LAST_USED_RESOLUTION = timedelta(seconds=60)


def secret_hash(raw: str) -> str:
    """The stored form of a secret. Secrets are 256 random bits, so a plain SHA-256 is enough:
    nothing is gained by a slow password hash against a value nobody could guess."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _networks_clean(allowed_ips: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for raw in allowed_ips:
        text = raw.strip()
        if not text:
            continue
        try:
            cleaned.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError as exc:
            raise FieldValidationError(
                {"allowed_ips": [_("%(value)s is not an address or network.") % {"value": text}]}
            ) from exc
    if len(cleaned) > MAX_ALLOWED_IPS:
        raise FieldValidationError(
            {"allowed_ips": [_("At most %(n)d addresses.") % {"n": MAX_ALLOWED_IPS}]}
        )
    return cleaned


def _scopes_clean(scopes: Sequence[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(ALL_SCOPES))
    if unknown:
        raise FieldValidationError(
            {"scopes": [_("Unknown scopes: %(scopes)s") % {"scopes": ", ".join(unknown)}]}
        )
    if not scopes:
        raise FieldValidationError({"scopes": [_("Choose at least one scope.")]})
    return [scope for scope in ALL_SCOPES if scope in scopes]


@transaction.atomic
def api_key_create(
    *,
    by: User,
    name: str,
    scopes: Sequence[str],
    connection: ChannelConnection | None = None,
    expires_at: datetime | None = None,
    allowed_ips: Sequence[str] = (),
    rate_limit_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key acting as ``by`` (an admin) and its secret, which is never shown again."""
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the key a name.")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [_("At most %(n)d characters.") % {"n": NAME_MAX_LENGTH}]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if rate_limit_per_minute is not None and not 1 <= rate_limit_per_minute <= 100_000:
        errors["rate_limit_per_minute"] = [_("Between 1 and 100000.")]
    if errors:
        raise FieldValidationError(errors)
    cleaned_scopes = _scopes_clean(scopes)
    networks = _networks_clean(allowed_ips)
    raw = SECRET_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        prefix=raw[:DISPLAY_PREFIX_LENGTH],
        secret_hash=secret_hash(raw),
        scopes=cleaned_scopes,
        connection=connection,
        expires_at=expires_at,
        allowed_ips=networks,
        rate_limit_per_minute=rate_limit_per_minute,
        created_by=by,
    )
    audit_record(
        "api_key.created",
        actor=by,
        obj=key,
        changes=changes_diff({}, snapshot(key, _AUDITED)),
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, by: User) -> ApiKey:
    """Refuse the key from its next request on. Revoking twice keeps the first time."""
    updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by, updated_at=timezone.now()
    )
    if updated:
        api_key.refresh_from_db()
        audit_record("api_key.revoked", actor=by, obj=api_key)
    return api_key


def _ip_allowed(key: ApiKey, ip: str) -> bool:
    if not key.allowed_ips:
        return True
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in key.allowed_ips)


def api_key_authenticate(*, raw: str, ip: str) -> ApiKey:
    """The usable key whose secret is ``raw``, with its owner loaded; records when and from
    where it was last used. 401 for an unknown, revoked or expired key (or an inactive owner),
    403 from an address outside its allow-list.

    Keys live in their tenant's schema, so another tenant's key is simply unknown here.
    """
    key = (
        ApiKey.objects.select_related("created_by", "connection")
        .filter(secret_hash=secret_hash(raw))
        .first()
    )
    if key is None or not key.created_by.is_active:
        raise ApiKeyInvalid()
    if key.is_revoked:
        raise ApiKeyRevoked()
    if key.is_expired:
        raise ApiKeyExpired()
    if not _ip_allowed(key, ip):
        raise ApiKeyIpNotAllowed()
    now = timezone.now()
    stored_ip = ip if _is_ip(ip) else None
    if (
        key.last_used_at is None
        or now - key.last_used_at >= LAST_USED_RESOLUTION
        or key.last_used_ip != stored_ip
    ):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=stored_ip)
        key.last_used_at, key.last_used_ip = now, stored_ip
    return key


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
