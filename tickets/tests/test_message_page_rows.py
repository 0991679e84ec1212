"""The messages page is read as plain values (``tickets.selectors.message_page_values``) and
rendered by ``message_row_from_values``: its answer is exactly what ``MessageOutputSerializer``
gives for the same messages, page after page (notes, deletions, quotes, files, forwards)."""

from __future__ import annotations

import json

from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AdminFactory
from conftest import sign_in_api
from core.renderers import FastJSONRenderer
from tenants.tenancy import tenant_scope
from tickets.api.message_serializers import MessageOutputSerializer
from tickets.selectors import messages_of_ticket
from tickets.tests.factories import MessageFactory
from tickets.tests.test_event_rows import media_root, messages, tickets  # noqa: F401  (fixtures)


def _serialized(ticket) -> list[dict]:
    """The page as the serializer renders the loaded models, through the API's renderer."""
    data = MessageOutputSerializer(list(messages_of_ticket(ticket=ticket)), many=True).data
    return json.loads(FastJSONRenderer().render(data))


def test_every_page_equals_the_serializer(alpha, api_alpha, messages):  # noqa: F811
    ticket = messages[0].ticket
    with tenant_scope(alpha.tenant):
        MessageFactory(ticket=ticket, created_at=messages[0].created_at)  # a tie on created_at
        expected = _serialized(ticket)
        admin = AdminFactory()
    sign_in_api(api_alpha, admin.email)

    got, url = [], f"/api/v1/tickets/{ticket.public_id}/messages/?page_size=3"
    while url:
        response = api_alpha.get(url)
        assert response.status_code == 200
        got += response.json()["results"]
        url = response.json()["next"]

    assert len(got) == len(messages) + 1
    assert got == expected


def test_before_a_message_and_the_query_count(alpha, api_alpha, messages):  # noqa: F811
    ticket = messages[0].ticket
    with tenant_scope(alpha.tenant):
        expected = _serialized(ticket)
        admin = AdminFactory()
    sign_in_api(api_alpha, admin.email)
    url = f"/api/v1/tickets/{ticket.public_id}/messages/"
    api_alpha.get(url)  # the host and the search_path

    with CaptureQueriesContext(db) as queries:
        response = api_alpha.get(url, {"before": expected[2]["id"]})

    assert response.json()["results"] == expected[3:]
    # the user, the ticket, the message named by ``before``, the page (the search_path is
    # already the tenant's)
    assert len(queries) == 4
