"""Campaigns API (admins only): CRUD of drafts, their audience (filters, a contact selection,
a CSV), an audience preview count, start/pause/resume/cancel, the recipients with filters and
the report as CSV."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpResponseBase, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from campaigns import services
from campaigns.api.serializers import (
    AudienceCountSerializer,
    AudienceFileInputSerializer,
    AudienceInputSerializer,
    CampaignCountsSerializer,
    CampaignInputSerializer,
    CampaignMediaInputSerializer,
    CampaignMediaOutputSerializer,
    CampaignOutputSerializer,
    CampaignRecipientOutputSerializer,
    CsvRowOutputSerializer,
)
from campaigns.exports import campaign_report_lines
from campaigns.models import Campaign, CampaignRecipient
from campaigns.selectors import (
    audience_contacts,
    campaign_counts,
    campaign_get,
    campaign_list,
    campaign_media_get,
    campaign_recipients,
    campaign_template_get,
)
from channels_integrations.selectors import connection_get
from core.exceptions import FieldValidationError
from core.pagination import KeysetPagination
from tickets.media import file_response

# Shown inline by the browser (previews); documents are downloaded.
_INLINE_KINDS = frozenset({"image", "audio", "video"})


class CampaignPagination(KeysetPagination):
    ordering = ("-created_at", "-id")


class RecipientPagination(KeysetPagination):
    page_size = 100
    max_page_size = 500
    ordering = ("created_at", "id")


def _output(campaign: Campaign) -> dict[str, Any]:
    counts = {campaign.pk: campaign_counts(campaign=campaign)}
    return dict(CampaignOutputSerializer(campaign, context={"counts": counts}).data)


def _input(request: AuthenticatedRequest) -> services.CampaignInput:
    data = CampaignInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    values["connection"] = connection_get(public_id=values["connection"])
    if values["template"] is not None:
        values["template"] = campaign_template_get(public_id=values["template"])
    return services.CampaignInput(**values)


def _audience(request: AuthenticatedRequest) -> Any:
    data = AudienceInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    services.audience_attributes_check(values["attributes"])
    return audience_contacts(
        tag_ids=values["tag_ids"],
        attributes=values["attributes"],
        contact_ids=values["contact_ids"],
    )


class CampaignListApi(APIView):
    """GET: the tenant's campaigns, newest first. POST: a draft campaign."""

    pagination_class = CampaignPagination

    @extend_schema(
        operation_id="campaigns_list",
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses={200: CampaignOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        paginator = CampaignPagination()
        page = paginator.paginate_queryset(campaign_list(), request, view=self) or []
        counts = {campaign.pk: campaign_counts(campaign=campaign) for campaign in page}
        data = CampaignOutputSerializer(page, many=True, context={"counts": counts}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="campaigns_create",
        request=CampaignInputSerializer,
        responses={201: CampaignOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        admin = require_admin(request.user)
        campaign = services.campaign_create(by=admin, data=_input(request))
        return Response(_output(campaign), status=status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    """GET: one campaign with its counts. PATCH: change a draft (every field again). DELETE:
    a campaign that is not sending."""

    @extend_schema(operation_id="campaigns_get", responses={200: CampaignOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        return Response(_output(campaign_get(public_id=public_id)))

    @extend_schema(
        operation_id="campaigns_update",
        request=CampaignInputSerializer,
        responses={200: CampaignOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        campaign = campaign_get(public_id=public_id)
        campaign = services.campaign_update(campaign=campaign, data=_input(request))
        return Response(_output(campaign))

    @extend_schema(operation_id="campaigns_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        services.campaign_delete(campaign=campaign_get(public_id=public_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CampaignMediaUploadApi(APIView):
    """POST (multipart ``file``): store a file for a campaign message; its id then goes in a
    campaign's ``media``. A file over the size limit or of a type agents may not send is
    refused (400 ``media_too_large`` / ``media_type_not_allowed``) and nothing is stored."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="campaigns_media_upload",
        request={"multipart/form-data": CampaignMediaInputSerializer},
        responses={201: CampaignMediaOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        data = CampaignMediaInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        media = services.campaign_media_upload(file=data.validated_data["file"])
        return Response(CampaignMediaOutputSerializer(media).data, status=status.HTTP_201_CREATED)


class CampaignMediaDownloadApi(APIView):
    """GET: a campaign file of this tenant (images, audio and video inline)."""

    @extend_schema(
        operation_id="campaigns_media_download",
        responses={(200, "application/octet-stream"): bytes},
    )
    def get(self, request: AuthenticatedRequest, public_id: str) -> HttpResponseBase:
        require_admin(request.user)
        media = campaign_media_get(public_id=public_id)
        return file_response(
            media.file, filename=media.name, mime=media.mime, inline=media.kind in _INLINE_KINDS
        )


class AudiencePreviewApi(APIView):
    """POST: how many contacts an audience (tags, attributes, contacts) would reach."""

    @extend_schema(
        operation_id="campaigns_audience_preview",
        request=AudienceInputSerializer,
        responses={200: AudienceCountSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        return Response({"count": _audience(request).count()})


class CampaignAudienceApi(APIView):
    """POST: add an audience to a draft (the total of recipients comes back). DELETE: empty
    the draft's audience."""

    @extend_schema(
        operation_id="campaigns_audience_add",
        request=AudienceInputSerializer,
        responses={200: AudienceCountSerializer},
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        campaign = campaign_get(public_id=public_id)
        total = services.campaign_audience_add(campaign=campaign, contacts=_audience(request))
        return Response({"count": total})

    @extend_schema(
        operation_id="campaigns_audience_clear", responses={200: AudienceCountSerializer}
    )
    def delete(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        campaign = campaign_get(public_id=public_id)
        return Response({"count": services.campaign_audience_remove(campaign=campaign)})


class CampaignAudienceFileApi(APIView):
    """POST (multipart ``file``): add the contacts of a CSV to a draft, matching or creating
    them by E.164 phone; a report per row."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="campaigns_audience_file",
        request={"multipart/form-data": AudienceFileInputSerializer},
        responses={200: CsvRowOutputSerializer(many=True)},
    )
    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        campaign = campaign_get(public_id=public_id)
        data = AudienceFileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not campaign.is_editable:
            raise services.CampaignNotEditable(extra={"status": campaign.status})
        report = services.campaign_audience_import(
            campaign=campaign, data=data.validated_data["file"].read()
        )
        return Response(CsvRowOutputSerializer([asdict(r) for r in report], many=True).data)


class _CampaignActionApi(APIView):
    service = staticmethod(services.campaign_start)

    def post(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        campaign = type(self).service(campaign=campaign_get(public_id=public_id))
        return Response(_output(campaign))


@extend_schema_view(
    post=extend_schema(
        operation_id="campaigns_start", request=None, responses={200: CampaignOutputSerializer}
    )
)
class CampaignStartApi(_CampaignActionApi):
    """POST: start a draft (now, or at its start time)."""

    service = staticmethod(services.campaign_start)


@extend_schema_view(
    post=extend_schema(
        operation_id="campaigns_pause", request=None, responses={200: CampaignOutputSerializer}
    )
)
class CampaignPauseApi(_CampaignActionApi):
    """POST: pause a running campaign (takes effect before this answers)."""

    service = staticmethod(services.campaign_pause)


@extend_schema_view(
    post=extend_schema(
        operation_id="campaigns_resume", request=None, responses={200: CampaignOutputSerializer}
    )
)
class CampaignResumeApi(_CampaignActionApi):
    """POST: resume a paused campaign where it stopped, paced from now."""

    service = staticmethod(services.campaign_resume)


@extend_schema_view(
    post=extend_schema(
        operation_id="campaigns_cancel", request=None, responses={200: CampaignOutputSerializer}
    )
)
class CampaignCancelApi(_CampaignActionApi):
    """POST: cancel a running or paused campaign; nothing is sent after this answers."""

    service = staticmethod(services.campaign_cancel)


class CampaignRecipientListApi(APIView):
    """GET: a campaign's recipients in order, filtered by state, reply, name or phone."""

    pagination_class = RecipientPagination

    @extend_schema(
        operation_id="campaigns_recipients",
        parameters=[
            OpenApiParameter("state", str, enum=[s.value for s in CampaignRecipient.State]),
            OpenApiParameter("replied", bool),
            OpenApiParameter("search", str),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: CampaignRecipientOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        campaign = campaign_get(public_id=public_id)
        state = request.query_params.get("state", "")
        if state and state not in CampaignRecipient.State.values:
            raise FieldValidationError({"state": [f"Unknown state: {state}"]})
        replied_param = request.query_params.get("replied")
        replied = None if replied_param is None else replied_param.lower() in ("1", "true")
        rows = campaign_recipients(
            campaign=campaign,
            state=state,
            replied=replied,
            search=request.query_params.get("search", "").strip(),
        )
        paginator = RecipientPagination()
        page = paginator.paginate_queryset(rows, request, view=self) or []
        data = CampaignRecipientOutputSerializer(page, many=True).data
        return paginator.get_paginated_response(data)


class CampaignCountsApi(APIView):
    """GET: the campaign's counts per state (from its recipients)."""

    @extend_schema(operation_id="campaigns_counts", responses={200: CampaignCountsSerializer})
    def get(self, request: AuthenticatedRequest, public_id: str) -> Response:
        require_admin(request.user)
        return Response(campaign_counts(campaign=campaign_get(public_id=public_id)))


class CampaignReportApi(APIView):
    """GET: the campaign's report as CSV (one line per recipient)."""

    @extend_schema(operation_id="campaigns_report", responses={(200, "text/csv"): bytes})
    def get(self, request: AuthenticatedRequest, public_id: str) -> StreamingHttpResponse:
        require_admin(request.user)
        campaign = campaign_get(public_id=public_id)
        response = StreamingHttpResponse(
            campaign_report_lines(campaign=campaign), content_type="text/csv; charset=utf-8"
        )
        filename = f"campaign-{campaign.public_id}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
