"""Business hours API: everyone reads the schedules (the inbox shows whether a queue is
open); admins replace the tenant's, give a queue its own, or take it away."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from accounts.roles import require_admin
from automation.api.business_hours_serializers import (
    BusinessHoursInputSerializer,
    BusinessHoursOutputSerializer,
)
from automation.models import BusinessHours
from automation.selectors.business_hours import (
    business_hours_get,
    business_hours_rows,
    schedule_for_queue,
)
from automation.services.business_hours import (
    HolidayInput,
    IntervalInput,
    business_hours_delete,
    business_hours_set,
)
from tenants.tenancy import current_tenant
from tickets.selectors import queue_get_for


def business_hours_row(
    row: BusinessHours | None,
    *,
    queue_id: int | None,
    rows: dict[int | None, BusinessHours] | None = None,
) -> dict[str, Any]:
    """A schedule as the API shows it (an unsaved tenant schedule reads as disabled)."""
    rows = business_hours_rows() if rows is None else rows
    schedule = schedule_for_queue(queue_id=queue_id, rows=rows)
    return {
        "queue_id": queue_id,
        "is_enabled": row.is_enabled if row else False,
        "out_of_hours_message": row.out_of_hours_message if row else "",
        "bot_stops_out_of_hours": row.bot_stops_out_of_hours if row else False,
        "time_zone": current_tenant().time_zone,
        "intervals": list(row.intervals.all()) if row else [],
        "holidays": list(row.holidays.all()) if row else [],
        "open_now": schedule is None or schedule.is_open(timezone.now()),
    }


def _save(request: AuthenticatedRequest, queue_id: int | None) -> BusinessHours:
    admin = require_admin(request.user)
    queue = queue_get_for(user=admin, pk=queue_id) if queue_id is not None else None
    data = BusinessHoursInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    return business_hours_set(
        by=admin,
        queue=queue,
        is_enabled=values["is_enabled"],
        out_of_hours_message=values["out_of_hours_message"],
        intervals=[IntervalInput(**interval) for interval in values["intervals"]],
        holidays=[HolidayInput(**holiday) for holiday in values["holidays"]],
        bot_stops_out_of_hours=values["bot_stops_out_of_hours"],
    )


class BusinessHoursApi(APIView):
    """GET: the tenant's schedule and every queue's own (any signed-in user). PUT: replace the
    tenant's (admins)."""

    @extend_schema(
        operation_id="business_hours_list",
        responses={200: BusinessHoursOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        rows = business_hours_rows()
        result = [business_hours_row(rows.get(None), queue_id=None, rows=rows)]
        result += [
            business_hours_row(row, queue_id=queue_id, rows=rows)
            for queue_id, row in sorted(rows.items(), key=lambda item: item[0] or 0)
            if queue_id is not None
        ]
        return Response(BusinessHoursOutputSerializer(result, many=True).data)

    @extend_schema(
        operation_id="business_hours_set",
        request=BusinessHoursInputSerializer,
        responses={200: BusinessHoursOutputSerializer},
    )
    def put(self, request: AuthenticatedRequest) -> Response:
        _save(request, None)
        row = business_hours_get(queue_id=None)
        return Response(BusinessHoursOutputSerializer(business_hours_row(row, queue_id=None)).data)


class QueueBusinessHoursApi(APIView):
    """A queue's own schedule: GET (any user who sees the queue), PUT (admins: give or replace
    it), DELETE (admins: the queue follows the tenant's again)."""

    @extend_schema(
        operation_id="business_hours_queue_get", responses={200: BusinessHoursOutputSerializer}
    )
    def get(self, request: AuthenticatedRequest, pk: int) -> Response:
        queue = queue_get_for(user=request.user, pk=pk)
        row = business_hours_get(queue_id=queue.pk)
        return Response(BusinessHoursOutputSerializer(business_hours_row(row, queue_id=pk)).data)

    @extend_schema(
        operation_id="business_hours_queue_set",
        request=BusinessHoursInputSerializer,
        responses={200: BusinessHoursOutputSerializer},
    )
    def put(self, request: AuthenticatedRequest, pk: int) -> Response:
        _save(request, pk)
        row = business_hours_get(queue_id=pk)
        return Response(BusinessHoursOutputSerializer(business_hours_row(row, queue_id=pk)).data)

    @extend_schema(operation_id="business_hours_queue_delete", responses={204: None})
    def delete(self, request: AuthenticatedRequest, pk: int) -> Response:
        admin = require_admin(request.user)
        business_hours_delete(by=admin, queue=queue_get_for(user=admin, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
