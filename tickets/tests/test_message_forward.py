"""Forwarding copies a message to another ticket as a new outbound message marked forwarded."""

import pytest
from django.core.files.base import ContentFile

from accounts.tests.factories import UserFactory
from core.exceptions import ApplicationError
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.services.messages import ReceivedMessage, message_forward, message_receive
from tickets.tests.factories import MessageFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_scope(alpha.tenant):
        yield alpha


def test_forwarding_copies_text_and_media_into_a_new_file(
    in_alpha, tmp_path, django_capture_on_commit_callbacks
):
    agent = UserFactory()
    source = TicketFactory()
    original, _ = message_receive(
        received=ReceivedMessage(
            connection=source.connection,
            contact=source.contact,
            kind=Message.Kind.IMAGE,
            body="veja",
            media=ContentFile(b"imagem", name="a.png"),
            media_name="a.png",
            media_mime="image/png",
        )
    )
    target = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)

    with django_capture_on_commit_callbacks(execute=True):
        copy = message_forward(message=original, to_ticket=target, by=agent)

    copy.refresh_from_db()
    assert copy.ticket == target
    assert copy.is_forwarded
    assert (copy.body, copy.kind, copy.media_name) == ("veja", Message.Kind.IMAGE, "a.png")
    assert copy.media.name != original.media.name
    assert (tmp_path / copy.media.name).read_bytes() == b"imagem"
    assert copy.direction == Message.Direction.OUTBOUND
    assert copy.dispatched_at is not None


def test_forwarding_to_a_ticket_of_another_agent_is_refused(in_alpha):
    agent = UserFactory()
    target = TicketFactory(status=Ticket.Status.OPEN, assignee=UserFactory())

    with pytest.raises(ApplicationError) as exc:
        message_forward(message=MessageFactory(), to_ticket=target, by=agent)

    assert exc.value.code == "ticket_not_assigned_to_you"
