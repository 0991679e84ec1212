"""Shapes of the campaigns API (no logic: the services decide)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from campaigns.models import (
    MAX_PER_MINUTE,
    MAX_VARIANTS,
    Campaign,
    CampaignMedia,
    CampaignRecipient,
)


class CampaignInputSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField(max_length=120)
    connection = serializers.UUIDField(help_text="The connection's public id.")
    variants = serializers.ListField(
        child=serializers.CharField(max_length=4096, allow_blank=True),
        max_length=MAX_VARIANTS,
        required=False,
        default=list,
        help_text="Up to three texts; not used with a template.",
    )
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    per_minute = serializers.IntegerField(min_value=1, max_value=MAX_PER_MINUTE, default=20)
    window_start = serializers.TimeField(required=False, allow_null=True, default=None)
    window_end = serializers.TimeField(required=False, allow_null=True, default=None)
    window_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False, default=list
    )
    template = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="WhatsApp Cloud: the public id of an approved template of the connection.",
    )
    template_parameters = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        default=dict,
        help_text='Values by parameter key ("body.1"); they may use the campaign variables.',
    )
    media = serializers.ListField(
        child=serializers.UUIDField(allow_null=True),
        max_length=MAX_VARIANTS,
        required=False,
        default=list,
        help_text=(
            "Per variant, in the order of variants: the id of a file uploaded to "
            "/api/v1/campaigns/media/ (the variant's text is its caption), or null. With a "
            "template whose header is an image, video or document, the first file is the "
            "header's. Omitted: the campaign has no files (a change removes them)."
        ),
    )


class CampaignMediaInputSerializer(serializers.Serializer[dict[str, Any]]):
    file = serializers.FileField(
        help_text="An image, video, audio or document, with the limits of agents' files."
    )


class CampaignMediaOutputSerializer(serializers.ModelSerializer[CampaignMedia]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    variant = serializers.SerializerMethodField()

    class Meta:
        model = CampaignMedia
        fields = ["id", "variant", "name", "mime", "size", "kind"]
        read_only_fields = fields

    def get_variant(self, media: CampaignMedia) -> int | None:
        """The variant's position (0-based) once in a campaign, else null."""
        return media.variant if media.campaign_id else None


class AudienceInputSerializer(serializers.Serializer[dict[str, Any]]):
    """Contacts matching every part given: any of the tags, each attribute equal, one of the
    contacts (public ids chosen on the contacts page)."""

    tag_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    attributes = serializers.DictField(required=False, default=dict)
    contact_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, allow_null=True, default=None
    )


class AudienceFileInputSerializer(serializers.Serializer[dict[str, Any]]):
    file = serializers.FileField(help_text="CSV with the columns name and phone.")


class CampaignCountsSerializer(serializers.Serializer[dict[str, int]]):
    queued = serializers.IntegerField()
    sending = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    total = serializers.IntegerField()
    replied = serializers.IntegerField()
    opted_out = serializers.IntegerField()
    done = serializers.IntegerField()
    percent = serializers.IntegerField()


class CampaignOutputSerializer(serializers.ModelSerializer[Campaign]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    connection = serializers.UUIDField(source="connection.public_id", read_only=True)
    template = serializers.UUIDField(source="template.public_id", read_only=True, allow_null=True)
    media = CampaignMediaOutputSerializer(many=True, read_only=True)
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "connection",
            "status",
            "variants",
            "template",
            "template_parameters",
            "media",
            "scheduled_at",
            "per_minute",
            "window_start",
            "window_end",
            "window_days",
            "started_at",
            "finished_at",
            "created_at",
            "counts",
        ]
        read_only_fields = fields

    def get_counts(self, campaign: Campaign) -> dict[str, int] | None:
        counts: dict[int, dict[str, int]] = self.context.get("counts", {})
        return counts.get(campaign.pk)


class CampaignRecipientOutputSerializer(serializers.ModelSerializer[CampaignRecipient]):
    contact = serializers.UUIDField(source="contact.public_id", read_only=True)
    contact_name = serializers.CharField(source="contact.name", read_only=True)
    contact_phone = serializers.CharField(source="contact.phone", read_only=True)

    class Meta:
        model = CampaignRecipient
        fields = [
            "id",
            "contact",
            "contact_name",
            "contact_phone",
            "state",
            "variant",
            "due_at",
            "sent_at",
            "replied_at",
            "error_code",
            "error_detail",
        ]
        read_only_fields = fields


class AudienceCountSerializer(serializers.Serializer[dict[str, int]]):
    count = serializers.IntegerField()


class CsvRowOutputSerializer(serializers.Serializer[Any]):
    row = serializers.IntegerField()
    phone = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["created", "matched", "error"])
    detail = serializers.CharField()
