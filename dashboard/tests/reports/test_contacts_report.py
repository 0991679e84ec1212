"""/reports/contacts/: the contacts the user may see by creation date, tag and Brazilian state
(from the area code), printable, with a count per state and a CSV of them all."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from contacts.models import Contact, Tag
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def _contacts(in_alpha):
    """Carla (SP, VIP, created 23:30 on 1 March in Sao Paulo = 02:30 UTC on the 2nd), Davi (RJ),
    Eva (MG, VIP), Fábio (Portugal), and a group (never listed)."""
    vip = Tag.objects.create(name="VIP")
    people = {
        "Carla": ContactFactory(name="Carla", phone="+5511987650001"),
        "Davi": ContactFactory(name="Davi", phone="+5521987650002"),
        "Eva": ContactFactory(name="Eva", phone="+5531987650003"),
        "Fábio": ContactFactory(name="Fábio", phone="+351912345678"),
    }
    ContactFactory(name="Grupo", phone="+5511900000000", is_group=True)
    people["Carla"].tags.add(vip)
    people["Eva"].tags.add(vip)
    Contact.objects.filter(pk=people["Carla"].pk).update(
        created_at=datetime(2026, 3, 1, 23, 30, tzinfo=SAO_PAULO)
    )
    return vip, people


def _names(response) -> list[str]:
    return [contact.name for contact in response.context["contacts"]]


def test_filters_by_state_tag_and_local_creation_day(in_alpha):
    vip, _ = _contacts(in_alpha)
    client = signed_in_client(in_alpha, AdminFactory())
    everyone = client.get("/reports/contacts/")
    assert everyone.status_code == 200
    assert _names(everyone) == ["Carla", "Davi", "Eva", "Fábio"]
    assert dict(everyone.context["per_state"]) == {"SP": 1, "RJ": 1, "MG": 1}
    assert _names(client.get("/reports/contacts/?state=RJ")) == ["Davi"]
    assert _names(client.get(f"/reports/contacts/?tag={vip.pk}")) == ["Carla", "Eva"]
    assert _names(client.get(f"/reports/contacts/?tag={vip.pk}&state=SP")) == ["Carla"]
    # Carla was created on 1 March in Sao Paulo (already the 2nd in UTC).
    first = client.get("/reports/contacts/?start=2026-03-01&end=2026-03-01")
    assert _names(first) == ["Carla"]
    assert _names(client.get("/reports/contacts/?start=2026-03-02&end=2026-03-02")) == []


def test_the_csv_has_every_contact_of_the_report(in_alpha):
    _contacts(in_alpha)
    client = signed_in_client(in_alpha, AdminFactory())
    response = client.get("/reports/contacts.csv?state=SP")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1:] == [["Carla", "+5511987650001", "", "VIP"]]


def test_agents_see_only_the_contacts_they_may_see(in_alpha):
    _, people = _contacts(in_alpha)
    agent = UserFactory()
    people["Davi"].owners.add(agent)
    people["Eva"].owners.add(UserFactory())
    # Agents see contacts without owners and their own (the contacts' wallet rule).
    response = signed_in_client(in_alpha, agent).get("/reports/contacts/")
    assert _names(response) == ["Carla", "Davi", "Fábio"]


def test_bad_dates_are_a_400_next_to_the_field(in_alpha):
    client = signed_in_client(in_alpha, AdminFactory())
    response = client.get("/reports/contacts/?start=2026-03-02&end=2026-03-01")
    assert response.status_code == 400
    assert 'class="errorlist"' in response.content.decode()
    assert client.get("/reports/contacts/?state=XX").status_code == 400


def test_another_tenants_contacts_never_show(in_alpha, beta):
    with tenant_scope(beta.tenant):
        ContactFactory(name="Zuleica", phone="+5511911112222")
    response = signed_in_client(in_alpha, AdminFactory()).get("/reports/contacts/")
    assert "Zuleica" not in _names(response)


def test_the_page_is_a_fixed_number_of_queries(in_alpha, django_assert_max_num_queries):
    vip = Tag.objects.create(name="Gold")
    client = signed_in_client(in_alpha, AdminFactory())
    counts = []
    for n in (2, 6):
        for _ in range(n):
            ContactFactory().tags.add(vip)
        with django_assert_max_num_queries(30) as captured:
            assert client.get("/reports/contacts/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
