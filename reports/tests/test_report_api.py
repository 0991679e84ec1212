"""/api/v1/reports/...: the same figures as the dashboard, as JSON, over the hand-built
attendances of fixtures.py (figures worked out in test_figures.py)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory
from automation.tests.factories import WEEKDAYS, business_hours_create
from conftest import sign_in_api
from reports.selectors import DURATIONS
from reports.services import attendances_refresh
from tenants.tenancy import tenant_scope

PERIOD = {"period": "custom", "start": "2026-03-10", "end": "2026-03-11"}


@pytest.fixture
def admin_api(api_alpha, team):
    return sign_in_api(api_alpha, team["admin"].email)


def test_the_summary(admin_api, stories):
    body = admin_api.get("/api/v1/reports/summary/", PERIOD).json()
    assert body["period"] == {
        "first": "2026-03-10",
        "last": "2026-03-11",
        "time_zone": "America/Sao_Paulo",
        "previous_first": "2026-03-08",
        "previous_last": "2026-03-09",
    }
    current = body["current"]
    assert (current["attendances"], current["active"], current["receptive"]) == (6, 1, 5)
    assert current["reopen_rate"] == 16.7
    assert current["handling"] == {"count": 4, "mean": 3450.0, "median": 3300.0, "p90": 4860.0}
    assert current["bot"] == {"count": 1, "mean": 300.0, "median": 300.0, "p90": 300.0}
    assert body["previous"]["attendances"] == 2


def test_the_time_figures_in_business_hours(admin_api, api_beta, beta, team, stories):
    # Monday to Friday 08:00-12:00 and 13:00-18:00; figures worked out in
    # test_business_figures.py.
    business_hours_create(intervals=WEEKDAYS)
    attendances_refresh()
    query = {**PERIOD, "time": "business"}
    body = admin_api.get("/api/v1/reports/summary/", query).json()
    assert body["time"] == "business"
    assert body["current"]["handling"] == {
        "count": 4,
        "mean": 2250.0,
        "median": 1800.0,
        "p90": 4860.0,
    }
    assert body["current"]["wait"]["mean"] == 900.0
    queues = admin_api.get("/api/v1/reports/queues/", query).json()
    q1 = next(line for line in queues["results"] if line["queue_id"] == team["q1"].pk)
    assert (queues["time"], q1["handling"]["mean"]) == ("business", 2250.0)
    agents = admin_api.get("/api/v1/reports/agents/", query).json()
    ana = next(line for line in agents["results"] if line["agent_id"] == team["a"].pk)
    assert ana["handling"]["mean"] == 1800.0
    # Calendar time stays the default.
    body = admin_api.get("/api/v1/reports/summary/", PERIOD).json()
    assert (body["time"], body["current"]["handling"]["mean"]) == ("calendar", 3450.0)
    # Another tenant: nothing of alpha's.
    with tenant_scope(beta.tenant):
        admin = AdminFactory()
    theirs = sign_in_api(api_beta, admin.email).get("/api/v1/reports/summary/", query).json()
    assert theirs["current"]["handling"]["count"] == 0


def test_the_series(admin_api, stories):
    body = admin_api.get("/api/v1/reports/series/", PERIOD).json()
    assert body["daily"] == [
        {"date": "2026-03-10", "attendances": 2},
        {"date": "2026-03-11", "attendances": 4},
    ]
    assert body["week_hours"][1][23] == 1  # T1, Tuesday 23h in Sao Paulo
    assert [(c["key"], c["count"], c["percent"]) for c in body["channels"]] == [
        ("telegram", 4, 66.67),
        ("webchat", 2, 33.33),
    ]


def test_the_queue_and_agent_tables(admin_api, team, stories):
    queues = admin_api.get("/api/v1/reports/queues/", PERIOD).json()["results"]
    assert [(q["name"], q["attendances"], q["closed"]) for q in queues] == [
        ("Q1", 4, 4),
        ("Q2", 2, 0),
    ]
    agents = {
        row["agent_id"]: row
        for row in admin_api.get("/api/v1/reports/agents/", PERIOD).json()["results"]
    }
    ana = agents[team["a"].pk]
    assert (ana["taken"], ana["closed"], ana["handling"]["mean"]) == (5, 3, 3400.0)


def test_an_agent_gets_their_own_figures(api_alpha, team, stories):
    api = sign_in_api(api_alpha, team["b"].email)
    assert api.get("/api/v1/reports/summary/", PERIOD).json()["current"]["attendances"] == 2
    agents = api.get("/api/v1/reports/agents/", PERIOD).json()["results"]
    assert [row["agent_id"] for row in agents] == [team["b"].pk]
    # Asking for another agent's figures gives nothing of theirs.
    other = api.get("/api/v1/reports/summary/", {**PERIOD, "agent": team["a"].pk}).json()
    assert other["current"]["attendances"] == 0


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"period": "custom", "start": "2026-03-11", "end": "2026-03-10"}, "invalid_period"),
        ({"period": "custom"}, "invalid_period"),
        ({"period": "custom", "start": "2024-01-01", "end": "2026-01-01"}, "period_too_long"),
        ({"period": "decade"}, "validation_error"),
        ({"period": "7d", "queue": "x"}, "validation_error"),
        ({"period": "custom", "start": "2026-02-30", "end": "2026-03-01"}, "validation_error"),
        ({"period": "7d", "time": "sideways"}, "validation_error"),
    ],
)
def test_bad_queries_are_400_with_a_code(admin_api, query, code):
    for name in ("summary", "series", "queues", "agents"):
        response = admin_api.get(f"/api/v1/reports/{name}/", query)
        assert response.status_code == 400
        assert response.json()["code"] == code


def test_anonymous_callers_are_refused(api_alpha):
    response = api_alpha.get("/api/v1/reports/summary/")
    assert response.status_code == 401


def test_another_tenant_sees_none_of_it(api_beta, beta, stories):
    with tenant_scope(beta.tenant):
        admin = AdminFactory()
    api = sign_in_api(api_beta, admin.email)
    assert api.get("/api/v1/reports/summary/", PERIOD).json()["current"]["attendances"] == 0
    assert api.get("/api/v1/reports/agents/", PERIOD).json()["results"] == []


@pytest.mark.parametrize(
    ("name", "queries"), [("summary", 3), ("series", 2), ("queues", 2), ("agents", 4)]
)
def test_each_endpoint_is_a_fixed_number_of_queries(
    admin_api, stories, django_assert_num_queries, name, queries
):
    admin_api.get(f"/api/v1/reports/{name}/", PERIOD)  # warm: the caller's tenant settings
    year = {"period": "custom", "start": "2025-03-01", "end": "2026-03-31", "time": "business"}
    for query in (PERIOD, year):
        # + 1: the caller (JWT); the tenant from the host cache, its search_path already the
        # connection's (set by the warm-up request)
        with django_assert_num_queries(queries + 1):
            assert admin_api.get(f"/api/v1/reports/{name}/", query).status_code == 200


def test_the_schema_carries_each_definition(admin_api):
    schema = admin_api.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for name in ("summary", "series", "queues", "agents"):
        assert f"/api/v1/reports/{name}/" in paths
    text = str(schema)
    for figure in DURATIONS.values():
        assert figure.definition in text
