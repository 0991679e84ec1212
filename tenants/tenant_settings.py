"""Typed per-tenant settings: every key, its type, default and bounds, in one table.

Values are stored on the tenant row (public schema), which every request already loads, so
reading a setting costs no query. Unknown keys and wrong types are refused by
``tenants.services.tenant_settings_update``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenants.tenancy import current_tenant


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its Python type, default, optional bounds, and whether it may be null."""

    type: type
    default: Any
    label: str | Promise
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False
    max_length: int | None = None
    # False while no channel acts on the setting: it stays in the table (its stored value is
    # kept for the channel that will read it) but is neither listed nor accepted.
    available: bool = True
    # True for state the product keeps for itself (the getting-started checklist): never
    # listed nor accepted by the settings page or the API; written by its own service only.
    internal: bool = False


TENANT_SETTINGS: dict[str, SettingSpec] = {
    # Inbox visibility for agents (admins always see everything), enforced server-side.
    "hide_tickets_assigned_to_others": SettingSpec(
        bool, False, _("Agents do not see tickets assigned to other agents")
    ),
    "hide_tickets_without_queue": SettingSpec(
        bool, False, _("Agents do not see tickets that have no queue yet")
    ),
    "hide_tickets_of_other_wallets": SettingSpec(
        bool, False, _("Agents do not see tickets of contacts in another agent's wallet")
    ),
    # Sign-in: users without two-factor sign-in enrol at their next sign-in (accounts.two_factor).
    "require_two_factor": SettingSpec(
        bool, False, _("Everyone signs in with a code from an authenticator app (two-factor)")
    ),
    # The audit log (audit/): entries older than this are deleted daily.
    "audit_retention_days": SettingSpec(
        int, 365, _("Keep audit log entries for this many days"), minimum=30, maximum=3650
    ),
    # Routing of new tickets.
    "direct_tickets_to_wallet": SettingSpec(
        bool, False, _("New tickets of a wallet contact go straight to its first owner")
    ),
    # Ticket lifecycle.
    "days_to_close": SettingSpec(
        int,
        7,
        _("Close tickets after this many days without messages (empty: never)"),
        minimum=1,
        maximum=365,
        nullable=True,
    ),
    "reopen_window_minutes": SettingSpec(
        int,
        0,
        _("A message this many minutes after a close reopens the ticket (0: new ticket)"),
        minimum=0,
        maximum=7 * 24 * 60,
    ),
    "farewell_on_close": SettingSpec(bool, True, _("Send the farewell message when closing")),
    "farewell_on_auto_close": SettingSpec(
        bool, False, _("Send the farewell message when closing for inactivity")
    ),
    # Read receipts (tickets.services.ticket_open_by): WhatsApp (Cloud and QR), Messenger and
    # Instagram.
    "send_read_receipts": SettingSpec(
        bool,
        True,
        _(
            "Show customers that their messages were read when the assigned agent opens the "
            "conversation (WhatsApp, Messenger and Instagram)"
        ),
    ),
    # Channel behaviour for groups and calls, which only the WhatsApp QR channel has: group
    # messages open one group ticket per group unless ignored; calls are rejected through the
    # gateway's instance settings (docs/settings.md).
    "ignore_group_messages": SettingSpec(
        bool,
        True,
        _("Ignore WhatsApp group messages (when off, each group gets its own ticket)"),
    ),
    "reject_calls": SettingSpec(bool, False, _("Reject WhatsApp voice and video calls")),
    "call_reject_message": SettingSpec(
        str,
        "As chamadas de voz e vídeo estão desabilitadas para este número. "
        "Por favor, envie uma mensagem de texto.",
        _("Message sent after rejecting a call"),
        max_length=1000,
    ),
    # Campaigns (campaigns.services.replies): a reply that is one of these words (any case,
    # accents and surrounding punctuation ignored) opts the contact out of campaigns.
    "campaign_opt_out_keywords": SettingSpec(
        str,
        "SAIR, PARAR, CANCELAR, STOP",
        _("Replies that opt a contact out of campaigns (comma-separated)"),
        max_length=500,
    ),
    # The getting-started checklist on an empty inbox (dashboard/onboarding): hidden by an
    # admin for the whole tenant, and the steps already seen done (they stay ticked).
    "onboarding_dismissed": SettingSpec(
        bool, False, _("Getting-started checklist hidden"), internal=True
    ),
    "onboarding_done": SettingSpec(list, [], _("Getting-started steps done"), internal=True),
}


def settings_available() -> dict[str, SettingSpec]:
    """The settings some code acts on: the ones the settings page and the API list and accept."""
    return {
        key: spec for key, spec in TENANT_SETTINGS.items() if spec.available and not spec.internal
    }


def setting_validate(key: str, value: Any) -> Any:
    """The value to store for ``key``, or ValueError/KeyError with a reason."""
    spec = TENANT_SETTINGS[key]
    if value is None:
        if spec.nullable:
            return None
        raise ValueError("null")
    # bool is a subclass of int: refuse True for an integer setting and 1 for a boolean one.
    if type(value) is not spec.type:
        raise TypeError(spec.type.__name__)
    checked: Any = value
    if spec.minimum is not None and checked < spec.minimum:
        raise ValueError(f"min:{spec.minimum}")
    if spec.maximum is not None and checked > spec.maximum:
        raise ValueError(f"max:{spec.maximum}")
    if spec.max_length is not None and len(checked) > spec.max_length:
        raise ValueError(f"max_length:{spec.max_length}")
    return checked


def settings_with_defaults(stored: dict[str, Any]) -> dict[str, Any]:
    """Every available key, with the stored value or its default (other stored keys dropped)."""
    return {key: stored.get(key, spec.default) for key, spec in settings_available().items()}


def tenant_setting(key: str) -> Any:
    """The current tenant's value for ``key`` (its default when never set)."""
    spec = TENANT_SETTINGS[key]
    return (current_tenant().settings or {}).get(key, spec.default)
