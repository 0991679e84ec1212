"""What an API key may call: resource families, read or write, and the scope of every
``/api/v1/`` endpoint.

A key's scopes are strings ``"<family>:read"`` or ``"<family>:write"``; GET, HEAD and OPTIONS
need ``read`` (which ``write`` includes), every other method ``write``. ``ENDPOINT_SCOPES``
names each endpoint's family by its URL name; ``KEY_REFUSED`` lists the endpoints keys never
reach (sign-in, the schema, the keys themselves). An endpoint in neither table refuses keys,
and ``integrations/tests/test_scope_table.py`` fails: every new endpoint must be declared here.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

READ = "read"
WRITE = "write"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Family → label, in the order the key form shows them.
FAMILIES: dict[str, str | Promise] = {
    "send": _("Send messages (send API)"),
    "messages": _("Messages of tickets"),
    "tickets": _("Tickets"),
    "contacts": _("Contacts, tags and contact fields"),
    "queues": _("Queues"),
    "agents": _("Users"),
    "quick_replies": _("Quick replies"),
    "connections": _("Channel connections"),
    "settings": _("Account settings"),
    "webhooks": _("Webhooks"),
    "reports": _("Reports"),
    "automation": _("Chatbot flows and business hours"),
    "templates": _("WhatsApp message templates"),
    "campaigns": _("Campaigns"),
}

ENDPOINT_SCOPES: dict[str, str] = {
    "me": "agents",
    # WhatsApp message templates (sending one is a message of a ticket or a new conversation)
    "templates": "templates",
    "template": "templates",
    "templates-sync": "templates",
    "template-send": "messages",
    # campaigns
    "campaigns": "campaigns",
    "campaigns-audience-preview": "campaigns",
    "campaigns-media": "campaigns",
    "campaigns-media-file": "campaigns",
    "campaign": "campaigns",
    "campaign-audience": "campaigns",
    "campaign-audience-file": "campaigns",
    "campaign-start": "campaigns",
    "campaign-pause": "campaigns",
    "campaign-resume": "campaigns",
    "campaign-cancel": "campaigns",
    "campaign-recipients": "campaigns",
    "campaign-counts": "campaigns",
    "campaign-report": "campaigns",
    # contacts
    "contact-list": "contacts",
    "contact-create": "contacts",
    "contact-export": "contacts",
    "contact-import-start": "contacts",
    "contact-import-detail": "contacts",
    "contact-detail": "contacts",
    "contact-update": "contacts",
    "contact-delete": "contacts",
    "contact-block": "contacts",
    "contact-unblock": "contacts",
    "contact-tags-set": "contacts",
    "contact-owners-set": "contacts",
    "contact-merge": "contacts",
    "tag-list": "contacts",
    "tag-detail": "contacts",
    "tag-create": "contacts",
    "tag-update": "contacts",
    "tag-delete": "contacts",
    "contact-attribute-list": "contacts",
    "contact-attribute-detail": "contacts",
    "contact-attribute-create": "contacts",
    "contact-attribute-update": "contacts",
    "contact-attribute-delete": "contacts",
    # tickets
    "ticket-list": "tickets",
    "ticket-detail": "tickets",
    "ticket-accept": "tickets",
    "ticket-transfer": "tickets",
    "ticket-return": "tickets",
    "ticket-close": "tickets",
    "ticket-reopen": "tickets",
    "ticket-mark-read": "tickets",
    "ticket-tags": "tickets",
    "ticket-delete": "tickets",
    "ticket-restore": "tickets",
    "ticket-events": "tickets",
    "conversation-list": "tickets",
    "conversation-connections": "tickets",
    # messages
    "ticket-messages": "messages",
    "ticket-notes": "messages",
    "message-detail": "messages",
    "message-forward": "messages",
    "message-reactions": "messages",
    "message-cancel-schedule": "messages",
    "message-edits": "messages",
    "message-media": "messages",
    "messages-send": "send",
    "external-send": "send",
    "external-send-slash": "send",
    "external-start-session": "send",
    # administration
    "queues": "queues",
    "queue": "queues",
    "queue-members": "queues",
    "users": "agents",
    "user": "agents",
    "user-deactivate": "agents",
    "user-reactivate": "agents",
    "quick-replies": "quick_replies",
    "quick-reply": "quick_replies",
    "quick-reply-render": "quick_replies",
    "quick-reply-media": "quick_replies",
    "tenant-settings": "settings",
    "connections": "connections",
    "connection": "connections",
    "connection-enable": "connections",
    "connection-disable": "connections",
    "connection-check": "connections",
    # automation
    "business-hours": "automation",
    "business-hours-queue": "automation",
    "flows": "automation",
    "flow": "automation",
    "flow-duplicate": "automation",
    "flow-export": "automation",
    "flow-rollback": "automation",
    "flow-test-run": "automation",
    "flow-version": "automation",
    "flow-versions": "automation",
    "flows-import": "automation",
    "flows-media": "automation",
    "flows-validate": "automation",
    # reports
    "reports-summary": "reports",
    "reports-series": "reports",
    "reports-queues": "reports",
    "reports-agents": "reports",
    # webhooks
    "webhook-list": "webhooks",
    "webhook-detail": "webhooks",
    "webhook-rotate-secret": "webhooks",
    "webhook-test": "webhooks",
    "webhook-deliveries": "webhooks",
    "webhook-redeliver": "webhooks",
    "webhook-delivery-redeliver": "webhooks",
    "webhook-event-types": "webhooks",
}

# Endpoints no key may call, whatever its scopes: signing in and out belongs to people, and a
# key must not mint or revoke keys.
KEY_REFUSED: frozenset[str] = frozenset(
    {
        "token-obtain",
        "token-refresh",
        "logout",
        # An agent's own availability belongs to the person, not to a system.
        "me-status",
        "api-key-list",
        "api-key-detail",
        "api-key-revoke",
    }
)

# Public documentation (the OpenAPI schema and its viewer): a key sent along is ignored.
KEY_IGNORED: frozenset[str] = frozenset({"api-schema", "api-docs"})

ALL_SCOPES: tuple[str, ...] = tuple(
    f"{family}:{access}" for family in FAMILIES for access in (READ, WRITE)
)
# The two presets of the key form.
PRESET_FULL: tuple[str, ...] = tuple(f"{family}:{WRITE}" for family in FAMILIES)
PRESET_SEND_ONLY: tuple[str, ...] = ("send:write",)


def required_scope(url_name: str | None, method: str) -> str | None:
    """The scope a request needs (``"tickets:write"``), or None when no key may call it."""
    if not url_name or url_name in KEY_REFUSED:
        return None
    family = ENDPOINT_SCOPES.get(url_name)
    if family is None:
        return None
    return f"{family}:{READ if method.upper() in SAFE_METHODS else WRITE}"


def scopes_grant(scopes: list[str] | tuple[str, ...], needed: str) -> bool:
    """Whether ``scopes`` include ``needed``; ``<family>:write`` includes ``<family>:read``."""
    family, _sep, access = needed.partition(":")
    return needed in scopes or (access == READ and f"{family}:{WRITE}" in scopes)
