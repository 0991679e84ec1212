"""The inbox page at ``/``: who may open it, what each tab, scope, filter and search lists, the
live row and count fragments, keyset pages, tenant isolation and pinned query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import (
    AdminFactory,
    ContactFactory,
    QueueFactory,
    TagFactory,
    TicketFactory,
    UserFactory,
)


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def _signed_in(client, user):
    client.force_login(user)
    return client


def _row_ids(response) -> list[str]:
    return re.findall(r'data-testid="inbox-row" data-ticket-id="([0-9a-f-]+)"', response.content.decode())


def test_smoke(in_alpha, client_alpha):
    admin = AdminFactory()
    t = TicketFactory()
    response = _signed_in(client_alpha, admin).get("/")
    assert response.status_code == 200, response.content
    print(response.content.decode())
    assert _row_ids(response) == [str(t.public_id)]
