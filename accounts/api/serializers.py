"""Input and output shapes of the accounts API (no logic: services decide)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from accounts.presence import (
    AWAY,
    ONLINE,
    presence_chosen_away_shown,
    presence_statuses_shown,
)


class TokenObtainInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="for users with two-factor sign-in: the authenticator's code or a recovery code",
    )


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenRefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class LogoutInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TenantOutputSerializer(serializers.Serializer):
    slug = serializers.CharField(source="schema_name")
    name = serializers.CharField()
    time_zone = serializers.CharField()
    language = serializers.CharField()


class MeStatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[(ONLINE, "available"), (AWAY, "away")],
        help_text="online: available for tickets; away: out of automatic distribution",
    )


class MeOutputSerializer(serializers.ModelSerializer[User]):
    tenant = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(
        help_text="presence: online, away or offline (no live socket)"
    )
    chosen_away = serializers.SerializerMethodField(
        help_text='the user set themselves "away" (PUT me/status/)'
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "name",
            "role",
            "language",
            "is_active",
            "last_seen_at",
            "status",
            "chosen_away",
            "tenant",
        ]
        read_only_fields = fields

    def get_status(self, user: User) -> str:
        return presence_statuses_shown([user.pk])[user.pk]

    def get_chosen_away(self, user: User) -> bool:
        return presence_chosen_away_shown(user.pk)

    def get_tenant(self, user: User) -> dict[str, str]:
        return dict(TenantOutputSerializer(self.context["tenant"]).data)
