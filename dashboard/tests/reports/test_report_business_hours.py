"""/reports/ in business hours: the "time counted" choice appears only when the tenant has an
enabled schedule, and switches every time figure (cards, tables, exports) to business hours.
The schedule is Monday to Friday 08:00-12:00 and 13:00-18:00 (Sao Paulo); the figures are
worked out in reports/tests/test_business_figures.py."""

from __future__ import annotations

import csv
import io

from accounts.tests.factories import AdminFactory
from automation.tests.factories import WEEKDAYS, business_hours_create
from conftest import signed_in_client
from reports.services import attendances_refresh
from tenants.tenancy import tenant_scope

PERIOD = "period=custom&start=2026-03-10&end=2026-03-11"


def test_without_a_schedule_there_is_no_choice(in_alpha, team, stories):
    # A disabled schedule is no schedule.
    business_hours_create(intervals=WEEKDAYS, is_enabled=False)
    client = signed_in_client(in_alpha, team["admin"])
    response = client.get(f"/reports/?{PERIOD}&time=business")
    assert response.status_code == 200
    assert "time" not in response.context["form"].fields
    assert 'name="time"' not in response.content.decode()
    # The address cannot ask for it either: calendar time.
    assert response.context["report"].business is False
    assert response.context["report"].cards.handling.mean == 3450


def test_with_a_schedule_the_page_switches_to_business_hours(in_alpha, beta, team, stories):
    business_hours_create(intervals=WEEKDAYS)
    attendances_refresh()
    client = signed_in_client(in_alpha, team["admin"])
    calendar = client.get(f"/reports/?{PERIOD}")
    page = calendar.content.decode()
    assert 'name="time"' in page
    assert '<label for="id_time">' in page
    assert calendar.context["report"].cards.handling.mean == 3450
    assert 'data-testid="report-business-note"' not in page

    business = client.get(f"/reports/?{PERIOD}&time=business")
    assert business.status_code == 200
    report = business.context["report"]
    assert report.business is True
    # Handling: T1 0, T3 3600, T4 5400, T8 0 -> mean 2250 s (0:37:30), median 1800 (0:30:00).
    assert (report.cards.handling.mean, report.cards.handling.median) == (2250, 1800)
    page = business.content.decode()
    assert "0:37:30" in page
    assert 'data-testid="report-business-note"' in page
    # The queue table's export follows the choice: Q1's handling mean is 2250 s there too.
    export = client.get(f"/reports/export/queues.csv?{PERIOD}&time=business")
    assert "queues-business-hours-2026-03-10" in export["Content-Disposition"]
    body = b"".join(export.streaming_content).decode().lstrip("\ufeff")
    q1 = next(row for row in csv.reader(io.StringIO(body)) if row[0] == "Q1")
    assert q1[7] == "2250"  # Queue, Attendances, %, Closed, Wait x3, Handling mean

    # A bad value is a form error, not a 500.
    assert client.get(f"/reports/?{PERIOD}&time=sideways").status_code == 400

    # Another tenant without a schedule gets no choice, whatever alpha has.
    with tenant_scope(beta.tenant):
        theirs = AdminFactory()
    response = signed_in_client(beta, theirs).get(f"/reports/?{PERIOD}&time=business")
    assert "time" not in response.context["form"].fields
