"""Input and output shapes of the tickets API (no create/update: services decide)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.datetimes import datetime_out, output_zone
from tickets.models import Ticket

SCOPES = ("mine", "queues", "all")


class TicketListQuerySerializer(serializers.Serializer):
    """Filters of the inbox list; lists are repeated parameters (``status=open&status=pending``)."""

    status = serializers.ListField(
        child=serializers.ChoiceField(choices=Ticket.Status.choices), required=False, default=list
    )
    scope = serializers.ChoiceField(choices=SCOPES, required=False, default="all")
    queue = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    tag = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    connection = serializers.ListField(child=serializers.UUIDField(), required=False, default=list)
    assignee = serializers.CharField(
        required=False, default=None, help_text='"me", "unassigned" or an agent id'
    )
    unread = serializers.BooleanField(required=False, default=False)
    created_from = serializers.DateField(required=False, default=None)
    created_to = serializers.DateField(required=False, default=None)
    search = serializers.CharField(required=False, default="", max_length=200)

    def validate_assignee(self, value: str | None) -> str | int | None:
        if value is None or value in ("me", "unassigned"):
            return value
        if value.isdigit() and int(value) > 0:
            return int(value)
        raise serializers.ValidationError(_('Use "me", "unassigned" or an agent id.'))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("created_from"), attrs.get("created_to")
        if start is not None and end is not None and start > end:
            raise serializers.ValidationError(
                {"created_to": [_("The end date is before the start date.")]}
            )
        return attrs


class TicketCreateInputSerializer(serializers.Serializer):
    contact = serializers.UUIDField(help_text="public id of the contact")
    connection = serializers.UUIDField(help_text="public id of the channel connection")
    queue = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class ConversationStartInputSerializer(serializers.Serializer):
    contact = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="public id of the contact"
    )
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=32,
        help_text="a phone number instead of a contact (matched, or a new contact)",
    )
    connection = serializers.UUIDField(help_text="public id of the channel connection")
    body = serializers.CharField(max_length=4096, help_text="the first message")


class ConversationOptionsQuerySerializer(serializers.Serializer):
    contact = serializers.UUIDField(required=False, allow_null=True, default=None)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)


class ConversationOptionOutputSerializer(serializers.Serializer):
    """A connection as a way to start a conversation: ``available``, or ``reason`` why not, or
    the contact's ticket already active on it (``active_ticket``)."""

    connection = serializers.UUIDField(source="connection.public_id")
    connection_name = serializers.CharField(source="connection.name")
    provider = serializers.CharField(source="connection.provider")
    available = serializers.BooleanField()
    reason = serializers.CharField()
    active_ticket = serializers.UUIDField(
        source="active_ticket.public_id", allow_null=True, default=None
    )


class TicketTransferInputSerializer(serializers.Serializer):
    queue = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    agent = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class TicketTagsSetInputSerializer(serializers.Serializer):
    tag_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=100
    )


class ContactMergeInputSerializer(serializers.Serializer):
    merged = serializers.UUIDField(help_text="public id of the contact folded into this one")


class TicketContactOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    phone = serializers.CharField()


class TicketContactDetailOutputSerializer(TicketContactOutputSerializer):
    email = serializers.CharField()
    avatar_url = serializers.CharField()
    is_blocked = serializers.BooleanField()
    is_group = serializers.BooleanField()


class TicketConnectionOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    provider = serializers.CharField()


class TicketQueueOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField()


class TicketUserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return str(user)


class TicketTagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField()


class TicketOutputSerializer(serializers.Serializer):
    """A row of the inbox."""

    public_id = serializers.UUIDField()
    protocol = serializers.CharField()
    status = serializers.CharField()
    contact = TicketContactOutputSerializer()
    connection = TicketConnectionOutputSerializer()
    queue = TicketQueueOutputSerializer(allow_null=True)
    assignee = TicketUserOutputSerializer(allow_null=True)
    unread_count = serializers.IntegerField()
    last_message_preview = serializers.CharField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    answered = serializers.BooleanField()
    is_outbound = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    tags = serializers.SerializerMethodField()

    @extend_schema_field(TicketTagOutputSerializer(many=True))
    def get_tags(self, ticket: Ticket) -> list[dict[str, Any]]:
        # Prefetched by the selector: .all() reads the cache, no query per row.
        return TicketTagOutputSerializer(ticket.contact.tags.all(), many=True).data  # type: ignore[return-value]


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    """Exactly ``TicketOutputSerializer(ticket).data``, built directly: the inbox list and the
    live events render dozens of rows per request, and the generic serializer machinery cost
    more than the query (bench/inbox.py). A test keeps the two identical."""
    # Prefetched by the selectors: .all() reads the cache, no query per row.
    tags = [{"id": t.pk, "name": t.name, "color": t.color} for t in ticket.contact.tags.all()]
    return _ticket_row(ticket, tags, output_zone())


def ticket_detail_row(
    ticket: Ticket, *, tags: list[dict[str, Any]], permissions: dict[str, bool]
) -> dict[str, Any]:
    """Exactly ``TicketDetailOutputSerializer(ticket, context={"permissions": …}).data`` with
    the contact's tags given as rows (``ticket_detail_and_tags_for_agent``): the serializer's
    fields, copied for every request, cost a quarter of a detail's CPU. A test keeps the two
    identical."""
    zone = output_zone()
    row = _ticket_row(ticket, tags, zone)
    contact, closed_by = ticket.contact, ticket.closed_by
    row["contact"] = {
        "public_id": str(contact.public_id),
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "avatar_url": contact.avatar_url,
        "is_blocked": contact.is_blocked,
        "is_group": contact.is_group,
    }
    row["accepted_at"] = datetime_out(ticket.accepted_at, zone)
    row["closed_at"] = datetime_out(ticket.closed_at, zone)
    row["closed_by"] = None if closed_by is None else {"id": closed_by.pk, "name": str(closed_by)}
    row["deleted"] = ticket.deleted_at is not None
    row["can"] = permissions
    return row


def _ticket_row(ticket: Ticket, tags: list[dict[str, Any]], zone: tzinfo | None) -> dict[str, Any]:
    contact, connection, queue, assignee = (
        ticket.contact,
        ticket.connection,
        ticket.queue,
        ticket.assignee,
    )
    return {
        "public_id": str(ticket.public_id),
        "protocol": ticket.protocol,
        "status": ticket.status,
        "contact": {
            "public_id": str(contact.public_id),
            "name": contact.name,
            "phone": contact.phone,
        },
        "connection": {
            "public_id": str(connection.public_id),
            "name": connection.name,
            "provider": connection.provider,
        },
        "queue": None
        if queue is None
        else {"id": queue.pk, "name": queue.name, "color": queue.color},
        "assignee": None if assignee is None else {"id": assignee.pk, "name": str(assignee)},
        "unread_count": ticket.unread_count,
        "last_message_preview": ticket.last_message_preview,
        "last_message_at": datetime_out(ticket.last_message_at, zone),
        "answered": ticket.answered,
        "is_outbound": ticket.is_outbound,
        "created_at": datetime_out(ticket.created_at, zone),
        "tags": tags,
    }


class TicketPermissionsOutputSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    transfer = serializers.BooleanField()
    return_to_queue = serializers.BooleanField()
    close = serializers.BooleanField()
    reopen = serializers.BooleanField()
    send_message = serializers.BooleanField()
    delete = serializers.BooleanField()
    restore = serializers.BooleanField()


class TicketDetailOutputSerializer(TicketOutputSerializer):
    """One ticket with its contact and what the caller may do on it."""

    contact = TicketContactDetailOutputSerializer()
    accepted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = TicketUserOutputSerializer(allow_null=True)
    deleted = serializers.SerializerMethodField()
    can = serializers.SerializerMethodField()

    def get_deleted(self, ticket: Ticket) -> bool:
        return ticket.deleted_at is not None

    @extend_schema_field(TicketPermissionsOutputSerializer)
    def get_can(self, ticket: Ticket) -> dict[str, bool]:
        permissions: dict[str, bool] = self.context["permissions"]
        return permissions


class TicketEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    actor = TicketUserOutputSerializer(allow_null=True)
    details = serializers.JSONField(source="data", help_text="kind-specific facts")
    created_at = serializers.DateTimeField()


class ContactMergeOutputSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


def ticket_row_from_values(
    values: Mapping[str, Any], *, zone: tzinfo | None = None
) -> dict[str, Any]:
    """``ticket_row`` of a ticket read as ``tickets.selectors.ticket_event_values`` (no model
    instances: live events read a ticket in one ``values()`` query). A test keeps it equal to
    ``TicketOutputSerializer``. ``zone``: ``core.datetimes.output_zone()`` read once by a caller
    writing many rows (read here when not given)."""
    if zone is None:
        zone = output_zone()
    queue_id, assignee_id = values["t_queue_id"], values["t_assignee_id"]
    return {
        "public_id": str(values["t_public_id"]),
        "protocol": values["t_protocol"],
        "status": values["t_status"],
        "contact": {
            "public_id": str(values["t_contact_public_id"]),
            "name": values["t_contact_name"],
            "phone": values["t_contact_phone"],
        },
        "connection": {
            "public_id": str(values["t_connection_public_id"]),
            "name": values["t_connection_name"],
            "provider": values["t_connection_provider"],
        },
        "queue": None
        if queue_id is None
        else {"id": queue_id, "name": values["t_queue_name"], "color": values["t_queue_color"]},
        "assignee": None
        if assignee_id is None
        else {
            "id": assignee_id,
            # str(User): its name, or its e-mail when it has none.
            "name": values["t_assignee_name"] or values["t_assignee_email"],
        },
        "unread_count": values["t_unread_count"],
        "last_message_preview": values["t_last_message_preview"],
        "last_message_at": datetime_out(values["t_last_message_at"], zone),
        "answered": values["t_answered"],
        "is_outbound": values["t_is_outbound"],
        "created_at": datetime_out(values["t_created_at"], zone),
        "tags": [{"id": t["id"], "name": t["name"], "color": t["color"]} for t in values["t_tags"]],
    }
