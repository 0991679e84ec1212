"""Writes on users and sign-in: the only way accounts change state."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import login_throttle, password_reset
from accounts.avatars import AVATAR_MAX_BYTES, avatar_kind
from accounts.errors import AdminRequired, InvalidCredentials, LoginThrottled, UserLimitReached
from accounts.models import SIGNATURE_MAX_LENGTH, User
from accounts.sessions import user_sessions_end
from accounts.tasks import password_reset_mail_send_task
from accounts.tokens import ensure_current_tenant, issue_token_pair
from accounts.two_factor import two_factor_enabled, two_factor_sign_in_check
from audit.services import Actor, ActorKind, audit_record, changes_diff, snapshot
from core.exceptions import FieldValidationError
from tenants.services import generate_password
from tenants.tenancy import current_tenant, in_public_schema

# What the audit log keeps of a user and of a profile change (never the password).
_USER_AUDITED = ("email", "name", "role", "is_active")
_PROFILE_AUDITED = ("name", "language", "signature", "sign_messages", "theme")


def user_authenticate(*, request: HttpRequest | None, email: str, password: str, ip: str) -> User:
    """Check an e-mail and password of the current schema, with lockout after repeated failures.

    Used by the dashboard login and the token API alike, so both share one set of counters. A
    locked e-mail or IP is refused before the password is even checked, and inactive users get
    the same answer as a wrong password (no account enumeration).
    """
    locked_for = login_throttle.seconds_locked(email=email, ip=ip)
    if locked_for:
        # Not recorded: while locked, attempts cost nothing and would only fill the log.
        raise LoginThrottled(retry_after=locked_for)
    user = authenticate(request, email=email, password=password)
    if not isinstance(user, User):
        login_throttle.record_failure(email=email, ip=ip)
        _sign_in_failed(request, email=email, ip=ip, reason="invalid_credentials")
        raise InvalidCredentials()
    if not two_factor_enabled(user):
        # With two-factor sign-in the failures are forgiven only once the code is right too:
        # the password alone must not reset the count of guessed codes.
        login_throttle.clear_email_failures(email=email)
    return user


def _sign_in_failed(request: HttpRequest | None, *, email: str, ip: str, reason: str) -> None:
    audit_record(
        "auth.sign_in_failed",
        actor=Actor(ActorKind.ANONYMOUS, "", email[:255]),
        request=request,
        extra={"email": email, "ip": ip, "reason": reason},
    )


def auth_token_obtain(
    *, request: HttpRequest, email: str, password: str, otp: str | None, ip: str
) -> dict[str, str]:
    """Sign in through the token API: password, then the code of a user with two-factor
    sign-in; returns a tenant-bound JWT pair."""
    user = user_authenticate(request=request, email=email, password=password, ip=ip)
    two_factor_sign_in_check(user=user, code=otp, ip=ip)
    pair = issue_token_pair(user)
    audit_record("auth.sign_in", actor=user, obj=user, request=request, extra={"via": "token"})
    return pair


def _password_validate(password: str, *, user: User, field: str) -> None:
    """Django's password rules (settings ``AUTH_PASSWORD_VALIDATORS``), refused per field."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise FieldValidationError({field: list(exc.messages)}) from exc


def _password_set(user: User, password: str) -> None:
    _password_validate(password, user=user, field="new_password")
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])


@transaction.atomic
def user_create(
    *, email: str, name: str, password: str | None, role: str = User.Role.AGENT
) -> User:
    """Create a user of the current tenant, within the plan's ``max_users`` of active users."""
    if not in_public_schema():
        tenant = current_tenant()
        # Lock the count against concurrent creations: two admins adding the last seat at once.
        active = User.objects.select_for_update().filter(is_active=True)
        if len(active.values_list("pk", flat=True)) >= tenant.max_users:
            raise UserLimitReached(extra={"max_users": tenant.max_users})
    if password is not None:
        _password_validate(password, user=User(email=email, name=name), field="password")
    try:
        if role == User.Role.ADMIN:
            user = User.objects.create_superuser(email=email, password=password, name=name)
        else:
            user = User.objects.create_user(email=email, password=password, name=name, role=role)
    except ValidationError as exc:
        raise FieldValidationError(
            {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        ) from exc
    audit_record("user.created", obj=user, changes=changes_diff({}, snapshot(user, _USER_AUDITED)))
    return user


def auth_expired_credentials_purge() -> dict[str, int]:
    """Delete expired sessions and refresh-token records of the current schema."""
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    tokens, _ = OutstandingToken.objects.filter(expires_at__lt=now).delete()
    return {"sessions": sessions, "tokens": tokens}


def auth_token_refresh(*, refresh: str) -> dict[str, str]:
    """Exchange a refresh token for a new pair; the old one is blacklisted (rotation).

    A token from another tenant, a blacklisted (already used) token or one of a deactivated user
    is refused with 401, so a stolen refresh token works at most once.
    """
    try:
        # Verifies signature, expiry and the blacklist. (The stubs type the argument as a Token,
        # but the class parses the encoded string.)
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidToken({"detail": str(exc), "code": "token_not_valid"}) from exc
    ensure_current_tenant(token)
    user = User.objects.filter(pk=token.get(api_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise AuthenticationFailed(
            _("No active account found for this token."), code="user_inactive"
        )
    token.blacklist()
    return issue_token_pair(user)


def auth_logout(*, user: User, refresh: str) -> None:
    """Blacklist a refresh token of ``user``; its access tokens expire on their own (minutes)."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidToken({"detail": str(exc), "code": "token_not_valid"}) from exc
    ensure_current_tenant(token)
    if str(token.get(api_settings.USER_ID_CLAIM)) != str(user.pk):
        raise AuthenticationFailed(_("This token belongs to another user."), code="token_not_yours")
    token.blacklist()
    audit_record("auth.sign_out", actor=user, obj=user, extra={"via": "token"})


# --------------------------------------------------------------------------- the profile


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    name: str,
    language: str,
    signature: str,
    sign_messages: bool,
    notify_sound: bool,
    notify_desktop: bool,
    theme: str,
    notify_sound_messages: bool,
) -> User:
    """What a user chooses for themselves: name, language, signature, notifications, theme."""
    errors: dict[str, list[str]] = {}
    name, signature = name.strip(), signature.strip()
    if not name:
        errors["name"] = [_("A name is required.")]
    if language not in User.Language.values:
        errors["language"] = [_("Choose a language from the list.")]
    if theme not in User.Theme.values:
        errors["theme"] = [_("Choose a theme from the list.")]
    if sign_messages and not signature:
        errors["signature"] = [_("Write the signature to add to your messages.")]
    if len(signature) > SIGNATURE_MAX_LENGTH:
        errors["signature"] = [_("The signature is too long.")]
    if errors:
        raise FieldValidationError(errors)
    before = snapshot(user, _PROFILE_AUDITED)
    user.name, user.language, user.signature = name, language, signature
    user.sign_messages, user.notify_sound, user.notify_desktop = (
        sign_messages,
        notify_sound,
        notify_desktop,
    )
    user.theme = theme
    user.notify_sound_messages = notify_sound_messages
    user.save(
        update_fields=[
            "name",
            "language",
            "signature",
            "sign_messages",
            "notify_sound",
            "notify_sound_messages",
            "notify_desktop",
            "theme",
            "updated_at",
        ]
    )
    diff = changes_diff(before, snapshot(user, _PROFILE_AUDITED))
    if diff:
        audit_record("user.profile_updated", actor=user, obj=user, changes=diff)
    return user


@transaction.atomic
def user_avatar_set(*, user: User, file: File) -> User:
    """Store a new profile photo (PNG, JPEG, WebP or GIF up to 2 MB) and drop the old file."""
    if (file.size or 0) > AVATAR_MAX_BYTES:
        raise FieldValidationError(
            {"avatar": [_("The photo may be at most %(mb)s MB.") % {"mb": AVATAR_MAX_BYTES >> 20}]}
        )
    kind = avatar_kind(file)
    if kind is None:
        raise FieldValidationError({"avatar": [_("Use a PNG, JPEG, WebP or GIF image.")]})
    old = user.avatar.name or ""
    user.avatar.save(f"avatar.{kind[1]}", file, save=False)
    user.save(update_fields=["avatar", "updated_at"])
    if old:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old))
    return user


@transaction.atomic
def user_avatar_remove(*, user: User) -> User:
    """Remove the profile photo (the file goes once the change is committed)."""
    old, storage = user.avatar.name or "", user.avatar.storage
    if old:
        user.avatar = ""
        user.save(update_fields=["avatar", "updated_at"])
        transaction.on_commit(lambda: storage.delete(old))
    return user


@transaction.atomic
def user_password_change(
    *, user: User, current_password: str, new_password: str, request: HttpRequest, ip: str
) -> int:
    """Change one's own password after proving the current one (failures count towards the
    sign-in lockout of the e-mail and address). This browser stays signed in; every other
    session and refresh token of the user is ended. Returns how many sessions ended."""
    locked_for = login_throttle.seconds_locked(email=user.email, ip=ip)
    if locked_for:
        raise LoginThrottled(retry_after=locked_for)
    if not user.check_password(current_password):
        login_throttle.record_failure(email=user.email, ip=ip)
        raise FieldValidationError(
            {"current_password": [_("The current password is not correct.")]}
        )
    _password_set(user, new_password)
    audit_record("user.password_changed", actor=user, obj=user, request=request)
    update_session_auth_hash(request, user)  # this session keeps working (with a new key)
    return user_sessions_end(user=user, keep_key=request.session.session_key, tokens=True)


# --------------------------------------------------------------------------- password resets


def password_reset_request(*, email: str, ip: str, link_base: str) -> None:
    """ "Forgot password": mail a one-time link to ``email`` when it is an active user's.

    The caller answers the same whether or not the address is known, and the mail goes out in a
    task after commit, so neither the answer nor its timing tells who has an account. An IP
    locked by the sign-in rules is refused (429); each request counts towards the IP's limit,
    and an address gets at most ``PASSWORD_RESET_REQUESTS_PER_EMAIL`` mails per window.
    """
    email = email.strip().lower()
    locked_for = login_throttle.seconds_locked(email=None, ip=ip)
    if locked_for:
        raise LoginThrottled(retry_after=locked_for)
    login_throttle.record_failure(email=None, ip=ip)
    if not password_reset.reset_requests_allowed(email=email, ip=ip):
        return
    user = User.objects.filter(email=email, is_active=True).only("pk").first()
    if user is None:
        return
    transaction.on_commit(
        partial(
            password_reset_mail_send_task.apply_async, args=(user.pk, link_base), queue="default"
        )
    )


def password_reset_mail_send(*, user_id: int, link_base: str) -> bool:
    """Mail the user a fresh one-time link (in their language); False when they are gone."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    tenant = current_tenant()
    with translation.override(user.language or tenant.language or None):
        context = {
            "user": user,
            "tenant_name": tenant.name,
            "link": f"{link_base.rstrip('/')}{password_reset.reset_link_path(user)}",
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        }
        subject = _("Choose a new password for %(tenant)s") % {"tenant": tenant.name}
        body = render_to_string("accounts/password_reset_email.txt", context)
    send_mail(subject, body, None, [user.email])
    return True


@transaction.atomic
def password_reset_complete(*, user: User, new_password: str) -> User:
    """Set the password a one-time link was opened for; the link then stops working (its token
    signs the old password), and every session and refresh token of the user ends."""
    _password_set(user, new_password)
    user_sessions_end(user=user, keep_key=None, tokens=True)
    password_reset.reset_request_clear(email=user.email)
    audit_record("user.password_reset", actor=user, obj=user, extra={"via": "link"})
    return user


@transaction.atomic
def user_password_reset_by_admin(*, user: User, by: User) -> str:
    """An admin gives a user a generated password (returned to be shown once, never stored in
    clear); every session and refresh token of that user ends."""
    if not by.is_admin:
        raise AdminRequired()
    if user.pk == by.pk:
        raise FieldValidationError(
            {"password": [_("Change your own password on your profile page.")]}
        )
    password = generate_password()
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    user_sessions_end(user=user, keep_key=None, tokens=True)
    audit_record("user.password_reset", actor=by, obj=user, extra={"via": "admin"})
    return password
