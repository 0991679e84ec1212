"""Saved inbox filters: an agent saves the inbox's current filters under a name, sees them
listed on the inbox, applies one (a link to the inbox with those filters), replaces one by
saving the same name, and deletes one (confirmed on the page). Each agent's are their own, in
their own tenant; bad input is a 4xx with nothing stored."""

from __future__ import annotations

from html import unescape
from urllib.parse import parse_qs

import pytest

from accounts.tests.factories import UserFactory, users_with_the_same_id
from conftest import signed_in_client
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.models import SavedInboxFilter, Ticket
from tickets.services.saved_inbox_filters import SAVED_FILTERS_MAX
from tickets.tests.factories import QueueFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
SAVE = "/inbox/filters/"


@pytest.fixture
def desk(alpha, beta):
    ana, twin = users_with_the_same_id(alpha.tenant, beta.tenant)
    with tenant_scope(alpha.tenant):
        support = QueueFactory(name="Suporte")
        support.members.add(ana)
        bruno = UserFactory(queues=[support])
        vip = TagFactory(name="VIP")
        maria = ContactFactory(name="Maria VIP")
        maria.tags.add(vip)
        tagged = TicketFactory(queue=support, contact=maria)
        other = TicketFactory(queue=support)
    return {
        "ana": ana,
        "twin": twin,
        "bruno": bruno,
        "support": support,
        "vip": vip,
        "tagged": tagged,
        "other": other,
    }


def _saved(fixture, user) -> list[SavedInboxFilter]:
    with tenant_scope(fixture.tenant):
        return list(SavedInboxFilter.objects.filter(user=user).order_by("name"))


def _apply_links(html: str) -> dict[str, dict[str, list[str]]]:
    links = {}
    for part in html.split('href="?')[1:]:
        query, rest = part.split('"', 1)
        if 'data-testid="saved-filter-apply">' in rest.split("</a>", 1)[0]:
            name = rest.split(">", 1)[1].split("</a>", 1)[0]
            links[name] = parse_qs(unescape(query))
    return links


def test_saving_listing_applying_replacing_and_deleting(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    filters = {
        "tab": "pending",
        "scope": "queues",
        "queue": desk["support"].pk,
        "tag": desk["vip"].pk,
        "q": "Maria",
        "unread": "",
    }

    saved = client.post(SAVE, {**filters, "name": "  VIPs   de Suporte "}, **HTMX)

    assert saved.status_code == 200
    [stored] = _saved(alpha, desk["ana"])
    assert stored.name == "VIPs de Suporte"
    assert stored.filters == {
        "tab": "pending",
        "scope": "queues",
        "q": "Maria",
        "queue": [desk["support"].pk],
        "tag": [desk["vip"].pk],
    }
    # listed on the inbox, with a link that opens the inbox with those filters
    page = client.get("/").content.decode()
    links = _apply_links(page)
    assert links["VIPs de Suporte"] == {
        "tab": ["pending"],
        "scope": ["queues"],
        "q": ["Maria"],
        "queue": [str(desk["support"].pk)],
        "tag": [str(desk["vip"].pk)],
    }
    applied = client.get("/?" + page.split('href="?')[1].split('"')[0].replace("&amp;", "&"))
    assert str(desk["tagged"].public_id) in applied.content.decode()
    assert str(desk["other"].public_id) not in applied.content.decode()

    # the same name again replaces it
    client.post(SAVE, {"tab": "open", "scope": "all", "name": "VIPs de Suporte"}, **HTMX)
    [stored] = _saved(alpha, desk["ana"])
    assert stored.filters == {"tab": "open", "scope": "all"}

    # deletion is confirmed on the page, then done
    assert 'data-confirm="Excluir o filtro salvo' in client.get("/").content.decode()
    deleted = client.post(f"/inbox/filters/{stored.public_id}/delete/", **HTMX)
    assert deleted.status_code == 200
    assert 'data-testid="saved-filters-empty"' in deleted.content.decode()
    assert _saved(alpha, desk["ana"]) == []


def test_each_agent_sees_and_deletes_only_their_own_in_their_own_tenant(alpha, beta, desk):
    ana = signed_in_client(alpha, desk["ana"])
    ana.post(SAVE, {"tab": "pending", "name": "Meu"}, **HTMX)
    [mine] = _saved(alpha, desk["ana"])
    with tenant_scope(beta.tenant):
        theirs = SavedInboxFilter.objects.create(user=desk["twin"], name="Beta", filters={})

    bruno = signed_in_client(alpha, desk["bruno"])
    assert "Meu" not in bruno.get("/").content.decode()
    refused = bruno.post(f"/inbox/filters/{mine.public_id}/delete/", **HTMX)
    assert refused.status_code == 404
    assert refused.json()["code"] == "saved_inbox_filter_not_found"
    assert len(_saved(alpha, desk["ana"])) == 1
    # the user with the same id in the other tenant: neither listed nor deletable from here
    page = ana.get("/").content.decode()
    assert "Beta" not in _apply_links(page)
    assert ana.post(f"/inbox/filters/{theirs.public_id}/delete/", **HTMX).status_code == 404
    assert len(_saved(beta, desk["twin"])) == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_a_missing_or_long_name_is_refused_and_nothing_is_stored(alpha, desk, name):
    client = signed_in_client(alpha, desk["ana"])

    response = client.post(SAVE, {"tab": "pending", "name": name}, **HTMX)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["extra"]["fields"]["name"]
    assert body["message"] == body["extra"]["fields"]["name"][0]
    assert _saved(alpha, desk["ana"]) == []


def test_saved_filters_are_capped_per_user(alpha, desk):
    with tenant_scope(alpha.tenant):
        for i in range(SAVED_FILTERS_MAX):
            SavedInboxFilter.objects.create(user=desk["ana"], name=f"F{i}", filters={})
    client = signed_in_client(alpha, desk["ana"])

    response = client.post(SAVE, {"name": "Mais um"}, **HTMX)

    assert response.status_code == 409
    assert response.json()["code"] == "saved_inbox_filters_full"
    assert len(_saved(alpha, desk["ana"])) == SAVED_FILTERS_MAX
    # replacing an existing one is still allowed
    assert client.post(SAVE, {"name": "F0", "tab": "closed"}, **HTMX).status_code == 200


def test_junk_in_the_filters_is_dropped_before_saving(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])

    client.post(
        SAVE,
        {
            "name": "Lixo",
            "tab": "nope",
            "scope": "<x>",
            "queue": ["a", "7"],
            "status": Ticket.Status.CLOSED,
        },
        **HTMX,
    )

    [stored] = _saved(alpha, desk["ana"])
    assert stored.filters == {"tab": "open", "scope": "all", "queue": [7]}


def test_signed_out_or_get_does_nothing(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    assert client.get(SAVE).status_code == 405
    client.logout()
    assert client.post(SAVE, {"name": "X"}).status_code == 302
    assert _saved(alpha, desk["ana"]) == []
