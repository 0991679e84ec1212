"""One ticket read by its public id (``ticket_get_for_agent``, ``ticket_detail_for_agent``) with
a statement compiled once per visibility shape and bound per call: for every role and
visibility setting the same ticket (or the same 404) as the queryset it stands for, its
relations loaded, in whichever tenant compiled it."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db.models import UUIDField, Value
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from contacts.tests.factories import ContactFactory, TagFactory
from core.db.compiled import Slot, instances_compiled
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.errors import TicketNotFound
from tickets.models import Ticket
from tickets.selectors import ticket_detail_for_agent, ticket_get_for_agent, tickets_visible_to
from tickets.selectors.tickets import _compiled_ticket
from tickets.tests.factories import QueueFactory, TicketFactory

HIDE = (
    "hide_tickets_without_queue",
    "hide_tickets_assigned_to_others",
    "hide_tickets_of_other_wallets",
)
RELATED = ("contact", "connection", "queue", "assignee", "closed_by")


def _world() -> dict[str, Any]:
    """Tickets in and out of the agent's queue, without a queue, assigned to the agent and to
    another, in the agent's wallet and in another's, closed by someone, and soft-deleted."""
    sales, support = QueueFactory(), QueueFactory()
    agent = UserFactory(queues=[sales])
    other = UserFactory(queues=[support])
    tickets = [
        TicketFactory(queue=sales),
        TicketFactory(queue=sales, assignee=other),
        TicketFactory(queue=support),
        TicketFactory(queue=support, assignee=agent),
        TicketFactory(queue=None),
        TicketFactory(queue=None, assignee=other),
        TicketFactory(queue=support, contact=ContactFactory()),
        TicketFactory(queue=support, contact=ContactFactory()),
        TicketFactory(queue=sales, status=Ticket.Status.CLOSED, closed_by=other),
        TicketFactory(queue=sales, deleted_at=timezone.now()),
    ]
    tickets[6].contact.owners.add(agent)
    tickets[7].contact.owners.add(other)
    tickets[0].contact.tags.set([TagFactory(name="VIP"), TagFactory(name="Atacado")])
    return {"agent": agent, "other": other, "admin": AdminFactory(), "tickets": tickets}


def _same_ticket(got: Ticket, expected: Ticket) -> None:
    for field in Ticket._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(expected, field.attname), field.name
    assert got._state.adding is False
    assert got._state.db == expected._state.db


def _related_loaded(ticket: Ticket, names: tuple[str, ...], expected: Ticket) -> None:
    for name in names:
        related = getattr(ticket, name)
        wanted = getattr(expected, name)
        assert related == wanted, name
        if wanted is not None:
            for field in type(wanted)._meta.concrete_fields:
                assert getattr(related, field.attname) == getattr(wanted, field.attname)


@pytest.mark.parametrize(
    "hidden",
    [
        tuple(name for name, on in zip(HIDE, flags, strict=True) if on)
        for flags in itertools.product((False, True), repeat=3)
    ],
)
def test_every_visibility_shape_reads_the_ticket_of_the_queryset(
    alpha, hidden, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        if hidden:
            tenant_settings_update(tenant=alpha.tenant, values=dict.fromkeys(hidden, True))
        world = _world()
        found = {"agent": 0, "admin": 0}
        for who in ("agent", "admin"):
            user = world[who]
            for ticket in world["tickets"]:
                visible = tickets_visible_to(user).select_related(*RELATED[:4])
                expected = visible.filter(public_id=ticket.public_id).first()
                detail_base = Ticket.objects.all() if user.is_admin else tickets_visible_to(user)
                expected_detail = (
                    detail_base.select_related(*RELATED).filter(public_id=ticket.public_id).first()
                )
                with django_assert_num_queries(1):
                    try:
                        got: Ticket | None = ticket_get_for_agent(
                            user=user, public_id=ticket.public_id
                        )
                    except TicketNotFound:
                        got = None
                assert (got is None) == (expected is None), (who, hidden, ticket)
                if got is not None and expected is not None:
                    found[who] += 1
                    _same_ticket(got, expected)
                    with django_assert_num_queries(0):
                        _related_loaded(got, RELATED[:4], expected)
                # The detail also prefetches the contact's tags: its second statement.
                try:
                    detail: Ticket | None = ticket_detail_for_agent(
                        user=user, public_id=str(ticket.public_id)
                    )
                except TicketNotFound:
                    detail = None
                assert (detail is None) == (expected_detail is None), (who, hidden, ticket)
                if detail is not None and expected_detail is not None:
                    _same_ticket(detail, expected_detail)
                    tags = [tag.name for tag in expected_detail.contact.tags.order_by("name")]
                    with django_assert_num_queries(0):
                        _related_loaded(detail, RELATED, expected_detail)
                        assert sorted(tag.name for tag in detail.contact.tags.all()) == tags
        # The admin sees every ticket but the soft-deleted one (which only the detail shows),
        # the agent fewer, and fewer still when the tenant hides tickets.
        assert found["admin"] == len(world["tickets"]) - 1
        assert 0 < found["agent"] < found["admin"]
        deleted = world["tickets"][-1]
        assert ticket_detail_for_agent(user=world["admin"], public_id=deleted.public_id)
        with pytest.raises(TicketNotFound):
            ticket_detail_for_agent(user=world["agent"], public_id=deleted.public_id)


@pytest.mark.parametrize("public_id", ["not-a-uuid", "", "00000000-0000-0000-0000-000000000000"])
def test_a_malformed_or_unknown_id_is_not_found(alpha, public_id):
    with tenant_scope(alpha.tenant):
        TicketFactory()
        for user in (UserFactory(), AdminFactory()):
            with pytest.raises(TicketNotFound):
                ticket_get_for_agent(user=user, public_id=public_id)
            with pytest.raises(TicketNotFound):
                ticket_detail_for_agent(user=user, public_id=public_id)


def test_the_read_is_compiled_once_per_shape_and_serves_every_tenant(alpha, beta, monkeypatch):
    _compiled_ticket.cache_clear()
    with tenant_scope(alpha.tenant):
        alpha_agent = UserFactory(queues=[queue := QueueFactory()])
        alpha_ticket = TicketFactory(queue=queue)
        # compiled here, in alpha
        assert ticket_get_for_agent(user=alpha_agent, public_id=alpha_ticket.public_id)
        assert ticket_detail_for_agent(user=alpha_agent, public_id=alpha_ticket.public_id)
    compiled: list[SQLCompiler] = []
    original = SQLCompiler.as_sql

    def counting(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        if self.query.model is Ticket:  # the detail's tag prefetch is a query of its own
            compiled.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    with tenant_scope(beta.tenant):
        beta_agent = UserFactory(queues=[beta_queue := QueueFactory()])
        beta_ticket = TicketFactory(queue=beta_queue, assignee=beta_agent)
        compiled.clear()
        got = ticket_get_for_agent(user=beta_agent, public_id=beta_ticket.public_id)
        detail = ticket_detail_for_agent(user=beta_agent, public_id=beta_ticket.public_id)
        assert not compiled  # the statements built in alpha, bound here
        assert got.pk == detail.pk == beta_ticket.pk
        assert got.assignee == beta_agent
        assert got.contact.name == beta_ticket.contact.name
        # alpha's ticket is not beta's, whatever the primary keys
        with pytest.raises(TicketNotFound):
            ticket_get_for_agent(user=beta_agent, public_id=alpha_ticket.public_id)
    with tenant_scope(alpha.tenant):
        assert ticket_get_for_agent(user=alpha_agent, public_id=alpha_ticket.public_id).pk == (
            alpha_ticket.pk
        )
        with pytest.raises(TicketNotFound):
            ticket_get_for_agent(user=alpha_agent, public_id=beta_ticket.public_id)
        assert not compiled
    assert _compiled_ticket.cache_info().misses == 2  # the agent's read and detail


def test_a_compiled_model_query_keeps_no_annotation_prefetch_or_deferred_field(alpha):
    with tenant_scope(alpha.tenant):
        by_id = Ticket.objects.filter(public_id=Slot("public_id", UUIDField()))
        with pytest.raises(ValueError, match="every column"):
            instances_compiled(by_id.annotate(one=Value(1)))
        with pytest.raises(ValueError, match="every column"):
            instances_compiled(by_id.only("id"))
        with pytest.raises(ValueError, match="prefetch"):
            instances_compiled(by_id.prefetch_related("contact__tags"))
