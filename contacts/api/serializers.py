"""Input and output shapes of the contacts API (no logic: services decide)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User
from contacts.models import Contact, ContactAttributeDefinition, ContactIdentity, ContactImport, Tag

# ----------------------------------------------------------------------------- tags


class TagOutputSerializer(serializers.ModelSerializer[Tag]):
    class Meta:
        model = Tag
        fields = ["id", "name", "color", "is_active"]
        read_only_fields = fields


class TagListFilterSerializer(serializers.Serializer):
    active = serializers.BooleanField(required=False, default=False)


class TagCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    color = serializers.CharField(max_length=7, required=False, default="#5b6478")
    is_active = serializers.BooleanField(required=False, default=True)


class TagUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    color = serializers.CharField(max_length=7, required=False)
    is_active = serializers.BooleanField(required=False)


# ----------------------------------------------------------------------------- contacts


class ContactOwnerOutputSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "name", "email"]
        read_only_fields = fields


class ContactIdentityOutputSerializer(serializers.ModelSerializer[ContactIdentity]):
    class Meta:
        model = ContactIdentity
        fields = ["provider", "external_id", "display_name"]
        read_only_fields = fields


class ContactOutputSerializer(serializers.ModelSerializer[Contact]):
    tags = TagOutputSerializer(many=True, read_only=True)
    owners = ContactOwnerOutputSerializer(many=True, read_only=True)
    identities = ContactIdentityOutputSerializer(many=True, read_only=True)
    custom_attributes = serializers.DictField(read_only=True)
    # Plain strings, not e-mail/URI formats: both are "" when unknown.
    email = serializers.CharField(read_only=True)
    avatar_url = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = [
            "public_id",
            "name",
            "phone",
            "email",
            "avatar_url",
            "notes",
            "custom_attributes",
            "is_blocked",
            "is_group",
            "tags",
            "owners",
            "identities",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ContactListFilterSerializer(serializers.Serializer):
    search = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    tag_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=50
    )


class ContactCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, default="", allow_blank=True)
    avatar_url = serializers.CharField(
        max_length=1000, required=False, default="", allow_blank=True
    )
    notes = serializers.CharField(
        max_length=10_000, required=False, default="", allow_blank=True, trim_whitespace=False
    )
    custom_attributes = serializers.DictField(required=False, default=dict)
    tag_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=100
    )
    owner_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=100
    )
    is_blocked = serializers.BooleanField(required=False, default=False)


class ContactUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    avatar_url = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    notes = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, trim_whitespace=False
    )
    custom_attributes = serializers.DictField(required=False)
    is_blocked = serializers.BooleanField(required=False)


class ContactTagsSetInputSerializer(serializers.Serializer):
    tag_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=100
    )


class ContactOwnersSetInputSerializer(serializers.Serializer):
    owner_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), allow_empty=True, max_length=100
    )


# ----------------------------------------------------------------------------- attributes


class ContactAttributeDefinitionOutputSerializer(
    serializers.ModelSerializer[ContactAttributeDefinition]
):
    class Meta:
        model = ContactAttributeDefinition
        fields = ["id", "key", "label", "type", "choices"]
        read_only_fields = fields


class ContactAttributeDefinitionCreateInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=50)
    label = serializers.CharField(max_length=80)  # type: ignore[assignment]
    type = serializers.ChoiceField(choices=ContactAttributeDefinition.Type.choices)
    choices = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list, max_length=100
    )


class ContactAttributeDefinitionUpdateInputSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=80, required=False)  # type: ignore[assignment]
    choices = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100
    )


# ----------------------------------------------------------------------------- imports


class ContactImportStartInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    duplicates = serializers.ChoiceField(
        choices=["skip", "update"],
        default="update",
        help_text="Rows whose phone belongs to a contact: skip them, or update the contact.",
    )
    tag_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=50
    )


class ContactImportErrorOutputSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    field = serializers.CharField()
    message = serializers.CharField()


class ContactImportOutputSerializer(serializers.ModelSerializer[ContactImport]):
    created = serializers.IntegerField(source="created_count")
    updated = serializers.IntegerField(source="updated_count")
    skipped = serializers.IntegerField(source="skipped_count")
    errors = ContactImportErrorOutputSerializer(many=True)  # type: ignore[assignment]
    tags = serializers.SerializerMethodField()

    class Meta:
        model = ContactImport
        fields = [
            "public_id",
            "original_name",
            "status",
            "duplicates",
            "total_rows",
            "processed_rows",
            "created",
            "updated",
            "skipped",
            "errors",
            "tags",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_tags(self, contact_import: ContactImport) -> list[int]:
        return [tag.pk for tag in contact_import.tags.all()]
