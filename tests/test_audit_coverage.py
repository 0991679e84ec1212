"""Every write service leaves an audit entry: a table of (service, how to call it, the action it
must record), run against a real tenant schema, and a check that every public function of every
services module is either in that table or in the justified exemption list below, so a new write
service without an audit entry fails here until it records one (or says why it does not)."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings

from accounts.models import User
from accounts.tests.factories import PASSWORD, AdminFactory, UserFactory, two_factor_enrol
from accounts.tokens import issue_token_pair
from audit.models import AuditEntry
from automation.services.business_hours import IntervalInput
from channels_integrations.models import InboundEvent
from channels_integrations.providers.whatsapp_qr.tests.support import GLOBAL_KEY
from contacts.tests.factories import (
    AttributeDefinitionFactory,
    ContactFactory,
    ContactIdentityFactory,
    TagFactory,
)
from simulator import Simulator
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import (
    ConnectionFactory,
    MessageFactory,
    QueueFactory,
    QuickReplyFactory,
    TicketFactory,
)

# The modules whose public functions change state: every project app's ``services`` module or
# package (a new app is in as soon as it is installed), plus the two-factor module, the signed-in
# devices and the contacts export of accounts/contacts.
ROOT = Path(__file__).resolve().parent.parent
APPS = sorted(
    config.name
    for config in django_apps.get_app_configs()
    if "." not in config.name and (ROOT / config.name / "__init__.py").exists()
)
EXTRA_MODULES = ["accounts.two_factor", "accounts.sessions", "contacts.exports"]


def _modules() -> list[ModuleType]:
    found: list[ModuleType] = []
    for app in APPS:
        try:
            module = importlib.import_module(f"{app}.services")
        except ModuleNotFoundError:
            continue
        found.append(module)
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            found.append(importlib.import_module(f"{module.__name__}.{info.name}"))
    found += [importlib.import_module(name) for name in EXTRA_MODULES]
    return found


def _public_functions() -> set[str]:
    return {
        f"{module.__name__}.{name}"
        for module in _modules()
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }


READS = "reads, checks or formats only: writes nothing"
CONVERSATION = (
    "conversation work (messages, tickets, notes): recorded on the ticket's append-only "
    "timeline (tickets.events), not in the audit log"
)
PIPELINE = "the channel pipelines and their sweeps, run by the system for every message"
PERSONAL = "a person's own display preference, with no security or data-rights weight"
DERIVED = "derived data the system keeps in step (avatars, report rollups, routes)"
INTERNAL = "called by an audited service, which records the action once"

EXEMPT: dict[str, str] = {
    # tenants
    "tenants.services.generate_password": READS,
    "tenants.services.tenant_domain_for": READS,
    "tenants.services.tenant_onboarding_update": PERSONAL,
    "tenants.services.tenant_public_ensure": "idempotent set-up of the platform itself",
    # accounts
    "accounts.services.auth_expired_credentials_purge": "housekeeping of expired credentials",
    "accounts.services.auth_token_refresh": "token rotation; the sign-in it extends is recorded",
    "accounts.services.password_reset_mail_send": "sends the e-mail of a recorded request",
    "accounts.services.password_reset_request": (
        "anyone may ask; recording it would let strangers fill a tenant's log (throttled)"
    ),
    "accounts.services.user_avatar_remove": PERSONAL,
    "accounts.services.user_avatar_set": PERSONAL,
    "accounts.two_factor.two_factor_enabled": READS,
    "accounts.two_factor.two_factor_enrolment_start": (
        "an unconfirmed secret changes nothing; the confirmation is recorded"
    ),
    "accounts.two_factor.two_factor_required": READS,
    "accounts.two_factor.two_factor_status": READS,
    "accounts.two_factor.users_with_two_factor_flag": READS,
    "accounts.sessions.device_label": READS,
    "accounts.sessions.session_id": READS,
    "accounts.sessions.user_sessions": READS,
    "accounts.sessions.session_device_remember": "notes the device of a recorded sign-in",
    "accounts.sessions.user_sessions_end": INTERNAL,
    # contacts
    "contacts.services._validation.full_clean": READS,
    "contacts.services._validation.tags_existing": READS,
    "contacts.services.attributes.contact_attribute_value_as_text": READS,
    "contacts.services.attributes.contact_attribute_value_from_text": READS,
    "contacts.services.attributes.contact_attributes_clean": READS,
    "contacts.services.avatars.contact_avatar_due": READS,
    "contacts.services.avatars.contact_avatar_store": DERIVED,
    "contacts.services.contacts.contact_create": CONVERSATION,
    "contacts.services.contacts.contact_update": CONVERSATION,
    "contacts.services.contacts.contact_owners_set": CONVERSATION,
    "contacts.services.contacts.contact_tags_set": CONVERSATION,
    "contacts.services.contacts.contact_upsert_from_identity": PIPELINE,
    "contacts.services.imports.attribute_headers": READS,
    "contacts.services.imports.import_field_label": READS,
    "contacts.services.imports.contact_import_preview": READS,
    "contacts.services.imports.contact_import_run": INTERNAL,
    "contacts.exports.contact_export_response": READS,
    # connections
    "connections.services.connections_credentials_reencrypt": (
        "operator key rotation at the command line; values unchanged"
    ),
    "channels_integrations.services.connections.connection_webhook_url": READS,
    "channels_integrations.services.connections.connection_error_report": PIPELINE,
    "channels_integrations.services.connections.connection_check": (
        "asks the provider again; the status it records is not a change by the admin"
    ),
    "channels_integrations.services.sessions.connection_calls_apply": PIPELINE,
    "channels_integrations.services.sessions.connections_calls_apply": PIPELINE,
    "channels_integrations.services.sessions.connection_qr_current": READS,
    "channels_integrations.services.sessions.connection_session_refresh": PIPELINE,
    "channels_integrations.services.sessions.connection_session_update": PIPELINE,
    "channels_integrations.services.contact_avatars.contact_avatar_enqueue": DERIVED,
    "channels_integrations.services.contact_avatars.contact_avatar_refresh": DERIVED,
    "channels_integrations.services.webchat_avatar.webchat_avatar_check": READS,
    "channels_integrations.services.webchat_avatar.webchat_avatar_get": READS,
    "channels_integrations.services.inbound_replay.inbound_events_replay": INTERNAL,
    "channels_integrations.services.meta_webhook.meta_delivery_of": READS,
    "channels_integrations.services.meta_webhook.meta_subscription_challenge": READS,
    "channels_integrations.services.read_receipts.read_receipt_send": PIPELINE,
    # tickets
    "tickets.services.automated.message_send_automated": CONVERSATION,
    "tickets.services.bulk.tickets_bulk_act": CONVERSATION,
    "tickets.services.conversations.conversation_contact_for_phone": CONVERSATION,
    "tickets.services.conversations.conversation_options": READS,
    "tickets.services.conversations.conversation_start": CONVERSATION,
    "tickets.services.dispatch.message_dispatch": PIPELINE,
    "tickets.services.routing.connection_routing_set": INTERNAL,
    "tickets.services.saved_inbox_filters.saved_inbox_filter_delete": PERSONAL,
    "tickets.services.saved_inbox_filters.saved_inbox_filter_save": PERSONAL,
    "tickets.services.quick_replies.greeting_for": READS,
    "tickets.services.quick_replies.quick_reply_file": READS,
    "tickets.services.quick_replies.quick_reply_render": READS,
    "tickets.services.quick_replies.text_render": READS,
    "tickets.services.quick_replies.ticket_variables": READS,
    # automation
    "automation.services.business_hours.out_of_hours_notice_send": PIPELINE,
    "automation.services.distribution.agent_backlog_distribute": PIPELINE,
    "automation.services.distribution.queue_backlog_distribute": PIPELINE,
    "automation.services.distribution.ticket_distribute": PIPELINE,
    "automation.services.flow_runs.flow_message_received": PIPELINE,
    "automation.services.flow_runs.flow_run_send_delayed": PIPELINE,
    "automation.services.flow_runs.flow_runs_inactive_process": PIPELINE,
    "automation.services.flows.flow_export": READS,
    "automation.services.flows.flow_graph_validate": READS,
    "automation.services.flows.flow_graph_validate_or_raise": READS,
    "automation.services.flows.flow_import_targets": READS,
    "automation.services.flows.flow_test_run": "a dry run on test contacts; changes no setting",
    "automation.services.flows.flow_media_upload": "a file not used by any flow until saved",
    "campaigns.services.campaign_media_upload": "a file in no campaign until one is saved",
    # reports
    "reports.services.attendance_refresh_for_message": DERIVED,
    "reports.services.attendance_refresh_for_messages": DERIVED,
    "reports.services.attendances_business_refresh": DERIVED,
    "reports.services.attendances_refresh": DERIVED,
    "reports.services.attendances_refresh_for_batch": DERIVED,
    # integrations
    "integrations.services.api_keys.api_key_authenticate": (
        "every API request; refusals answer 401 and are throttled"
    ),
    "integrations.services.api_keys.secret_hash": READS,
    "integrations.services.sending.api_message_send": CONVERSATION,
    "integrations.services.sending.idempotency_key_clean": READS,
    "integrations.services.webhooks.backoff_seconds": READS,
    "integrations.services.webhooks.signature": READS,
    "integrations.services.webhooks.signed_headers": READS,
    "integrations.services.webhooks.webhook_secrets": READS,
    "integrations.services.webhooks.webhook_fan_out": PIPELINE,
    "integrations.services.webhooks.webhook_delivery_attempt": PIPELINE,
    "integrations.services.webhooks.webhook_deliveries_sweep": PIPELINE,
    "integrations.services.webhooks.webhook_redeliver": PIPELINE,
    "integrations.services.webhooks.webhook_redeliver_failed": PIPELINE,
    "integrations.services.webhooks.webhook_test_send": "a test delivery; changes nothing stored",
}
# Conversation and pipeline services of whole modules: every public function of these.
EXEMPT_MODULES: dict[str, str] = {
    "tickets.services.messages": CONVERSATION,
    "tickets.services.greetings": CONVERSATION,
    "channels_integrations.services.inbound": PIPELINE,
    "channels_integrations.services.outbound": PIPELINE,
    "channels_integrations.services.outbound_changes": PIPELINE,
    "channels_integrations.services.webchat": PIPELINE,
    "channels_integrations.services.inbound_batches": PIPELINE,
    "channels_integrations.services.email_inbound": PIPELINE,
    "channels_integrations.services.email_webhook": PIPELINE,
    # An in-process cache of rows other services write (and audit): it reads and forgets.
    "channels_integrations.services.webhook_routes": DERIVED,
}
# Conversation work of tickets.services.tickets, except deletion and restoration (audited).
TICKET_CONVERSATION = {
    "ticket_accept",
    "ticket_assign_automatically",
    "ticket_can_accept",
    "ticket_can_close",
    "ticket_can_reopen",
    "ticket_can_return",
    "ticket_can_transfer",
    "ticket_close",
    "ticket_create_outbound",
    "ticket_mark_read",
    "ticket_open_by",
    "ticket_open_or_reuse",
    "ticket_permissions",
    "ticket_reopen",
    "ticket_return_to_queue",
    "ticket_tags_set",
    "ticket_transfer",
    "tickets_active_locked",
    "tickets_auto_close_due",
}
EXEMPT.update({f"tickets.services.tickets.{name}": CONVERSATION for name in TICKET_CONVERSATION})
EXEMPT_MODULES["audit.services"] = (
    "the audit log's own writer and helpers; its retention is the log's own daily housekeeping"
)
PRIVACY_STEP = "a step of privacy_request_fulfil or retention_apply, which record it"
EXEMPT.update(
    {
        "campaigns.services.audience_attributes_check": READS,
        "campaigns.services.variables_allowed": READS,
    }
)
# Template actions call Graph: their entries are asserted where the Graph simulator runs.
IN_TEMPLATE_TESTS = "recorded; asserted in channels_integrations/tests/test_templates.py"
EXEMPT.update(
    {
        "channels_integrations.services.templates.template_submit": IN_TEMPLATE_TESTS,
        "channels_integrations.services.templates.template_delete": IN_TEMPLATE_TESTS,
        "channels_integrations.services.templates.templates_sync": IN_TEMPLATE_TESTS,
        "channels_integrations.services.templates.templates_sync_all": (
            "the periodic re-sync: housekeeping, not an admin's action"
        ),
        "channels_integrations.services.templates.template_status_apply": PIPELINE,
        "channels_integrations.services.templates.template_send": CONVERSATION,
        "channels_integrations.services.templates.template_conversation_start": CONVERSATION,
        **{
            f"channels_integrations.services.templates.{name}": READS
            for name in (
                "contact_field_values",
                "template_account",
                "template_parameter_defaults",
                "template_parameter_label",
                "template_parameters",
                "template_payload",
                "template_render_text",
            )
        },
    }
)
EXEMPT.update(
    {
        "privacy.services.erasure.contact_erase": PRIVACY_STEP,
        "privacy.services.erasure.conversations_erase": PRIVACY_STEP,
        "privacy.services.erasure.erased_contact_name": READS,
        "privacy.services.exports.contact_export_build": PRIVACY_STEP,
        "privacy.services.exports.contact_export_data": READS,
        "privacy.services.requests.privacy_exports_expire": (
            "housekeeping: deletes export files past their window (the export was recorded)"
        ),
        "privacy.services.requests.privacy_requests_sweep": (
            "housekeeping: re-enqueues requests a killed worker left (their fulfilment records)"
        ),
        "privacy.services.retention.retention_policy_get": READS,
        "privacy.services.retention.retention_preview": READS + " (the dry run)",
    }
)


@dataclass
class World:
    """What the calls work on, made in the tenant's schema."""

    admin: User
    agent: User
    rf: RequestFactory
    host: str


def _request(world: World, user: User | None = None) -> Any:
    request = world.rf.post("/", HTTP_HOST=world.host, HTTP_USER_AGENT="coverage-test")
    request.session = SessionStore()
    request.session.create()
    if user is not None:
        request.user = user
    return request


def _raises(call: Callable[[], Any]) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - the refusal itself is tested elsewhere
        call()


def _webchat(world: World) -> Any:
    from channels_integrations.services.connections import connection_create

    return connection_create(by=world.admin, provider="webchat", name="Site", credentials={})


def _enrolled(world: World) -> tuple[User, list[str]]:
    user = UserFactory.create()
    _totp, codes = two_factor_enrol(user)
    return user, codes


def _call(path: str) -> Callable[..., Any]:
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _s(path: str, **kwargs: Any) -> Callable[[World], Any]:
    """Call ``path`` with keyword arguments, each a value or a function of the world."""

    def run(world: World) -> Any:
        resolved = {k: (v(world) if callable(v) else v) for k, v in kwargs.items()}
        return _call(path)(**resolved)

    return run


def _closed_ticket(world: World) -> Ticket:
    return TicketFactory.create(status=Ticket.Status.CLOSED)


def _two_factor_disable(world: World) -> None:
    user, codes = _enrolled(world)
    _call("accounts.two_factor.two_factor_disable")(user=user, code=codes[0], ip="10.0.0.1")


def _recovery_codes_regenerate(world: World) -> None:
    user, codes = _enrolled(world)
    _call("accounts.two_factor.recovery_codes_regenerate")(user=user, code=codes[0], ip="10.0.0.1")


# (service, how to call it in the tenant's schema, the action it records)
TENANT_CASES: list[tuple[str, Callable[[World], Any], str]] = [
    (
        "accounts.services.user_authenticate",
        lambda w: _raises(
            lambda: _call("accounts.services.user_authenticate")(
                request=None, email=w.agent.email, password="wrong", ip="10.0.0.1"
            )
        ),
        "auth.sign_in_failed",
    ),
    (
        "accounts.services.auth_token_obtain",
        lambda w: _call("accounts.services.auth_token_obtain")(
            request=_request(w), email=w.agent.email, password=PASSWORD, otp=None, ip="10.0.0.1"
        ),
        "auth.sign_in",
    ),
    (
        "accounts.services.auth_logout",
        lambda w: _call("accounts.services.auth_logout")(
            user=w.agent, refresh=issue_token_pair(w.agent)["refresh"]
        ),
        "auth.sign_out",
    ),
    (
        "accounts.services.user_create",
        _s("accounts.services.user_create", email="new@x.test", name="New", password=None),
        "user.created",
    ),
    (
        "accounts.services.user_profile_update",
        lambda w: _call("accounts.services.user_profile_update")(
            user=w.agent,
            name="Renamed",
            language=w.agent.language,
            signature="",
            sign_messages=False,
            notify_sound=True,
            notify_desktop=False,
            theme=w.agent.theme,
            notify_sound_messages=False,
        ),
        "user.profile_updated",
    ),
    (
        "accounts.services.user_password_change",
        lambda w: _call("accounts.services.user_password_change")(
            user=w.agent,
            current_password=PASSWORD,
            new_password="An0ther-Long-Secret",
            request=_request(w, w.agent),
            ip="10.0.0.1",
        ),
        "user.password_changed",
    ),
    (
        "accounts.services.password_reset_complete",
        lambda w: _call("accounts.services.password_reset_complete")(
            user=w.agent, new_password="An0ther-Long-Secret"
        ),
        "user.password_reset",
    ),
    (
        "accounts.services.user_password_reset_by_admin",
        _s(
            "accounts.services.user_password_reset_by_admin",
            user=lambda w: w.agent,
            by=lambda w: w.admin,
        ),
        "user.password_reset",
    ),
    (
        "accounts.two_factor.two_factor_enrolment_confirm",
        lambda w: two_factor_enrol(w.agent),
        "two_factor.enabled",
    ),
    (
        "accounts.two_factor.two_factor_verify",
        lambda w: _raises(
            lambda: _call("accounts.two_factor.two_factor_verify")(
                user=_enrolled(w)[0], code="000000", ip="10.0.0.1"
            )
        ),
        "auth.two_factor_failed",
    ),
    (
        "accounts.two_factor.two_factor_sign_in_check",
        lambda w: _raises(
            lambda: _call("accounts.two_factor.two_factor_sign_in_check")(
                user=_enrolled(w)[0], code="000000", ip="10.0.0.1"
            )
        ),
        "auth.two_factor_failed",
    ),
    (
        "accounts.two_factor.two_factor_disable",
        _two_factor_disable,
        "two_factor.disabled",
    ),
    (
        "accounts.two_factor.recovery_codes_regenerate",
        _recovery_codes_regenerate,
        "two_factor.recovery_codes_regenerated",
    ),
    (
        "accounts.two_factor.two_factor_reset_by_admin",
        lambda w: _call("accounts.two_factor.two_factor_reset_by_admin")(
            user=_enrolled(w)[0], by=w.admin
        ),
        "two_factor.reset",
    ),
    (
        "tickets.services.agents.agent_create",
        _s(
            "tickets.services.agents.agent_create",
            email="agent2@x.test",
            name="A2",
            password=None,
            by=lambda w: w.admin,
        ),
        "user.created",
    ),
    (
        "tickets.services.agents.agent_update",
        _s(
            "tickets.services.agents.agent_update",
            user=lambda w: w.agent,
            by=lambda w: w.admin,
            role=User.Role.ADMIN,
        ),
        "user.updated",
    ),
    (
        "tickets.services.agents.agent_deactivate",
        _s(
            "tickets.services.agents.agent_deactivate", user=lambda w: w.agent, by=lambda w: w.admin
        ),
        "user.deactivated",
    ),
    (
        "tickets.services.agents.agent_reactivate",
        _s(
            "tickets.services.agents.agent_reactivate",
            user=lambda w: UserFactory(is_active=False),
            by=lambda w: w.admin,
        ),
        "user.reactivated",
    ),
    (
        "tickets.services.queues.queue_create",
        _s("tickets.services.queues.queue_create", by=lambda w: w.admin, name="Sales"),
        "queue.created",
    ),
    (
        "tickets.services.queues.queue_update",
        _s(
            "tickets.services.queues.queue_update",
            queue=lambda w: QueueFactory(),
            by=lambda w: w.admin,
            name="Renamed queue",
        ),
        "queue.updated",
    ),
    (
        "tickets.services.queues.queue_members_set",
        _s(
            "tickets.services.queues.queue_members_set",
            queue=lambda w: QueueFactory(),
            agent_ids=lambda w: [w.agent.pk],
            by=lambda w: w.admin,
        ),
        "queue.members_changed",
    ),
    (
        "tickets.services.queues.queue_delete",
        _s(
            "tickets.services.queues.queue_delete",
            queue=lambda w: QueueFactory(),
            move_to=None,
            by=lambda w: w.admin,
        ),
        "queue.deleted",
    ),
    (
        "tenants.services.tenant_settings_update",
        lambda w: _call("tenants.services.tenant_settings_update")(
            tenant=Tenant.objects.get(schema_name="alpha"), values={"days_to_close": 3}
        ),
        "tenant.settings_updated",
    ),
    (
        "tenants.services.tenant_locale_update",
        lambda w: _call("tenants.services.tenant_locale_update")(
            tenant=Tenant.objects.get(schema_name="alpha"),
            time_zone="America/Manaus",
            language="en",
        ),
        "tenant.settings_updated",
    ),
    (
        "channels_integrations.services.connections.connection_create",
        _webchat,
        "connection.created",
    ),
    (
        "channels_integrations.services.connections.connection_update",
        _s(
            "channels_integrations.services.connections.connection_update",
            connection=_webchat,
            by=lambda w: w.admin,
            name="Site 2",
        ),
        "connection.updated",
    ),
    (
        "channels_integrations.services.connections.connection_disable",
        _s(
            "channels_integrations.services.connections.connection_disable",
            connection=_webchat,
            by=lambda w: w.admin,
        ),
        "connection.disabled",
    ),
    (
        "channels_integrations.services.connections.connection_enable",
        _s(
            "channels_integrations.services.connections.connection_enable",
            connection=lambda w: ConnectionFactory(provider="webchat", is_active=False),
            by=lambda w: w.admin,
        ),
        "connection.enabled",
    ),
    (
        "channels_integrations.services.connections.connection_delete",
        _s(
            "channels_integrations.services.connections.connection_delete",
            connection=_webchat,
            by=lambda w: w.admin,
        ),
        "connection.deleted",
    ),
    (
        "channels_integrations.services.inbound_replay.inbound_event_replay",
        lambda w: _call("channels_integrations.services.inbound_replay.inbound_event_replay")(
            event_id=InboundEvent.objects.create(
                connection=ConnectionFactory.create(),
                provider_event_id="evt-1",
                kind="message",
                status="failed",
            ).pk,
            by=w.admin,
        ),
        "inbound_event.replayed",
    ),
    (
        "contacts.services.contacts.contact_delete",
        _s("contacts.services.contacts.contact_delete", contact=lambda w: ContactFactory()),
        "contact.deleted",
    ),
    (
        "contacts.services.contacts.contact_block",
        _s("contacts.services.contacts.contact_block", contact=lambda w: ContactFactory()),
        "contact.blocked",
    ),
    (
        "contacts.services.contacts.contact_unblock",
        _s(
            "contacts.services.contacts.contact_unblock",
            contact=lambda w: ContactFactory(is_blocked=True),
        ),
        "contact.unblocked",
    ),
    (
        "contacts.services.tags.tag_create",
        _s("contacts.services.tags.tag_create", name="VIP"),
        "tag.created",
    ),
    (
        "contacts.services.tags.tag_update",
        _s("contacts.services.tags.tag_update", tag=lambda w: TagFactory(), name="Gold"),
        "tag.updated",
    ),
    (
        "contacts.services.tags.tag_delete",
        _s("contacts.services.tags.tag_delete", tag=lambda w: TagFactory()),
        "tag.deleted",
    ),
    (
        "contacts.services.attributes.contact_attribute_definition_delete",
        _s(
            "contacts.services.attributes.contact_attribute_definition_delete",
            definition=lambda w: AttributeDefinitionFactory(),
        ),
        "contact_attribute.deleted",
    ),
    (
        "contacts.exports.contact_export_lines",
        lambda w: list(
            _call("contacts.exports.contact_export_lines")(user=w.admin, localized=False)
        ),
        "contact.exported",
    ),
    (
        "tickets.services.contact_merge.contact_merge",
        _s(
            "tickets.services.contact_merge.contact_merge",
            survivor=lambda w: ContactFactory(),
            merged=lambda w: ContactFactory(),
            by=lambda w: w.admin,
        ),
        "contact.merged",
    ),
    (
        "tickets.services.tickets.ticket_soft_delete",
        _s(
            "tickets.services.tickets.ticket_soft_delete",
            ticket=_closed_ticket,
            by=lambda w: w.admin,
        ),
        "ticket.deleted",
    ),
    (
        "tickets.services.tickets.ticket_restore",
        lambda w: _call("tickets.services.tickets.ticket_restore")(
            ticket=_call("tickets.services.tickets.ticket_soft_delete")(
                ticket=_closed_ticket(w), by=w.admin
            ),
            by=w.admin,
        ),
        "ticket.restored",
    ),
    (
        "tickets.services.messages.message_delete",
        _s(
            "tickets.services.messages.message_delete",
            message=lambda w: MessageFactory(),
            by=lambda w: w.admin,
        ),
        "message.deleted",
    ),
    (
        "tickets.services.quick_replies.quick_reply_delete",
        _s(
            "tickets.services.quick_replies.quick_reply_delete",
            quick_reply=lambda w: QuickReplyFactory(),
            by=lambda w: w.admin,
        ),
        "quick_reply.deleted",
    ),
    (
        "integrations.services.api_keys.api_key_create",
        _s(
            "integrations.services.api_keys.api_key_create",
            by=lambda w: w.admin,
            name="Shop",
            scopes=["send:write"],
        ),
        "api_key.created",
    ),
    (
        "integrations.services.api_keys.api_key_revoke",
        lambda w: _call("integrations.services.api_keys.api_key_revoke")(
            api_key=_call("integrations.services.api_keys.api_key_create")(
                by=w.admin, name="Shop", scopes=["send:write"]
            )[0],
            by=w.admin,
        ),
        "api_key.revoked",
    ),
    (
        "integrations.services.webhooks.webhook_create",
        lambda w: _webhook(w),
        "webhook.created",
    ),
    (
        "integrations.services.webhooks.webhook_update",
        lambda w: _call("integrations.services.webhooks.webhook_update")(
            subscription=_webhook(w), name="Renamed hook"
        ),
        "webhook.updated",
    ),
    (
        "integrations.services.webhooks.webhook_delete",
        lambda w: _call("integrations.services.webhooks.webhook_delete")(subscription=_webhook(w)),
        "webhook.deleted",
    ),
    (
        "integrations.services.webhooks.webhook_secret_rotate",
        lambda w: _call("integrations.services.webhooks.webhook_secret_rotate")(
            subscription=_webhook(w)
        ),
        "webhook.secret_rotated",
    ),
    (
        "automation.services.business_hours.business_hours_set",
        lambda w: _call("automation.services.business_hours.business_hours_set")(
            by=w.admin,
            is_enabled=True,
            out_of_hours_message="Closed",
            intervals=[IntervalInput(weekday=0, opens_at=time(9), closes_at=time(18))],
        ),
        "business_hours.updated",
    ),
    (
        "automation.services.business_hours.business_hours_delete",
        lambda w: (
            lambda q: (
                _call("automation.services.business_hours.business_hours_set")(
                    by=w.admin,
                    queue=q,
                    is_enabled=True,
                    out_of_hours_message="Closed",
                    intervals=[IntervalInput(weekday=0, opens_at=time(9), closes_at=time(18))],
                ),
                _call("automation.services.business_hours.business_hours_delete")(
                    by=w.admin, queue=q
                ),
            )
        )(QueueFactory()),
        "business_hours.deleted",
    ),
    (
        "automation.services.flows.flow_create",
        _s("automation.services.flows.flow_create", by=lambda w: w.admin, name="Menu"),
        "flow.created",
    ),
    (
        "automation.services.flows.flow_delete",
        lambda w: _call("automation.services.flows.flow_delete")(
            flow=_call("automation.services.flows.flow_create")(by=w.admin, name="Menu"),
            by=w.admin,
        ),
        "flow.deleted",
    ),
]

TENANT_CASES += [
    (
        "contacts.services.attributes.contact_attribute_definition_create",
        _s(
            "contacts.services.attributes.contact_attribute_definition_create",
            key="cpf",
            label="CPF",
            type="text",
        ),
        "contact_attribute.created",
    ),
    (
        "contacts.services.attributes.contact_attribute_definition_update",
        _s(
            "contacts.services.attributes.contact_attribute_definition_update",
            definition=lambda w: AttributeDefinitionFactory(),
            label="Renamed",
        ),
        "contact_attribute.updated",
    ),
    (
        "tickets.services.quick_replies.quick_reply_create",
        _s(
            "tickets.services.quick_replies.quick_reply_create",
            by=lambda w: w.admin,
            shortcode="hello",
            body="Hello!",
            shared=True,
        ),
        "quick_reply.created",
    ),
    (
        "tickets.services.quick_replies.quick_reply_update",
        _s(
            "tickets.services.quick_replies.quick_reply_update",
            quick_reply=lambda w: QuickReplyFactory(),
            by=lambda w: w.admin,
            body="Changed",
        ),
        "quick_reply.updated",
    ),
]


def _campaign(world: World, *, started: bool = False, paused: bool = False) -> Any:
    from campaigns import services

    campaign = services.campaign_create(
        by=world.admin,
        data=services.CampaignInput(
            name="Promo",
            connection=ConnectionFactory.create(provider="telegram"),
            variants=["Oi {{contact.name}}"],
        ),
    )
    if started or paused:
        contact = ContactFactory.create(phone="+5511987650000")
        # Addressable on Telegram: else the start skips it and the campaign is finished at once.
        ContactIdentityFactory.create(contact=contact, provider="telegram", external_id="4242")
        services.campaign_audience_add(
            campaign=campaign, contacts=type(contact).objects.filter(pk=contact.pk)
        )
        campaign = services.campaign_start(campaign=campaign)
    if paused:
        campaign = services.campaign_pause(campaign=campaign)
    return campaign


def _campaign_call(name: str, **state: bool) -> Callable[[World], Any]:
    return lambda w: _call(f"campaigns.services.{name}")(campaign=_campaign(w, **state))


TENANT_CASES += [
    ("campaigns.services.campaign_create", lambda w: _campaign(w), "campaign.created"),
    (
        "campaigns.services.campaign_update",
        lambda w: _call("campaigns.services.campaign_update")(
            campaign=(c := _campaign(w)),
            data=_call("campaigns.services.CampaignInput")(
                name="Promo 2", connection=c.connection, variants=["Olá"]
            ),
        ),
        "campaign.updated",
    ),
    ("campaigns.services.campaign_delete", _campaign_call("campaign_delete"), "campaign.deleted"),
    (
        "campaigns.services.campaign_audience_add",
        lambda w: _call("campaigns.services.campaign_audience_add")(
            campaign=_campaign(w),
            contacts=type(contact := ContactFactory.create()).objects.filter(pk=contact.pk),
        ),
        "campaign.audience_changed",
    ),
    (
        "campaigns.services.campaign_audience_remove",
        _campaign_call("campaign_audience_remove"),
        "campaign.audience_changed",
    ),
    (
        "campaigns.services.campaign_audience_import",
        lambda w: _call("campaigns.services.campaign_audience_import")(
            campaign=_campaign(w), data=b"name,phone\nAna,+5511912345678\n"
        ),
        "campaign.audience_imported",
    ),
    ("campaigns.services.campaign_start", lambda w: _campaign(w, started=True), "campaign.started"),
    ("campaigns.services.campaign_pause", lambda w: _campaign(w, paused=True), "campaign.paused"),
    (
        "campaigns.services.campaign_resume",
        _campaign_call("campaign_resume", paused=True),
        "campaign.resumed",
    ),
    (
        "campaigns.services.campaign_cancel",
        _campaign_call("campaign_cancel", started=True),
        "campaign.cancelled",
    ),
]


def _privacy_request(world: World, kind: str) -> Any:
    from privacy.services import requests

    asked = getattr(requests, f"privacy_{kind}_request")
    return asked(contact=ContactFactory.create(), requested_by=world.admin)


TENANT_CASES += [
    (
        "privacy.services.requests.privacy_export_request",
        lambda w: _privacy_request(w, "export"),
        "privacy.export_requested",
    ),
    (
        "privacy.services.requests.privacy_erasure_request",
        lambda w: _privacy_request(w, "erasure"),
        "privacy.erasure_requested",
    ),
    (
        "privacy.services.requests.privacy_request_fulfil",
        lambda w: _call("privacy.services.requests.privacy_request_fulfil")(
            request_id=_privacy_request(w, "erasure").pk
        ),
        "privacy.erasure_fulfilled",
    ),
    (
        "privacy.services.retention.retention_policy_update",
        _s(
            "privacy.services.retention.retention_policy_update",
            is_enabled=True,
            months=12,
            action="anonymise",
        ),
        "privacy.retention_updated",
    ),
    (
        "privacy.services.retention.retention_apply",
        lambda w: _call("privacy.services.retention.retention_apply")(
            policy=_call("privacy.services.retention.retention_policy_get")()
        ),
        "privacy.retention_applied",
    ),
]

_CSV = b"name,phone\nAna,+5511912345678\n"
# A 1x1 PNG: the web chat avatar checks the image by its first bytes.
_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
_LEGACY_FLOW = json.loads(
    (ROOT / "automation" / "tests" / "fixtures" / "provider_menu.json").read_text()
)


def _contact_import(world: World, *, preview: bool) -> Any:
    return _call("contacts.services.imports.contact_import_start")(
        file=SimpleUploadedFile("contacts.csv", _CSV, content_type="text/csv"),
        created_by=world.admin,
        duplicates="skip",
        preview=preview,
    )


def _flow(world: World) -> Any:
    return _call("automation.services.flows.flow_create")(by=world.admin, name="Menu")


def _flow_rollback(world: World) -> Any:
    flow = _flow(world)
    first = flow.current_version
    _call("automation.services.flows.flow_graph_save")(
        flow=flow, by=world.admin, graph=first.graph, note="second"
    )
    return _call("automation.services.flows.flow_rollback")(
        flow=flow, by=world.admin, version=first
    )


def _flow_import(world: World) -> Any:
    """The original system's example flow, its queues and users found here by name."""
    queues = {"1": "Atendimento Geral", "2": "Financeiro", "3": "Suporte Técnico"}
    for name in queues.values():
        QueueFactory.create(name=name)
    UserFactory.create(email="vendas@rede.test")
    UserFactory.create(name="Técnico de Campo")
    return _call("automation.services.flows.flow_import")(
        by=world.admin,
        name="Imported",
        data=_LEGACY_FLOW,
        queue_names=queues,
        user_names={"5": "vendas@rede.test", "7": "Técnico de Campo"},
        confirm=True,
    )


def _webchat_avatar(world: World) -> tuple[Any, Any]:
    connection = _webchat(world)
    upload = SimpleUploadedFile("logo.png", _PNG, content_type="image/png")
    avatar = _call("channels_integrations.services.webchat_avatar.webchat_avatar_set")(
        connection=connection, by=world.admin, upload=upload
    )
    return connection, avatar


def _qr_session_action(world: World) -> Any:
    """A new QR code asked of the simulated WhatsApp gateway (Evolution API) for a connection
    created on it; its webhooks are held, so nothing else runs."""
    gateway = Simulator().start()
    gateway.evolution.api_key = GLOBAL_KEY
    gateway.evolution.qr_interval = 3600
    gateway.evolution.hold = True
    try:
        with override_settings(
            EVOLUTION_API_URL=gateway.evolution_url, EVOLUTION_API_KEY=GLOBAL_KEY
        ):
            connection = _call("channels_integrations.services.connections.connection_create")(
                by=world.admin, provider="whatsapp_qr", name="Loja", credentials={}
            )
            result = _call("channels_integrations.services.sessions.connection_session_action")(
                connection=connection, by=world.admin, action="reconnect"
            )
        assert [r.method for r in gateway.requests if r.method == "connect"] == ["connect"]
        return result
    finally:
        gateway.stop()


TENANT_CASES += [
    (
        "contacts.services.imports.contact_import_start",
        lambda w: _contact_import(w, preview=False),
        "contact_import.started",
    ),
    (
        "contacts.services.imports.contact_import_confirm",
        lambda w: _call("contacts.services.imports.contact_import_confirm")(
            contact_import=_contact_import(w, preview=True), duplicates="update"
        ),
        "contact_import.confirmed",
    ),
    (
        "contacts.services.imports.contact_import_cancel",
        lambda w: _call("contacts.services.imports.contact_import_cancel")(
            contact_import=_contact_import(w, preview=True)
        ),
        "contact_import.cancelled",
    ),
    (
        "channels_integrations.services.sessions.connection_session_action",
        _qr_session_action,
        "connection.session_action",
    ),
    (
        "channels_integrations.services.webchat_avatar.webchat_avatar_set",
        _webchat_avatar,
        "connection.avatar_set",
    ),
    (
        "channels_integrations.services.webchat_avatar.webchat_avatar_remove",
        lambda w: _call("channels_integrations.services.webchat_avatar.webchat_avatar_remove")(
            connection=_webchat_avatar(w)[0], by=w.admin
        ),
        "connection.avatar_removed",
    ),
    (
        "automation.services.flows.flow_update",
        lambda w: _call("automation.services.flows.flow_update")(
            flow=_flow(w), by=w.admin, name="Renamed", is_active=False
        ),
        "flow.updated",
    ),
    (
        "automation.services.flows.flow_graph_save",
        lambda w: _call("automation.services.flows.flow_graph_save")(
            flow=(f := _flow(w)), by=w.admin, graph=f.current_version.graph
        ),
        "flow.saved",
    ),
    ("automation.services.flows.flow_rollback", _flow_rollback, "flow.rolled_back"),
    (
        "automation.services.flows.flow_duplicate",
        lambda w: _call("automation.services.flows.flow_duplicate")(flow=_flow(w), by=w.admin),
        "flow.duplicated",
    ),
    ("automation.services.flows.flow_import", _flow_import, "flow.imported"),
    (
        "automation.services.flows.flow_import_mapped",
        lambda w: _call("automation.services.flows.flow_import_mapped")(
            by=w.admin,
            name="Imported",
            data=_LEGACY_FLOW,
            queues={"1": None, "2": None, "3": None},
            users={"5": None, "7": None},
        ),
        "flow.imported",
    ),
]

# Platform actions: called in the public schema, recorded in the platform's log only.
PLATFORM_CASES: list[tuple[str, Callable[[Tenant], Any], str]] = [
    (
        "tenants.services.tenant_suspend",
        lambda t: _call("tenants.services.tenant_suspend")(tenant=t),
        "tenant.suspended",
    ),
    (
        "tenants.services.tenant_resume",
        lambda t: _call("tenants.services.tenant_resume")(tenant=t),
        "tenant.resumed",
    ),
    (
        "tenants.services.tenant_limits_update",
        lambda t: _call("tenants.services.tenant_limits_update")(
            tenant=t, max_users=t.max_users + 1, max_channels=t.max_channels
        ),
        "tenant.limits_updated",
    ),
]
PROVISION = "tenants.services.tenant_provision"


def _webhook(world: World) -> Any:
    subscription, _secret = _call("integrations.services.webhooks.webhook_create")(
        by=world.admin,
        name="Hook",
        url="http://127.0.0.1:9/hooks",
        event_types=["message.created"],
        auth_header="Bearer very-secret",
    )
    return subscription


def test_every_public_service_function_is_audited_or_exempt_with_a_reason():
    covered = {path for path, *_ in TENANT_CASES} | {path for path, *_ in PLATFORM_CASES}
    covered.add(PROVISION)
    exempt = set(EXEMPT) | {
        path
        for path in _public_functions()
        if path.rsplit(".", 1)[0] in EXEMPT_MODULES and path not in covered
    }
    missing = sorted(_public_functions() - covered - exempt)
    assert not missing, f"write services without an audit entry or an exemption: {missing}"
    stale = sorted((covered | set(EXEMPT)) - _public_functions())
    assert not stale, f"listed functions that no longer exist: {stale}"
    assert not covered & set(EXEMPT), "a function is both tested and exempt"
    assert all(reason.strip() for reason in [*EXEMPT.values(), *EXEMPT_MODULES.values()])


@pytest.mark.parametrize(("path", "call", "action"), TENANT_CASES, ids=[c[0] for c in TENANT_CASES])
def test_the_service_records_its_action_in_the_tenants_log(alpha, settings, path, call, action):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the webhook cases' receiver
    with public_scope():
        public_before = AuditEntry.objects.filter(action=action).count()
    with tenant_scope(alpha.tenant):
        world = World(
            admin=AdminFactory(), agent=UserFactory(), rf=RequestFactory(), host=alpha.host
        )
        before = set(AuditEntry.objects.filter(action=action).values_list("pk", flat=True))
        call(world)
        assert AuditEntry.objects.filter(action=action).exclude(pk__in=before).exists(), (
            f"{path} recorded no {action!r} entry"
        )
    with public_scope():  # a tenant's action never reaches the platform's log
        assert AuditEntry.objects.filter(action=action).count() == public_before


@pytest.mark.parametrize(
    ("path", "call", "action"), PLATFORM_CASES, ids=[c[0] for c in PLATFORM_CASES]
)
def test_a_platform_action_lands_in_the_public_log_only(alpha, path, call, action):
    with tenant_scope(alpha.tenant):
        tenant_before = AuditEntry.objects.count()
    with public_scope():
        tenant = Tenant.objects.get(schema_name="alpha")
        call(tenant)
        entry = AuditEntry.objects.filter(action=action).latest("id")
        assert entry.object_type == "tenants.tenant"
        assert entry.object_id == str(tenant.pk)
    with tenant_scope(alpha.tenant):
        assert AuditEntry.objects.count() == tenant_before


def test_provisioning_a_tenant_is_recorded_in_the_public_log_not_in_the_new_tenant(db):
    from tenants.services import tenant_provision

    with public_scope():
        provisioned = tenant_provision(
            name="Gamma",
            slug="gamma-audit",
            admin_email="admin@gamma.test",
            admin_password="Correct-Horse-42",
        )
        entry = AuditEntry.objects.filter(action="tenant.created").latest("id")
        assert entry.object_id == str(provisioned.tenant.pk)
        assert entry.changes["schema_name"]["after"] == "gamma-audit"
        assert "Correct-Horse-42" not in str(entry.changes) + str(entry.extra)
    with tenant_scope(provisioned.tenant):
        assert not AuditEntry.objects.filter(action="tenant.created").exists()


def _entries(action: str, before: set[int]) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).exclude(pk__in=before).order_by("id"))


def test_flow_entries_name_the_versions_and_keep_no_test_phone_number(alpha):
    from automation.services import flows

    with tenant_scope(alpha.tenant):
        before = set(AuditEntry.objects.values_list("pk", flat=True))
        admin = AdminFactory()
        flow = flows.flow_create(by=admin, name="Menu")
        first = flow.current_version
        flows.flow_graph_save(flow=flow, by=admin, graph=first.graph)
        flows.flow_rollback(flow=flow, by=admin, version=first)
        flows.flow_update(flow=flow, by=admin, name="Main menu", test_contacts=["+5511912345678"])
        flows.flow_update(flow=flow, by=admin, name="Main menu")  # nothing changes

        [saved] = _entries("flow.saved", before)
        assert (saved.object_id, saved.extra) == (str(flow.pk), {"version": 2})
        assert saved.actor_id == str(admin.pk)
        [rolled] = _entries("flow.rolled_back", before)
        assert rolled.extra == {"version": 3, "restored_version": 1}
        [updated] = _entries("flow.updated", before)
        assert updated.changes == {
            "name": {"before": "Menu", "after": "Main menu"},
            "test_contacts": {"before": 0, "after": 1},
        }
        assert "912345678" not in str(updated.changes) + str(updated.extra)


def test_contact_import_entries_hold_counts_never_the_files_people(alpha):
    from contacts.services import imports

    with tenant_scope(alpha.tenant):
        before = set(AuditEntry.objects.values_list("pk", flat=True))
        admin = AdminFactory()
        kept = imports.contact_import_start(
            file=SimpleUploadedFile("ana-silva.csv", _CSV, content_type="text/csv"),
            created_by=admin,
            duplicates="ask",
            preview=True,
        )
        imports.contact_import_confirm(contact_import=kept, duplicates="ask", update_rows=[2])
        dropped = imports.contact_import_start(
            file=SimpleUploadedFile("ana-silva.csv", _CSV, content_type="text/csv"),
            created_by=admin,
            preview=True,
        )
        imports.contact_import_cancel(contact_import=dropped)

        started = _entries("contact_import.started", before)
        assert [e.extra for e in started] == [
            {"rows": 1, "tags": 0, "duplicates": "ask", "preview": True},
            {"rows": 1, "tags": 0, "duplicates": "update", "preview": True},
        ]
        [confirmed] = _entries("contact_import.confirmed", before)
        assert (confirmed.object_type, confirmed.object_id) == (
            "contacts.contactimport",
            str(kept.pk),
        )
        assert confirmed.extra == {"rows": 1, "duplicates": "ask", "update_rows": 1}
        [cancelled] = _entries("contact_import.cancelled", before)
        assert (cancelled.object_id, cancelled.extra) == (str(dropped.pk), {"rows": 1})
        for entry in [*started, confirmed, cancelled]:
            text = f"{entry.object_label} {entry.changes} {entry.extra}"
            assert not [word for word in ("Ana", "ana-silva", "912345678") if word in text]


def test_every_recorded_action_has_a_readable_label():
    """The audit page names actions and filters by them: a code without a label shows raw."""
    from audit.actions import ACTION_LABELS

    recorded = {action for *_, action in TENANT_CASES} | {action for *_, action in PLATFORM_CASES}
    recorded |= {"privacy.export_fulfilled", "template.synced", "template.submitted"}
    recorded |= {"template.deleted"}
    assert sorted(recorded - set(ACTION_LABELS)) == []
