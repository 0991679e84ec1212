"""The reports API (/api/v1/reports/...): the dashboard's figures as JSON, for the same period,
filters and visibility (admins the tenant's, agents their own). Each endpoint runs a fixed
number of queries whatever the period."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.requests import AuthenticatedRequest
from reports.api.serializers import (
    AgentTableOutputSerializer,
    QueueTableOutputSerializer,
    ReportQueryInputSerializer,
    SeriesOutputSerializer,
    SummaryOutputSerializer,
    period_data,
)
from reports.selectors import (
    Period,
    ReportFilters,
    attendances_for,
    backlog_now,
    period_resolve,
    report_agents,
    report_cards,
    report_channels,
    report_daily,
    report_local_hours,
    report_queues,
    report_week_hours,
    taken_events_for,
)
from tenants.tenancy import current_tenant


def _query(request: AuthenticatedRequest) -> tuple[Period, ReportFilters, bool]:
    """The period, the filters and whether the time figures are in business hours."""
    data = ReportQueryInputSerializer(data=request.query_params)
    data.is_valid(raise_exception=True)
    values = data.validated_data
    zone = ZoneInfo(current_tenant().time_zone)
    period = period_resolve(
        preset=values["period"],
        zone=zone,
        today=timezone.now().astimezone(zone).date(),
        first=values.get("start"),
        last=values.get("end"),
    )

    def one(name: str) -> tuple[Any, ...]:
        return (values[name],) if name in values else ()

    filters = ReportFilters(
        queue_ids=one("queue"),
        agent_ids=one("agent"),
        providers=one("channel"),
        connection_ids=one("connection"),
        tag_ids=one("tag"),
    )
    return period, filters, values["time"] == "business"


def _clock(business: bool) -> str:
    return "business" if business else "calendar"


_PARAMETERS = [ReportQueryInputSerializer]


class ReportSummaryApi(APIView):
    """The cards: counts and time figures of the period and of the period just before."""

    @extend_schema(
        operation_id="reports_summary",
        parameters=_PARAMETERS,
        responses={200: SummaryOutputSerializer},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        period, filters, business = _query(request)
        user = request.user
        rows = attendances_for(user=user, filters=filters)
        narrowed = not user.is_admin or filters.narrows
        current, previous = report_cards(
            rows=rows, period=period, narrowed=narrowed, business=business
        )
        body = {
            "period": period_data(period),
            "time": _clock(business),
            "current": {**asdict(current), "reopen_rate": current.reopen_rate},
            "previous": {**asdict(previous), "reopen_rate": previous.reopen_rate},
        }
        return Response(SummaryOutputSerializer(body).data)


class ReportSeriesApi(APIView):
    """Attendances per day (zero-filled), per hour of the week and per channel."""

    @extend_schema(
        operation_id="reports_series",
        parameters=_PARAMETERS,
        responses={200: SeriesOutputSerializer},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        period, filters, _business = _query(request)
        rows = attendances_for(user=request.user, filters=filters)
        hours = report_local_hours(rows=rows, period=period)
        daily = report_daily(hours=hours, period=period)
        body = {
            "period": period_data(period),
            "daily": [{"date": day, "attendances": n} for day, n in daily],
            "week_hours": report_week_hours(hours=hours, period=period),
            "channels": [asdict(share) for share in report_channels(rows=rows, period=period)],
        }
        return Response(SeriesOutputSerializer(body).data)


class ReportQueuesApi(APIView):
    """Per queue: attendances and share, closed, wait and handling times, backlog now."""

    @extend_schema(
        operation_id="reports_queues",
        parameters=_PARAMETERS,
        responses={200: QueueTableOutputSerializer},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        period, filters, business = _query(request)
        user = request.user
        rows = attendances_for(user=user, filters=filters)
        lines = report_queues(rows=rows, period=period, now=backlog_now(rows), business=business)
        body = {
            "period": period_data(period),
            "time": _clock(business),
            "results": [asdict(line) for line in lines],
        }
        return Response(QueueTableOutputSerializer(body).data)


class ReportAgentsApi(APIView):
    """Per agent: attendances taken, closed, handling time, backlog now."""

    @extend_schema(
        operation_id="reports_agents",
        parameters=_PARAMETERS,
        responses={200: AgentTableOutputSerializer},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        period, filters, business = _query(request)
        user = request.user
        rows = attendances_for(user=user, filters=filters)
        lines = report_agents(
            rows=rows,
            period=period,
            taken=taken_events_for(user=user, filters=filters),
            now=backlog_now(rows),
            business=business,
        )
        body = {
            "period": period_data(period),
            "time": _clock(business),
            "results": [asdict(line) for line in lines],
        }
        return Response(AgentTableOutputSerializer(body).data)
