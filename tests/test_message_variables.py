"""One variable syntax everywhere: ``{{contact.first_name}}`` in quick replies, greetings,
farewells, queue greetings and the out-of-hours notice; the older ``{name}`` still renders;
a ``{{...}}`` naming no variable is refused at save (a field error, nothing stored)."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from automation.models import BusinessHours
from automation.services.business_hours import business_hours_set
from channels_integrations.services.connections import connection_create
from conftest import sign_in_api
from contacts.tests.factories import ContactFactory
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_scope
from tickets.models import ConnectionRouting, Message, Queue, QuickReply
from tickets.services.messages import ReceivedMessage, message_receive
from tickets.services.queues import queue_create, queue_update
from tickets.services.quick_replies import quick_reply_create, quick_reply_update
from tickets.services.tickets import ticket_close
from tickets.tests.factories import QueueFactory, QuickReplyFactory

UNKNOWN = "Olá {{contato.nome}}!"


@pytest.fixture
def in_alpha(alpha):
    with tenant_scope(alpha.tenant):
        yield alpha


def _refused(error: pytest.ExceptionInfo[FieldValidationError], field: str) -> str:
    (reason,) = error.value.extra["fields"][field]
    assert "{{contato.nome}}" in reason
    assert "{{contact.first_name}}" in reason  # says what may be used instead
    return reason


def test_a_quick_reply_with_an_unknown_variable_is_refused_on_create_and_update(in_alpha):
    admin = AdminFactory()
    with pytest.raises(FieldValidationError) as created:
        quick_reply_create(by=admin, shortcode="oi", body=UNKNOWN, shared=True)
    _refused(created, "body")
    assert not QuickReply.objects.exists()

    reply = quick_reply_create(
        by=admin, shortcode="oi", body="{{greeting}}, {{ contact.first_name }}!", shared=True
    )
    with pytest.raises(FieldValidationError) as updated:
        quick_reply_update(quick_reply=reply, by=admin, body="Oi {{agente.nome}}")
    assert "{{agente.nome}}" in updated.value.extra["fields"]["body"][0]
    reply.refresh_from_db()
    assert reply.body == "{{greeting}}, {{ contact.first_name }}!"


def test_automatic_messages_refuse_unknown_variables_and_the_agents_name(in_alpha):
    admin = AdminFactory()
    with pytest.raises(FieldValidationError) as greeting:
        connection_create(
            by=admin,
            provider="webchat",
            name="Site",
            credentials={},
            greeting_message=UNKNOWN,
            farewell_message="Tchau {{agent.name}}",  # nobody signs what the system sends
        )
    _refused(greeting, "greeting_message")
    assert "farewell_message" in greeting.value.extra["fields"]
    assert not ConnectionRouting.objects.exists()

    with pytest.raises(FieldValidationError) as queue:
        queue_create(by=admin, name="Suporte", greeting_message=UNKNOWN)
    _refused(queue, "greeting_message")
    existing = QueueFactory(name="Vendas", greeting_message="Oi {{contact.first_name}}")
    with pytest.raises(FieldValidationError):
        queue_update(queue=existing, by=admin, greeting_message=UNKNOWN)
    assert Queue.objects.get(pk=existing.pk).greeting_message == "Oi {{contact.first_name}}"

    with pytest.raises(FieldValidationError) as hours:
        business_hours_set(by=admin, is_enabled=True, out_of_hours_message=UNKNOWN, intervals=[])
    _refused(hours, "out_of_hours_message")
    assert not BusinessHours.objects.exists()


def test_greeting_and_farewell_fill_the_double_brace_variables_and_the_older_ones(
    in_alpha, django_capture_on_commit_callbacks
):
    admin = AdminFactory()
    connection = connection_create(
        by=admin,
        provider="webchat",
        name="Site",
        credentials={},
        greeting_message="Olá {{contact.first_name}}! Protocolo {{ protocol }}.",
        # Stored in the older spelling before one syntax: still filled in.
        farewell_message="Atendimento {protocol} encerrado. Obrigado, {name}!",
    )
    contact = ContactFactory(name="Ana Souza")
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = message_receive(
            received=ReceivedMessage(connection=connection, contact=contact, body="oi")
        )
    ticket = first.ticket
    ticket.assignee = admin
    ticket.status = ticket.Status.OPEN
    ticket.save()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_close(ticket=ticket, by=admin)

    bodies = list(
        Message.objects.filter(ticket=ticket, sender=Message.Sender.SYSTEM)
        .order_by("pk")
        .values_list("body", flat=True)
    )
    assert bodies == [
        f"Olá Ana! Protocolo {ticket.protocol}.",
        f"Atendimento {ticket.protocol} encerrado. Obrigado, Ana Souza!",
    ]


def test_the_api_answers_a_field_error_and_the_other_tenant_is_untouched(alpha, beta, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    with tenant_scope(beta.tenant):
        QuickReplyFactory(shortcode="oi", owner=None, body="Oi {{contact.name}}")
    api = sign_in_api(api_alpha, agent.email)

    refused = api.post(
        "/api/v1/quick-replies/", {"shortcode": "oi", "body": UNKNOWN}, format="json"
    )

    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "validation_error"
    assert "{{contato.nome}}" in body["extra"]["fields"]["body"][0]
    with tenant_scope(alpha.tenant):
        assert not QuickReply.objects.exists()
    with tenant_scope(beta.tenant):
        assert QuickReply.objects.get().body == "Oi {{contact.name}}"
