"""/reports/: the dashboard page and its CSV exports, over the hand-built attendances of
reports/tests/fixtures.py (8 to 11 March 2026, Sao Paulo)."""

from __future__ import annotations

import csv
import io
import zipfile
from xml.etree import ElementTree

import pytest

from accounts.tests.factories import AdminFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope

PERIOD = "period=custom&start=2026-03-10&end=2026-03-11"


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))


def test_an_admin_sees_the_tenants_figures(in_alpha, team, stories):
    client = signed_in_client(in_alpha, team["admin"])
    response = client.get(f"/reports/?{PERIOD}")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="card-attendances"' in page
    cards = response.context["report"].cards
    assert (cards.attendances, cards.handling.mean) == (6, 3450)
    # h:mm:ss: handling mean 3450 s, median 3300 s, p90 4860 s.
    assert "0:57:30" in page
    assert "0:55:00" in page
    assert "1:21:00" in page
    assert 'id="report-charts"' in page
    assert "vendor/chart.js-4.4.9/chart.umd.js" in page
    assert 'data-testid="nav-reports"' in page


def test_an_agent_sees_only_their_own_figures(in_alpha, team, stories):
    client = signed_in_client(in_alpha, team["a"])
    response = client.get(f"/reports/?{PERIOD}")
    assert response.status_code == 200
    report = response.context["report"]
    assert report.cards.attendances == 3
    assert [row.agent_id for row in report.agents] == [team["a"].pk]
    assert "agent" not in response.context["form"].fields
    # An agent id in the address changes nothing: the field does not exist for them.
    sneaky = client.get(f"/reports/?{PERIOD}&agent={team['b'].pk}")
    assert sneaky.context["report"].cards.attendances == 3


def test_filters_come_from_the_address(in_alpha, team, stories):
    client = signed_in_client(in_alpha, team["admin"])
    response = client.get(f"/reports/?{PERIOD}&queue={team['q2'].pk}&channel=webchat")
    assert response.context["report"].cards.attendances == 2


@pytest.mark.parametrize(
    "query",
    [
        "period=custom&start=2026-03-11&end=2026-03-10",
        "period=custom&start=2026-03-11",
        "period=custom&start=2020-01-01&end=2026-03-10",
        "period=forever",
        "period=7d&queue=999999",
        "period=7d&tag=abc",
    ],
)
def test_bad_input_is_a_400_with_the_reason_next_to_the_field(in_alpha, team, query):
    client = signed_in_client(in_alpha, team["admin"])
    response = client.get(f"/reports/?{query}")
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert "report" not in response.context


def test_without_a_period_the_last_seven_days_are_shown(in_alpha, team):
    client = signed_in_client(in_alpha, team["admin"])
    response = client.get("/reports/")
    assert response.status_code == 200
    assert response.context["report"].period.days == 7


def test_signed_out_visitors_are_sent_to_sign_in(client_alpha):
    response = client_alpha.get("/reports/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_each_table_downloads_as_csv(in_alpha, team, stories):
    client = signed_in_client(in_alpha, team["admin"])
    agents = client.get(f"/reports/export/agents.csv?{PERIOD}")
    assert agents.status_code == 200
    assert agents["Content-Type"] == "text/csv; charset=utf-8"
    assert "agents-2026-03-10-2026-03-11.csv" in agents["Content-Disposition"]
    rows = _csv(agents)
    assert len(rows[0]) == 8  # agent, taken, closed, handling mean/median/p90, pending, open
    assert rows[1][:5] == ["Ana", "5", "3", "3400", "3000"]
    daily = _csv(client.get(f"/reports/export/daily.csv?{PERIOD}"))
    assert daily[1:] == [["2026-03-10", "2"], ["2026-03-11", "4"]]
    queues = _csv(client.get(f"/reports/export/queues.csv?{PERIOD}"))
    assert [row[:4] for row in queues[1:]] == [["Q1", "4", "66.67", "4"], ["Q2", "2", "33.33", "0"]]
    assert client.get(f"/reports/export/secrets.csv?{PERIOD}").status_code == 404


def test_another_tenants_admin_sees_none_of_it(in_alpha, team, stories, beta):
    with tenant_scope(beta.tenant):
        theirs = AdminFactory()
    response = signed_in_client(beta, theirs).get(f"/reports/?{PERIOD}")
    report = response.context["report"]
    assert (report.cards.attendances, report.agents, report.queues) == (0, [], [])


def test_the_page_is_a_fixed_number_of_queries(in_alpha, team, stories, django_assert_num_queries):
    client = signed_in_client(in_alpha, team["admin"])
    counts = []
    for query in (PERIOD, "period=custom&start=2025-03-01&end=2026-03-31"):
        with django_assert_num_queries(17) as captured:  # 16 + whether a schedule exists
            assert client.get(f"/reports/?{query}").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def _xlsx_rows(content: bytes) -> list[list[str]]:
    """The cell texts of the workbook's one sheet, read back with the standard library."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "[Content_Types].xml" in archive.namelist()
        # Our own output, in a test.
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    data = sheet.find("m:sheetData", ns)
    assert data is not None
    return [
        ["".join(cell.itertext()) for cell in row.findall("m:c", ns)]
        for row in data.findall("m:row", ns)
    ]


def test_each_table_downloads_as_xlsx(in_alpha, team, stories):
    client = signed_in_client(in_alpha, team["admin"])
    response = client.get(f"/reports/export/queues.xlsx?{PERIOD}")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "queues-2026-03-10-2026-03-11.xlsx" in response["Content-Disposition"]
    rows = _xlsx_rows(response.content)
    assert [row[:4] for row in rows[1:]] == [["Q1", "4", "66.67", "4"], ["Q2", "2", "33.33", "0"]]
    daily = _xlsx_rows(client.get(f"/reports/export/daily.xlsx?{PERIOD}").content)
    assert daily[1:] == [["2026-03-10", "2"], ["2026-03-11", "4"]]
    assert client.get(f"/reports/export/secrets.xlsx?{PERIOD}").status_code == 404


def test_an_agents_export_holds_only_their_own_figures(in_alpha, team, stories):
    client = signed_in_client(in_alpha, team["a"])
    rows = _xlsx_rows(client.get(f"/reports/export/agents.xlsx?{PERIOD}").content)
    assert [row[0] for row in rows[1:]] == ["Ana"]
