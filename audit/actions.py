"""Readable names of the action codes and object types the audit log records."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "auth.sign_in": _("Signed in"),
    "auth.sign_out": _("Signed out"),
    "auth.sign_in_failed": _("Sign-in failed"),
    "auth.two_factor_failed": _("Two-factor code refused"),
    "two_factor.enabled": _("Two-factor sign-in turned on"),
    "two_factor.disabled": _("Two-factor sign-in turned off"),
    "two_factor.recovery_codes_regenerated": _("Recovery codes replaced"),
    "two_factor.reset": _("Two-factor sign-in reset by an admin"),
    "user.created": _("User created"),
    "user.updated": _("User changed"),
    "user.profile_updated": _("Profile changed"),
    "user.deactivated": _("User deactivated"),
    "user.reactivated": _("User reactivated"),
    "user.password_changed": _("Password changed"),
    "user.password_reset": _("Password reset"),
    "queue.created": _("Queue created"),
    "queue.updated": _("Queue changed"),
    "queue.members_changed": _("Queue members changed"),
    "queue.deleted": _("Queue deleted"),
    "tenant.created": _("Tenant created"),
    "tenant.suspended": _("Tenant suspended"),
    "tenant.resumed": _("Tenant resumed"),
    "tenant.limits_updated": _("Tenant limits changed"),
    "tenant.settings_updated": _("Settings changed"),
    "connection.created": _("Connection created"),
    "connection.updated": _("Connection changed"),
    "connection.enabled": _("Connection enabled"),
    "connection.disabled": _("Connection disabled"),
    "connection.deleted": _("Connection deleted"),
    "connection.session_action": _("WhatsApp session action"),
    "connection.avatar_set": _("Web chat avatar changed"),
    "connection.avatar_removed": _("Web chat avatar removed"),
    "contact.exported": _("Contacts exported"),
    "contact.merged": _("Contacts merged"),
    "contact.deleted": _("Contact deleted"),
    "contact.blocked": _("Contact blocked"),
    "contact.unblocked": _("Contact unblocked"),
    "contact_import.started": _("Contact import started"),
    "contact_import.confirmed": _("Contact import confirmed"),
    "contact_import.cancelled": _("Contact import cancelled"),
    "contact_attribute.created": _("Contact attribute created"),
    "contact_attribute.updated": _("Contact attribute changed"),
    "contact_attribute.deleted": _("Contact attribute deleted"),
    "tag.created": _("Tag created"),
    "tag.updated": _("Tag changed"),
    "tag.deleted": _("Tag deleted"),
    "quick_reply.created": _("Quick reply created"),
    "quick_reply.updated": _("Quick reply changed"),
    "quick_reply.deleted": _("Quick reply deleted"),
    "ticket.deleted": _("Ticket deleted"),
    "ticket.restored": _("Ticket restored"),
    "message.deleted": _("Message deleted"),
    "report.exported": _("Report exported"),
    "api_key.created": _("API key created"),
    "api_key.revoked": _("API key revoked"),
    "webhook.created": _("Webhook created"),
    "webhook.updated": _("Webhook changed"),
    "webhook.deleted": _("Webhook deleted"),
    "webhook.secret_rotated": _("Webhook secret rotated"),
    "business_hours.updated": _("Business hours changed"),
    "business_hours.deleted": _("Business hours removed"),
    "flow.created": _("Chatbot flow created"),
    "flow.updated": _("Chatbot flow settings changed"),
    "flow.saved": _("Chatbot flow saved"),
    "flow.rolled_back": _("Chatbot flow rolled back"),
    "flow.duplicated": _("Chatbot flow duplicated"),
    "flow.imported": _("Chatbot flow imported"),
    "flow.deleted": _("Chatbot flow deleted"),
    "inbound_event.replayed": _("Inbound event retried"),
    "audit.exported": _("Audit log exported"),
}

OBJECT_TYPE_LABELS: dict[str, str | Promise] = {
    "accounts.user": _("User"),
    "tenants.tenant": _("Tenant"),
    "tickets.queue": _("Queue"),
    "tickets.ticket": _("Ticket"),
    "tickets.message": _("Message"),
    "tickets.quickreply": _("Quick reply"),
    "connections.channelconnection": _("Connection"),
    "contacts.contact": _("Contact"),
    "contacts.tag": _("Tag"),
    "contacts.contactattributedefinition": _("Contact attribute"),
    "contacts.contactimport": _("Contact import"),
    "integrations.apikey": _("API key"),
    "integrations.webhooksubscription": _("Webhook"),
    "automation.flow": _("Chatbot flow"),
    "automation.businesshours": _("Business hours"),
    "channels_integrations.inboundevent": _("Inbound event"),
}


def action_label(code: str) -> str:
    """The readable name of ``code`` (the code itself when it has none)."""
    return str(ACTION_LABELS.get(code, code))


def object_type_label(code: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(code, code))
