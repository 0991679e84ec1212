"""An API key lists the inbox in a fixed number of queries: the key is read with its owner
(the acting user) in one query, and nothing else asks for the user again."""

from __future__ import annotations

from accounts.tests.factories import AdminFactory
from conftest import host_api_client
from contacts.tests.factories import ContactFactory, TagFactory
from integrations.tests.factories import api_key_make
from tenants.tenancy import tenant_scope
from tickets.tests.factories import QueueFactory, TicketFactory


def test_an_api_key_lists_in_two_queries_with_its_owner_loaded(alpha, django_assert_num_queries):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        contact = ContactFactory()
        contact.tags.set([TagFactory(), TagFactory()])
        tickets = [TicketFactory(contact=contact, queue=QueueFactory()) for _ in range(3)]
        _key, secret = api_key_make(scopes=["tickets:read"], by=admin)
    api = host_api_client(alpha.host)
    api.credentials(HTTP_X_API_KEY=secret)
    assert api.get("/api/v1/tickets/").status_code == 200  # records the key's last use

    # the key with its owner (the acting user), the page; the search_path is already the
    # tenant's (the previous request set it)
    with django_assert_num_queries(2):
        page = api.get("/api/v1/tickets/")

    assert page.status_code == 200
    assert {r["public_id"] for r in page.json()["results"]} >= {str(t.public_id) for t in tickets}
