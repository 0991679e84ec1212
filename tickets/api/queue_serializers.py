"""Input and output shapes of the queues API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.models import Queue


class QueueCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    color = serializers.CharField(max_length=7, required=False)
    greeting_message = serializers.CharField(
        max_length=4096, required=False, allow_blank=True, default=""
    )
    is_active = serializers.BooleanField(required=False, default=True)
    distribution = serializers.ChoiceField(
        choices=Queue.Distribution.choices, required=False, default=Queue.Distribution.NONE
    )
    agent_capacity = serializers.IntegerField(
        min_value=1, max_value=500, required=False, allow_null=True, default=None
    )


class QueueUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    color = serializers.CharField(max_length=7, required=False)
    greeting_message = serializers.CharField(max_length=4096, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    distribution = serializers.ChoiceField(choices=Queue.Distribution.choices, required=False)
    agent_capacity = serializers.IntegerField(
        min_value=1, max_value=500, required=False, allow_null=True
    )


class QueueMembersInputSerializer(serializers.Serializer):
    agent_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=1000, allow_empty=True
    )


class QueueDeleteInputSerializer(serializers.Serializer):
    move_to = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="queue that receives the deleted queue's tickets (required when it has any)",
    )


class QueueDeleteOutputSerializer(serializers.Serializer):
    moved_tickets = serializers.IntegerField()


class QueueOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField()
    greeting_message = serializers.CharField()
    is_active = serializers.BooleanField()
    distribution = serializers.CharField(
        help_text="how waiting tickets reach online agents: none, round_robin, least_busy, capacity"
    )
    agent_capacity = serializers.IntegerField(
        allow_null=True, help_text="most pending or open tickets per agent (null: no limit)"
    )
    member_ids = serializers.SerializerMethodField(help_text="active agents of the queue")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_member_ids(self, queue: Queue) -> list[int]:
        # Reads the prefetched active members (tickets.selectors.queues.queues_for).
        return sorted(member.pk for member in queue.members.all())
