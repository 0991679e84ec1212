"""Edits keep the previous text; deletes are soft and keep the body for audit."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from core.exceptions import ApplicationError
from tenants.tenancy import tenant_scope
from tickets.models import Message, MessageEdit, Ticket, TicketEvent
from tickets.services.messages import message_delete, message_edit, message_send
from tickets.tests.factories import MessageFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


@pytest.fixture
def agent(in_alpha):
    return UserFactory()


@pytest.fixture
def sent(agent):
    ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)
    return message_send(ticket=ticket, by=agent, body="primeira versão")


def test_editing_keeps_every_previous_text(sent, agent):
    message_edit(message=sent, by=agent, body="segunda versão")
    edited = message_edit(message=sent, by=agent, body="terceira versão")

    assert edited.body == "terceira versão"
    assert edited.edited_at is not None
    assert list(
        MessageEdit.objects.filter(message=sent).values_list("previous_body", flat=True)
    ) == [
        "primeira versão",
        "segunda versão",
    ]
    assert sent.ticket.events.filter(kind=TicketEvent.Kind.MESSAGE_EDITED).count() == 2


def test_only_the_author_edits(sent):
    with pytest.raises(ApplicationError) as exc:
        message_edit(message=sent, by=AdminFactory(), body="não")

    assert exc.value.code == "message_action_forbidden"
    sent.refresh_from_db()
    assert sent.body == "primeira versão"


def test_a_customers_message_cannot_be_edited(in_alpha):
    inbound = MessageFactory()

    with pytest.raises(ApplicationError):
        message_edit(message=inbound, by=AdminFactory(), body="x")

    assert not MessageEdit.objects.exists()


def test_delete_is_soft_and_keeps_the_body(sent, agent):
    message_delete(message=sent, by=agent)

    stored = Message.objects.get(pk=sent.pk)
    assert stored.deleted_at is not None
    assert stored.deleted_by == agent
    assert stored.body == "primeira versão"
    assert sent.ticket.events.filter(kind=TicketEvent.Kind.MESSAGE_DELETED).count() == 1


def test_a_deleted_message_cannot_be_edited_or_deleted_again(sent, agent):
    message_delete(message=sent, by=agent)

    with pytest.raises(ApplicationError) as edit_exc:
        message_edit(message=sent, by=agent, body="x")
    with pytest.raises(ApplicationError) as delete_exc:
        message_delete(message=sent, by=agent)

    assert edit_exc.value.code == "message_not_editable"
    assert delete_exc.value.code == "message_already_deleted"


def test_an_admin_may_delete_someone_elses_message_but_another_agent_may_not(sent):
    with pytest.raises(ApplicationError):
        message_delete(message=sent, by=UserFactory())

    message_delete(message=sent, by=AdminFactory())

    sent.refresh_from_db()
    assert sent.deleted_at is not None
