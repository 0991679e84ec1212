"""Edits and deletions the customer makes on the channel, and files that could not be kept."""

import pytest

from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import MessageEdit, TicketEvent
from tickets.services.messages import (
    ReceivedMessage,
    message_delete_by_contact,
    message_edit_by_contact,
    message_receive,
)
from tickets.tests.factories import ConnectionFactory, MessageFactory


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


@pytest.fixture
def received(in_alpha):
    message, _ = message_receive(
        received=ReceivedMessage(
            connection=ConnectionFactory(), contact=ContactFactory(), body="2 pizzas"
        )
    )
    return message


def test_an_edit_keeps_the_previous_text_and_is_on_the_timeline(received):
    message_edit_by_contact(message=received, body="3 pizzas")
    message_edit_by_contact(message=received, body="3 pizzas")  # repeated: nothing new

    received.refresh_from_db()
    assert received.body == "3 pizzas"
    assert list(MessageEdit.objects.values_list("previous_body", "edited_by")) == [
        ("2 pizzas", None)
    ]
    assert received.ticket.events.filter(kind=TicketEvent.Kind.MESSAGE_EDITED).count() == 1


def test_a_deletion_is_soft_and_happens_once(received):
    first = message_delete_by_contact(message=received).deleted_at
    message_delete_by_contact(message=received)

    received.refresh_from_db()
    assert first is not None
    assert received.deleted_at == first
    assert received.body == "2 pizzas"
    assert received.ticket.events.filter(kind=TicketEvent.Kind.MESSAGE_DELETED).count() == 1


def test_our_own_messages_cannot_be_changed_by_the_customer(in_alpha):
    ours = MessageFactory(direction="out", sender="agent", body="Olá")

    message_edit_by_contact(message=ours, body="hacked")
    message_delete_by_contact(message=ours)

    ours.refresh_from_db()
    assert (ours.body, ours.deleted_at) == ("Olá", None)


def test_a_file_that_could_not_be_kept_is_named_with_its_error(in_alpha):
    message, _ = message_receive(
        received=ReceivedMessage(
            connection=ConnectionFactory(),
            contact=ContactFactory(),
            kind="video",
            media_name="../big video.mp4",
            media_mime="video/mp4",
            media_error="media_too_large",
        )
    )

    # The sender's name as they gave it, without its directories (docs/inbound.md).
    assert (message.media_name, message.media_mime, message.media_error) == (
        "big video.mp4",
        "video/mp4",
        "media_too_large",
    )
    assert not message.media
