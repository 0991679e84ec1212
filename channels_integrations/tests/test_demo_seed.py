"""The demo seed's conversations can be answered: they are real web chat visitors, so an
agent's reply goes through the outbound pipeline and is delivered to the visitor; the widget's
preview URL is printed on every run."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from channels_integrations.models import OutboundDelivery
from channels_integrations.providers.webchat.provider import visitor_message_prefix
from channels_integrations.tests.webchat_support import deliver, reply
from connections.models import ChannelConnection
from contacts.models import ContactIdentity
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket


def _seed(fixture, capture) -> str:
    out = StringIO()
    # The after-commit work (the greetings' dispatch) runs in the tenant, as in production.
    with tenant_scope(fixture.tenant), capture(execute=True):
        call_command(
            "seed_demo_content", "--slug", fixture.tenant.schema_name, "--port", "8123", stdout=out
        )
    return out.getvalue()


def test_every_seeded_conversation_is_answered_and_delivered_to_its_visitor(
    alpha, beta, django_capture_on_commit_callbacks
):
    _seed(alpha, django_capture_on_commit_callbacks)
    _seed(beta, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        tickets = {
            t.contact.name: t.pk for t in Ticket.objects.select_related("contact").order_by("pk")
        }
        # The greetings sent when the conversations opened went through the pipeline too.
        greetings = list(Message.objects.filter(direction=Message.Direction.OUTBOUND))
    assert set(tickets) == {"Ana Souza", "João Lima"}
    assert len(greetings) == 2
    for greeting in greetings:
        assert deliver(alpha, greeting) == "sent"
    for name, ticket_id in tickets.items():
        answer = reply(
            alpha, ticket_id, f"Olá, {name}! Já vou verificar.", django_capture_on_commit_callbacks
        )
        assert deliver(alpha, answer) == "sent"
        with tenant_scope(alpha.tenant):
            answer.refresh_from_db()
            visitor_id = ContactIdentity.objects.get(
                contact__name=name, provider="webchat"
            ).external_id
            assert answer.status == Message.Status.SENT, answer.error_detail
            assert answer.error_detail == ""
            # Named under the visitor's prefix: what their widget's history shows them.
            assert answer.provider_message_id.startswith(visitor_message_prefix(visitor_id))
    with tenant_scope(alpha.tenant):
        assert not OutboundDelivery.objects.exclude(status=OutboundDelivery.Status.SENT).exists()
        assert Message.objects.filter(status=Message.Status.FAILED).count() == 0
    with tenant_scope(beta.tenant):
        # The other tenant has its own two visitors and nothing of alpha's replies.
        assert Ticket.objects.count() == 2
        assert Message.objects.filter(body__startswith="Olá, ").count() == 0


def test_the_widget_preview_url_is_printed_on_every_run(alpha, django_capture_on_commit_callbacks):
    first = _seed(alpha, django_capture_on_commit_callbacks)
    again = _seed(alpha, django_capture_on_commit_callbacks)
    with tenant_scope(alpha.tenant):
        widget = ChannelConnection.objects.get(provider="webchat")
    url = f"http://{alpha.host}:8123/widget/{widget.public_id}/try/"
    assert f"Web chat preview: {url}" in first
    assert "Demo content already there." in again
    assert f"Web chat preview: {url}" in again
