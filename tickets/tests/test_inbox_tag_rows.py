"""The inbox's tag filter reads the tag's links once, as an array the ticket's ``contact_id`` is
compared with. As an ``EXISTS`` per ticket, PostgreSQL joined the links to every contact (a
sequential scan of the contacts at 100k tickets) before it looked at a ticket, and planning that
join took longer than the other list kinds' whole statement (docs/performance.md, "The inbox
list IV")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from accounts.tests.factories import AdminFactory
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.selectors import ticket_inbox_rows, ticket_list_for_inbox
from tickets.tests.factories import TicketFactory

LINKS = "contacts_contact_tags"


@pytest.fixture
def world(alpha):
    with tenant_scope(alpha.tenant):
        vip, other = TagFactory(name="vip"), TagFactory(name="outra")
        tagged = []
        for n in range(6):
            contact = ContactFactory(name=f"Cliente {n}")
            contact.tags.add(vip if n % 2 else other)
            tagged.append((TicketFactory(contact=contact), n % 2))
        TicketFactory(contact=ContactFactory(name="Sem etiqueta"))
        yield {"admin": AdminFactory(), "vip": vip, "other": other, "tagged": tagged}


def _relations(node: dict[str, Any]) -> Iterator[str]:
    if "Relation Name" in node:
        yield node["Relation Name"]
    for child in node.get("Plans", []):
        yield from _relations(child)


def _links_outside_init_plans(node: dict[str, Any]) -> list[str]:
    """The scans of the tag links that are not in an InitPlan (evaluated once per statement)."""
    found = [node["Node Type"]] if node.get("Relation Name") == LINKS else []
    for child in node.get("Plans", []):
        if child.get("Parent Relationship") != "InitPlan":
            found += _links_outside_init_plans(child)
    return found


def _plan(queryset) -> dict[str, Any]:
    return json.loads(queryset.explain(format="json"))[0]["Plan"]


@pytest.mark.parametrize("status", [[], ["pending"], ["closed"]])
def test_the_tag_filter_reads_the_links_once_per_statement(world, status):
    tickets = ticket_list_for_inbox(user=world["admin"], status=status, tag_ids=[world["vip"].pk])
    plan = _plan(tickets)
    assert LINKS in _relations(plan)
    assert _links_outside_init_plans(plan) == []


def test_the_tag_filter_keeps_the_tickets_of_contacts_with_any_of_the_tags(world):
    admin, vip, other = world["admin"], world["vip"], world["other"]
    tickets = {
        tag: {ticket.pk for ticket, is_vip in world["tagged"] if is_vip == (tag == "vip")}
        for tag in ("vip", "other")
    }

    def page(tag_ids):
        rows = ticket_inbox_rows(ticket_list_for_inbox(user=admin, tag_ids=tag_ids))
        return {row["id"] for row in rows}

    assert page([vip.pk]) == tickets["vip"]
    assert page([other.pk]) == tickets["other"]
    assert page([vip.pk, other.pk]) == tickets["vip"] | tickets["other"]
    assert page([TagFactory().pk]) == set()
