"""Agents send on open tickets assigned to them; the message is queued then dispatched."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from core.exceptions import ApplicationError
from tenants.tenancy import tenant_scope
from tickets.domain_events import MessageCreated
from tickets.models import Message, Ticket, TicketEvent
from tickets.services.messages import message_send
from tickets.tests.factories import MessageFactory, TicketFactory


@pytest.fixture
def in_alpha(alpha, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with tenant_scope(alpha.tenant):
        yield alpha


@pytest.fixture
def agent(in_alpha):
    return UserFactory()


@pytest.fixture
def ticket(agent):
    return TicketFactory(status=Ticket.Status.OPEN, assignee=agent, unread_count=2, answered=False)


def test_the_assigned_agent_sends_a_queued_message_dispatched_on_commit(
    ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = message_send(ticket=ticket, by=agent, body="  Bom dia!  ")

    message.refresh_from_db()
    assert message.direction == Message.Direction.OUTBOUND
    assert message.sender == Message.Sender.AGENT
    assert message.sender_user == agent
    assert message.body == "Bom dia!"
    assert message.status == Message.Status.QUEUED
    assert message.dispatched_at is not None
    ticket.refresh_from_db()
    assert ticket.answered is True
    assert ticket.unread_count == 2  # the agent's own message is never unread
    assert ticket.last_message_preview == "Bom dia!"
    assert ticket.events.filter(kind=TicketEvent.Kind.MESSAGE_OUT).count() == 1


def test_an_agent_cannot_send_on_a_ticket_assigned_to_someone_else(ticket):
    other = UserFactory()

    with pytest.raises(ApplicationError) as exc:
        message_send(ticket=ticket, by=other, body="oi")

    assert exc.value.code == "ticket_not_assigned_to_you"
    assert exc.value.http_status == 403
    assert not Message.objects.filter(ticket=ticket).exists()


def test_an_admin_can_send_on_any_open_ticket(ticket):
    message = message_send(ticket=ticket, by=AdminFactory(), body="oi")

    assert message.pk is not None


@pytest.mark.parametrize("status", [Ticket.Status.PENDING, Ticket.Status.CLOSED])
def test_nobody_sends_on_a_ticket_that_is_not_open(in_alpha, status):
    admin = AdminFactory()
    ticket = TicketFactory(status=status)

    with pytest.raises(ApplicationError) as exc:
        message_send(ticket=ticket, by=admin, body="oi")

    assert (exc.value.code, exc.value.http_status) == ("ticket_not_open", 409)


def test_a_quote_from_another_ticket_is_refused(ticket, agent):
    elsewhere = MessageFactory()

    with pytest.raises(ApplicationError) as exc:
        message_send(ticket=ticket, by=agent, body="oi", quoted=elsewhere)

    assert (exc.value.code, exc.value.http_status) == ("quoted_message_invalid", 400)


def test_a_quote_from_the_same_ticket_is_kept(ticket, agent):
    original = MessageFactory(ticket=ticket)

    message = message_send(ticket=ticket, by=agent, body="respondendo", quoted=original)

    assert message.quoted == original


def test_an_empty_message_is_refused(ticket, agent):
    with pytest.raises(ApplicationError) as exc:
        message_send(ticket=ticket, by=agent, body="   ")

    assert exc.value.code == "message_empty"


def test_a_media_message_takes_its_kind_from_the_mime_type(ticket, agent, tmp_path):
    upload = SimpleUploadedFile("relatorio.pdf", b"%PDF-1.4 ...", content_type="application/pdf")

    message = message_send(ticket=ticket, by=agent, media=upload)

    assert message.kind == Message.Kind.DOCUMENT
    assert message.media_mime == "application/pdf"
    assert message.media_name == "relatorio.pdf"
    assert (tmp_path / message.media.name).read_bytes() == b"%PDF-1.4 ..."


def test_a_scheduled_message_is_not_dispatched_now(
    ticket, agent, django_capture_on_commit_callbacks
):
    when = timezone.now() + timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = message_send(ticket=ticket, by=agent, body="depois", scheduled_at=when)

    message.refresh_from_db()
    # only the live-update event of the new message; no hand-over to the outbound pipeline
    assert [callback.args[-1] for callback in callbacks] == [MessageCreated(message_id=message.pk)]
    assert message.scheduled_at == when
    assert message.dispatched_at is None


def test_a_scheduled_time_in_the_past_is_refused(ticket, agent):
    with pytest.raises(ApplicationError) as exc:
        message_send(
            ticket=ticket, by=agent, body="x", scheduled_at=timezone.now() - timedelta(minutes=1)
        )

    assert (exc.value.code, exc.value.http_status) == ("scheduled_at_in_past", 422)
    assert not Message.objects.filter(ticket=ticket).exists()
