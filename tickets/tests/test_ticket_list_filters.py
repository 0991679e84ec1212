"""The inbox list's filters: each process keeps the validated answer of the parameter sets it
has seen (``tickets.api.ticket_views``); nothing a kept answer holds changes another request's
answer, and bad filters always answer the serializer's 400 in the caller's language."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils import translation
from rest_framework.renderers import JSONRenderer

from accounts.tests.factories import AdminFactory
from conftest import host_api_client, sign_in_api
from tenants.tenancy import tenant_scope
from tickets.api.ticket_serializers import TicketListQuerySerializer
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory


@pytest.fixture
def world(alpha):
    with tenant_scope(alpha.tenant):
        english = AdminFactory(language="en")
        portuguese = AdminFactory(language="pt-br")
        open_ = TicketFactory(status=Ticket.Status.OPEN, assignee=english)
        closed = TicketFactory(status=Ticket.Status.CLOSED)
    apis = {
        "en": sign_in_api(host_api_client(alpha.host), english.email),
        "pt-br": sign_in_api(host_api_client(alpha.host), portuguese.email),
    }
    return apis, open_, closed


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["public_id"] for row in response.json()["results"]}


def _serializer_errors(params: dict[str, str], language: str) -> dict:
    with translation.override(language):
        serializer = TicketListQuerySerializer(data=QueryDict(urlencode(params)))
        assert not serializer.is_valid()
        return json.loads(JSONRenderer().render(serializer.errors))


def test_a_bad_filter_answers_the_serializers_400_in_each_callers_language(world):
    apis, _open, _closed = world
    bad = {"status": "sleeping"}
    for language, api in apis.items():
        # a valid set first, so the process has kept answers
        assert api.get("/api/v1/tickets/", {"status": "open"}).status_code == 200

        response = api.get("/api/v1/tickets/", bad)

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert body["extra"]["fields"] == _serializer_errors(bad, language)
    english = apis["en"].get("/api/v1/tickets/", bad).json()["extra"]["fields"]["status"]
    portuguese = apis["pt-br"].get("/api/v1/tickets/", bad).json()["extra"]["fields"]["status"]
    assert english != portuguese


def test_the_same_filters_on_every_page_and_page_size_filter_alike(world):
    apis, open_, closed = world
    api = apis["en"]

    first = api.get("/api/v1/tickets/", {"status": "closed", "page_size": 1})
    wider = api.get("/api/v1/tickets/", {"status": "closed", "page_size": 50})

    assert _ids(first) == {str(closed.public_id)}
    assert _ids(wider) == {str(closed.public_id)}
    assert str(open_.public_id) in _ids(api.get("/api/v1/tickets/", {"status": "open"}))


def test_indexed_list_parameters_are_not_taken_for_no_filter(world):
    apis, open_, closed = world
    api = apis["en"]
    # no filter: both tickets (this answer is kept)
    assert {str(open_.public_id), str(closed.public_id)} <= _ids(api.get("/api/v1/tickets/"))

    # DRF's indexed form of a list (status[0]=closed) is a filter, not "no filter"
    indexed = api.get("/api/v1/tickets/", {"status[0]": "closed"})

    assert _ids(indexed) == {str(closed.public_id)}


def test_repeated_parameters_keep_every_value(world):
    apis, open_, closed = world
    api = apis["en"]

    both = api.get("/api/v1/tickets/?status=open&status=closed")
    one = api.get("/api/v1/tickets/?status=open")

    assert {str(open_.public_id), str(closed.public_id)} <= _ids(both)
    assert str(closed.public_id) not in _ids(one)


def test_a_callers_change_to_its_filters_never_reaches_the_kept_answer():
    from tickets.api.ticket_views import _list_filters

    query = QueryDict("status=open&scope=mine&search=kept-answer-probe")
    first = _list_filters(query)
    first["scope"] = "all"
    first["search"] = "changed"
    again = _list_filters(query)
    assert again["scope"] == "mine"
    assert again["search"] == "kept-answer-probe"
