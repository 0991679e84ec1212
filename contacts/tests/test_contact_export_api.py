"""The export streams a CSV of the contacts the caller may see; nothing is written to disk."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from contacts.tests.factories import ContactFactory, TagFactory


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.fixture
def agent(in_alpha):
    return UserFactory(email="agent@example.com")


def test_the_export_has_every_column(api_alpha, in_alpha):
    admin = AdminFactory()
    owner = UserFactory(email="owner@example.com")
    contact = ContactFactory(name="Ana", phone="+5511987654321", email="ana@example.com")
    contact.tags.add(TagFactory(name="VIP"), TagFactory(name="Lead"))
    contact.owners.add(owner)

    rows = _rows(sign_in_api(api_alpha, admin.email).get("/api/v1/contacts/export/"))

    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"name", "phone", "email", "tags", "owners", "created_at"}
    assert (row["name"], row["phone"], row["email"]) == ("Ana", "+5511987654321", "ana@example.com")
    assert row["tags"] == "Lead, VIP"
    assert row["owners"] == "owner@example.com"
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    assert row["created_at"] == contact.created_at.astimezone(sao_paulo).isoformat("T", "seconds")


def test_an_agent_exports_only_the_contacts_they_may_see(api_alpha, agent):
    ContactFactory(name="Free")
    ContactFactory(name="Mine").owners.add(agent)
    ContactFactory(name="Others").owners.add(UserFactory())

    rows = _rows(sign_in_api(api_alpha, agent.email).get("/api/v1/contacts/export/"))

    assert [row["name"] for row in rows] == ["Free", "Mine"]


def test_formulas_are_neutralised_but_phones_are_kept(api_alpha, agent):
    ContactFactory(name='=HYPERLINK("http://evil")', phone="+5511987654321")

    rows = _rows(sign_in_api(api_alpha, agent.email).get("/api/v1/contacts/export/"))

    assert rows[0]["name"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["phone"] == "+5511987654321"


def test_asking_for_csv_explicitly_works(api_alpha, agent):
    ContactFactory(name="Ana")
    api = sign_in_api(api_alpha, agent.email)

    rows = _rows(api.get("/api/v1/contacts/export/", HTTP_ACCEPT="text/csv"))

    assert [row["name"] for row in rows] == ["Ana"]


def test_the_export_needs_authentication(api_alpha, in_alpha):
    assert api_alpha.get("/api/v1/contacts/export/").status_code == 401
