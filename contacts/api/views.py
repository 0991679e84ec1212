"""Integrator API of contacts, tags, custom attributes, imports and the export: one view per
operation; selectors read (with the wallet visibility rule), services write."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from contacts import selectors, services
from contacts.api.serializers import (
    ContactAttributeDefinitionCreateInputSerializer,
    ContactAttributeDefinitionOutputSerializer,
    ContactAttributeDefinitionUpdateInputSerializer,
    ContactCreateInputSerializer,
    ContactImportOutputSerializer,
    ContactImportStartInputSerializer,
    ContactListFilterSerializer,
    ContactOutputSerializer,
    ContactOwnersSetInputSerializer,
    ContactTagsSetInputSerializer,
    ContactUpdateInputSerializer,
    TagCreateInputSerializer,
    TagListFilterSerializer,
    TagOutputSerializer,
    TagUpdateInputSerializer,
)
from contacts.exports import contact_export_lines, contact_export_response
from contacts.models import Contact
from core.pagination import KeysetPagination


def _contact_output(contact: Contact) -> dict[str, Any]:
    """A contact as the API shows it. Setting tags or owners drops the prefetched ones, so the
    output after a change is always current."""
    return dict(ContactOutputSerializer(contact).data)


class ContactPagination(KeysetPagination):
    ordering = ("-created_at", "-id")


# ----------------------------------------------------------------------------- contacts


class ContactListApi(APIView):
    """GET: the contacts the caller may see (agents: their wallet and contacts without one),
    newest first. POST: create a contact (phone normalised to E.164, unique)."""

    # Documents the list as paginated ({next, previous, results}) in the OpenAPI schema.
    pagination_class = ContactPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Name, phone digits or e-mail."),
            OpenApiParameter(
                "tag_ids", int, many=True, description="Contacts having any of these tags."
            ),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: ContactOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = ContactListFilterSerializer(
            data={
                "search": request.query_params.get("search", ""),
                "tag_ids": request.query_params.getlist("tag_ids"),
            }
        )
        filters.is_valid(raise_exception=True)
        contacts = selectors.contact_list_for_user(user=request.user, **filters.validated_data)
        paginator = ContactPagination()
        page = paginator.paginate_queryset(contacts, request, view=self) or []
        return paginator.get_paginated_response(ContactOutputSerializer(page, many=True).data)

    @extend_schema(request=ContactCreateInputSerializer, responses={201: ContactOutputSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = ContactCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.contact_create(**data.validated_data)
        return Response(_contact_output(contact), status=status.HTTP_201_CREATED)


class ContactDetailApi(APIView):
    """GET: one contact with its tags, wallet owners and channel identities. PATCH: change some
    fields (absent ones are kept). DELETE: a contact that never had a ticket (admins only)."""

    @extend_schema(responses={200: ContactOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        contact = selectors.contact_get_for_user(user=request.user, public_id=public_id)
        return Response(_contact_output(contact))

    @extend_schema(request=ContactUpdateInputSerializer, responses={200: ContactOutputSerializer})
    def patch(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        contact = selectors.contact_get_for_user(user=request.user, public_id=public_id)
        data = ContactUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contact_update(contact=contact, **data.validated_data)
        return Response(_contact_output(contact))

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        user = require_admin(request.user)
        contact = selectors.contact_get_for_user(user=user, public_id=public_id)
        services.contact_delete(contact=contact)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContactBlockApi(APIView):
    """Block a contact."""

    @extend_schema(request=None, responses={200: ContactOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        contact = selectors.contact_get_for_user(user=request.user, public_id=public_id)
        services.contact_block(contact=contact)
        return Response(_contact_output(contact))


class ContactUnblockApi(APIView):
    """Unblock a contact."""

    @extend_schema(request=None, responses={200: ContactOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        contact = selectors.contact_get_for_user(user=request.user, public_id=public_id)
        services.contact_unblock(contact=contact)
        return Response(_contact_output(contact))


class ContactTagsSetApi(APIView):
    """Replace the tags of a contact."""

    @extend_schema(request=ContactTagsSetInputSerializer, responses={200: ContactOutputSerializer})
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        contact = selectors.contact_get_for_user(user=request.user, public_id=public_id)
        data = ContactTagsSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contact_tags_set(contact=contact, tag_ids=data.validated_data["tag_ids"])
        return Response(_contact_output(contact))


class ContactOwnersSetApi(APIView):
    """Replace the wallet owners of a contact."""

    @extend_schema(
        request=ContactOwnersSetInputSerializer, responses={200: ContactOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        user = request.user
        contact = selectors.contact_get_for_user(user=user, public_id=public_id)
        data = ContactOwnersSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.contact_owners_set(contact=contact, owner_ids=data.validated_data["owner_ids"])
        return Response(_contact_output(contact))


class CsvRenderer(BaseRenderer):
    """Lets clients ask for text/csv; error bodies are still written as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return b"" if data is None else json.dumps(data).encode()


class ContactExportApi(APIView):
    """The contacts the caller may see, as a CSV streamed to the client (never stored)."""

    renderer_classes = [JSONRenderer, CsvRenderer]

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request: AuthenticatedRequest) -> StreamingHttpResponse:
        lines = contact_export_lines(user=request.user, localized=False)
        return contact_export_response(lines)


# ----------------------------------------------------------------------------- imports


class ContactImportStartApi(APIView):
    """Upload a CSV (UTF-8, "," or ";", header nome/name and telefone/phone) to import."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ContactImportStartInputSerializer},
        responses={202: ContactImportOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = ContactImportStartInputSerializer(
            data={
                "file": request.FILES.get("file"),
                "tag_ids": request.POST.getlist("tag_ids"),
                "duplicates": request.POST.get("duplicates", "update"),
            }
        )
        data.is_valid(raise_exception=True)
        contact_import = services.contact_import_start(
            file=data.validated_data["file"],
            created_by=request.user,
            tag_ids=data.validated_data["tag_ids"],
            duplicates=data.validated_data["duplicates"],
        )
        return Response(
            ContactImportOutputSerializer(contact_import).data, status=status.HTTP_202_ACCEPTED
        )


class ContactImportDetailApi(APIView):
    """Progress and error report of an import (admins: any; agents: their own)."""

    @extend_schema(responses={200: ContactImportOutputSerializer})
    def get(self, request: AuthenticatedRequest, public_id: UUID) -> Response:
        contact_import = selectors.contact_import_get_for_user(
            user=request.user, public_id=public_id
        )
        return Response(ContactImportOutputSerializer(contact_import).data)


# ----------------------------------------------------------------------------- tags


class TagListApi(APIView):
    """GET: the tenant's tags by name (``active=true``: only active ones). POST: create a tag
    (admins only)."""

    @extend_schema(
        parameters=[OpenApiParameter("active", bool)],
        responses={200: TagOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = TagListFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tags = selectors.tag_list(active_only=filters.validated_data["active"])
        return Response(TagOutputSerializer(tags, many=True).data)

    @extend_schema(request=TagCreateInputSerializer, responses={201: TagOutputSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        data = TagCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag = services.tag_create(**data.validated_data)
        return Response(TagOutputSerializer(tag).data, status=status.HTTP_201_CREATED)


class TagDetailApi(APIView):
    """PATCH: change a tag. DELETE: delete it and remove it from its contacts (admins only)."""

    @extend_schema(request=TagUpdateInputSerializer, responses={200: TagOutputSerializer})
    def patch(self, request: AuthenticatedRequest, tag_id: int) -> Response:
        require_admin(request.user)
        tag = selectors.tag_get(tag_id=tag_id)
        data = TagUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tag = services.tag_update(tag=tag, **data.validated_data)
        return Response(TagOutputSerializer(tag).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, tag_id: int) -> Response:
        require_admin(request.user)
        services.tag_delete(tag=selectors.tag_get(tag_id=tag_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# ----------------------------------------------------------------------------- attributes


class ContactAttributeDefinitionListApi(APIView):
    """GET: the custom contact attributes the tenant defined. POST: define one (admins only)."""

    @extend_schema(responses={200: ContactAttributeDefinitionOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        definitions = selectors.contact_attribute_definition_list()
        return Response(ContactAttributeDefinitionOutputSerializer(definitions, many=True).data)

    @extend_schema(
        request=ContactAttributeDefinitionCreateInputSerializer,
        responses={201: ContactAttributeDefinitionOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        require_admin(request.user)
        data = ContactAttributeDefinitionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        definition = services.contact_attribute_definition_create(**data.validated_data)
        return Response(
            ContactAttributeDefinitionOutputSerializer(definition).data,
            status=status.HTTP_201_CREATED,
        )


class ContactAttributeDefinitionDetailApi(APIView):
    """PATCH: rename a custom attribute or change its choices. DELETE: delete it and its values
    on every contact (admins only)."""

    @extend_schema(
        request=ContactAttributeDefinitionUpdateInputSerializer,
        responses={200: ContactAttributeDefinitionOutputSerializer},
    )
    def patch(self, request: AuthenticatedRequest, definition_id: int) -> Response:
        require_admin(request.user)
        definition = selectors.contact_attribute_definition_get(definition_id=definition_id)
        data = ContactAttributeDefinitionUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        definition = services.contact_attribute_definition_update(
            definition=definition, **data.validated_data
        )
        return Response(ContactAttributeDefinitionOutputSerializer(definition).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, definition_id: int) -> Response:
        require_admin(request.user)
        definition = selectors.contact_attribute_definition_get(definition_id=definition_id)
        services.contact_attribute_definition_delete(definition=definition)
        return Response(status=status.HTTP_204_NO_CONTENT)
