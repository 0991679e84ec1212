"""The live message events' statement (``message_event_values_many``) is compiled once per
process and bound per call; its rows are the ORM queryset's, in every tenant."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from accounts.tests.factories import UserFactory
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.selectors import message_event_values, message_event_values_many
from tickets.selectors.messages import _message_event_statement, message_event_queryset
from tickets.tests.factories import MessageFactory, QueueFactory, TicketFactory


def _messages() -> list[Any]:
    """Messages with and without a sender user, a quote, contact tags, wallet owners, a queue,
    an assignee, on a person's and on a group's ticket."""
    queue = QueueFactory()
    agent = UserFactory(queues=[queue])
    owner = UserFactory()
    tagged = ContactFactory()
    tagged.tags.set([TagFactory(name="VIP"), TagFactory(name="Atacado")])
    tagged.owners.set([agent, owner])
    group = ContactFactory(is_group=True, name="Grupo da loja")
    group.tags.set([TagFactory(name="Grupo")])
    plain_ticket = TicketFactory()
    tagged_ticket = TicketFactory(contact=tagged, queue=queue, assignee=agent, unread_count=2)
    group_ticket = TicketFactory(contact=group, queue=queue)
    plain = MessageFactory(ticket=plain_ticket, payload={"extra": [1, 2]})
    reply = MessageFactory(
        ticket=tagged_ticket,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_contact=None,
        sender_user=agent,
        quoted=plain,
        status=Message.Status.SENT,
        sent_at=timezone.now(),
    )
    note = MessageFactory(
        ticket=tagged_ticket,
        is_note=True,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_contact=None,
        sender_user=agent,
    )
    deleted = MessageFactory(ticket=tagged_ticket, deleted_at=timezone.now())
    quoting_deleted = MessageFactory(ticket=tagged_ticket, quoted=deleted, is_forwarded=True)
    in_group = MessageFactory(ticket=group_ticket, sender_contact=group, body="no grupo")
    group_reply = MessageFactory(
        ticket=group_ticket,
        direction=Message.Direction.OUTBOUND,
        sender=Message.Sender.AGENT,
        sender_contact=None,
        sender_user=agent,
        quoted=in_group,
    )
    return [plain, reply, note, deleted, quoting_deleted, in_group, group_reply]


def test_the_compiled_rows_equal_the_querysets(alpha, django_assert_num_queries):
    with tenant_scope(alpha.tenant):
        messages = _messages()
        ids = [message.pk for message in messages]
        expected = {row.pop("m_id"): row for row in message_event_queryset(ids)}
        assert set(expected) == set(ids)
        # Each kind of row is really there (not only NULLs compared with NULLs).
        assert any(row["su_name"] for row in expected.values())
        assert any(row["q_public_id"] for row in expected.values())
        assert any(len(row["t_tags"]) == 2 for row in expected.values())
        assert any(len(row["t_owner_ids"]) == 2 for row in expected.values())
        with django_assert_num_queries(1):
            found = message_event_values_many([*ids, 10**9])
        assert found.pop(10**9) is None
        assert {key: entry[0] for key, entry in found.items() if entry} == expected
        for message_id in ids:
            single = message_event_values(message_id)
            assert single is not None
            assert single[0] == expected[message_id]
            assert single[1].values == expected[message_id]
            assert single[1].public_id == str(expected[message_id]["t_public_id"])
        with django_assert_num_queries(0):
            assert message_event_values_many([]) == {}


def test_the_statement_is_compiled_once_and_serves_every_tenant(alpha, beta, monkeypatch):
    _message_event_statement.cache_clear()
    with tenant_scope(alpha.tenant):
        alpha_message = MessageFactory(body="alpha")
        first = message_event_values(alpha_message.pk)  # compiled here, in alpha
        assert first is not None
        assert first[0]["body"] == "alpha"
    compiled: list[SQLCompiler] = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    with tenant_scope(beta.tenant):
        beta_message = MessageFactory(body="beta")
        compiled.clear()
        found = message_event_values_many([beta_message.pk, alpha_message.pk])
        assert not compiled  # the statement built in alpha, bound here
        beta_values = found[beta_message.pk]
        assert beta_values is not None
        assert beta_values[0]["body"] == "beta"
        assert beta_values[1].values["t_id"] == beta_message.ticket_id
        # The same id in both tenants (each schema counts its own) reads beta's message.
        if alpha_message.pk != beta_message.pk:
            assert found[alpha_message.pk] is None
        assert beta_values[0] == {
            key: value
            for key, value in message_event_queryset([beta_message.pk]).get().items()
            if key != "m_id"
        }
    with tenant_scope(alpha.tenant):
        compiled.clear()  # the queryset just above was compiled, as querysets are
        again = message_event_values(alpha_message.pk)
        assert not compiled
        assert again is not None
        assert again[0]["body"] == "alpha"
        if alpha_message.pk != beta_message.pk:
            assert message_event_values(beta_message.pk) is None
    assert _message_event_statement.cache_info().misses == 1


@pytest.mark.parametrize("count", [1, 3, 60])
def test_any_number_of_ids_binds_into_the_one_statement(alpha, count):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory()
        messages = [MessageFactory(ticket=ticket, body=f"m{n}") for n in range(count)]
        found = message_event_values_many([message.pk for message in messages])
        assert [found[message.pk][0]["body"] for message in messages] == [
            f"m{n}" for n in range(count)
        ]
