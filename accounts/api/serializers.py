"""Input and output shapes of the accounts API (no logic: services decide)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User


class TokenObtainInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


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


class MeOutputSerializer(serializers.ModelSerializer[User]):
    tenant = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "name", "role", "language", "is_active", "last_seen_at", "tenant"]
        read_only_fields = fields

    def get_tenant(self, user: User) -> dict[str, str]:
        return dict(TenantOutputSerializer(self.context["tenant"]).data)
