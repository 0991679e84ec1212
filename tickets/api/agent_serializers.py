"""Input and output shapes of the users (agents) management API."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from accounts.presence import presence_statuses_shown


def _status_of(serializer: serializers.Serializer, user: User) -> str:
    """The statuses a list read at once (``context["statuses"]``), else this user's."""
    statuses = serializer.context.get("statuses") or {}
    return statuses.get(user.pk) or presence_statuses_shown([user.pk])[user.pk]


class UserCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    role = serializers.ChoiceField(choices=User.Role.choices, default=User.Role.AGENT)
    queue_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=1000, required=False, default=list
    )


class UserUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    role = serializers.ChoiceField(choices=User.Role.choices, required=False)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)
    queue_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), max_length=1000, required=False
    )


class UserListQuerySerializer(serializers.Serializer):
    is_active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="admins only: filter by state"
    )


class UserOutputSerializer(serializers.Serializer):
    """What admins see of a user (never the password hash or tokens)."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.CharField()
    language = serializers.CharField()
    is_active = serializers.BooleanField()
    last_seen_at = serializers.DateTimeField(allow_null=True)
    queue_ids = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text="presence: online, away or offline")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_status(self, user: User) -> str:
        return _status_of(self, user)

    def get_queue_ids(self, user: User) -> list[int]:
        # Reads the prefetched queues (tickets.selectors.agents.users_for_admin).
        return sorted(queue.pk for queue in user.queues.all())


class UserPublicOutputSerializer(serializers.Serializer):
    """What any agent sees of an active colleague: enough to pick a transfer target."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    status = serializers.SerializerMethodField(help_text="presence: online, away or offline")

    def get_status(self, user: User) -> str:
        return _status_of(self, user)
