"""WhatsApp message templates against the simulated Graph API: sync page by page, submit →
pending → approved by the status webhook (through the verified Meta callback) or by the
periodic re-sync, delete, a template send reaching Graph with the right payload outside the
24-hour window where free text is refused, and two tenants that never see each other's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from audit.models import AuditEntry
from channels_integrations.errors import TemplateParametersInvalid
from channels_integrations.models import InboundEvent, MessageTemplate
from channels_integrations.providers.whatsapp_cloud.provider import WhatsAppCloudProvider
from channels_integrations.services.templates import (
    template_conversation_start,
    template_delete,
    template_send,
    template_submit,
    templates_sync,
)
from channels_integrations.tasks import outbound_message_deliver_task, templates_sync_all_task
from channels_integrations.tests.support import meta_connection, post_meta, process_all
from contacts.tests.factories import ContactFactory
from core.exceptions import FieldValidationError
from tenants.channel_routes import channel_routes_set
from tenants.tenancy import tenant_scope
from tickets.errors import FreeTextWindowClosed
from tickets.free_text_window import free_text_window_check
from tickets.models import Message, Ticket
from tickets.services import message_send
from tickets.tests.factories import MessageFactory, TicketFactory

PHONE_A, WABA_A, SECRET_A = "106540352242922", "102290129340398", "app-secret-a"
PHONE_B, WABA_B, SECRET_B = "106540352242933", "102290129340399", "app-secret-b"
ORDER = [
    {
        "type": "BODY",
        "text": "Hi {{1}}, order {{2}} is ready.",
        "example": {"body_text": [["Ana", "#1"]]},
    }
]


@pytest.fixture
def sim(provider_sim, settings):
    settings.OUTBOUND_RETRY_BASE_SECONDS = 1
    return provider_sim


def _whatsapp(tenant, phone, waba, secret):
    connection = meta_connection(
        tenant,
        "whatsapp_cloud",
        route_key=phone,
        secret=secret,
        phone_number_id=phone,
        access_token=f"token-{phone}",
        business_account_id=waba,
    )
    with tenant_scope(tenant):
        channel_routes_set(
            provider="whatsapp_cloud",
            connection_public_id=connection.public_id,
            keys=WhatsAppCloudProvider().route_keys(connection.credentials),
        )
    return connection


@pytest.fixture
def wa_alpha(alpha):
    return _whatsapp(alpha.tenant, PHONE_A, WABA_A, SECRET_A)


def test_sync_reads_every_page_and_removes_what_graph_no_longer_lists(
    alpha, sim, wa_alpha, monkeypatch
):
    for n in range(7):
        sim.templates.add(WABA_A, name=f"t{n}", components=ORDER)
    sim.templates.add(WABA_A, name="t0", language="en_US", status="REJECTED")
    monkeypatch.setattr("channels_integrations.services.templates.SYNC_PAGE_SIZE", 3)
    with tenant_scope(alpha.tenant):
        assert templates_sync(connection=wa_alpha) == 8
        lists = [r for r in sim.requests if r.method == "message_templates"]
        assert len(lists) == 3  # 3 + 3 + 2, following paging.next
        rows = MessageTemplate.objects.filter(connection=wa_alpha)
        assert sorted((t.name, t.language, t.status) for t in rows)[:2] == [
            ("t0", "en_US", "REJECTED"),
            ("t0", "pt_BR", "APPROVED"),
        ]
        assert rows.get(name="t3").components == ORDER
        sim.templates.accounts[WABA_A] = sim.templates.accounts[WABA_A][:2]
        assert templates_sync(connection=wa_alpha) == 2
        assert set(rows.values_list("name", flat=True)) == {"t0", "t1"}
        synced = AuditEntry.objects.filter(action="template.synced").order_by("id")
        assert [e.extra["templates"] for e in synced] == [8, 2]
        assert {e.object_id for e in synced} == {str(wa_alpha.pk)}


def test_submit_is_pending_then_approved_by_the_status_webhook(alpha, sim, wa_alpha):
    with tenant_scope(alpha.tenant):
        template = template_submit(
            connection=wa_alpha,
            name="order_ready",
            language="pt_BR",
            category="UTILITY",
            body="Oi {{1}}, seu pedido {{2}} está pronto.",
            body_examples=["Ana", "#12"],
            header_text="Pedido {{1}}",
            header_example="#12",
            footer="Loja Exemplo",
            quick_replies=["Obrigado"],
            url_button={
                "text": "Acompanhar",
                "url": "https://loja.example/p/{{1}}",
                "example": "https://loja.example/p/12",
            },
        )
        assert template.status == MessageTemplate.Status.PENDING
        assert template.external_id
        submitted = AuditEntry.objects.get(action="template.submitted")
        assert (submitted.object_id, submitted.extra) == (str(template.pk), {"language": "pt_BR"})
    created = sim.templates.find("order_ready", "pt_BR")
    assert created["status"] == "PENDING"
    assert created["components"][0] == {
        "type": "HEADER",
        "format": "TEXT",
        "text": "Pedido {{1}}",
        "example": {"header_text": ["#12"]},
    }

    body = sim.templates.review(WABA_A, template.external_id, "APPROVED")
    assert post_meta(body, secret="wrong").status_code in (401, 403)
    assert post_meta(body, secret=SECRET_A).status_code == 200
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        template.refresh_from_db()
        assert template.status == MessageTemplate.Status.APPROVED
        assert InboundEvent.objects.get(kind="template").status == "processed"
    # A redelivery of the same webhook is dropped.
    assert post_meta(body, secret=SECRET_A).status_code == 200
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.filter(kind="template").count() == 1

    rejected = sim.templates.review(WABA_A, template.external_id, "REJECTED", "INVALID_FORMAT")
    assert post_meta(rejected, secret=SECRET_A).status_code == 200
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        template.refresh_from_db()
        assert (template.status, template.rejected_reason) == ("REJECTED", "INVALID_FORMAT")


def test_a_lost_webhook_is_caught_by_the_periodic_resync(alpha, sim, wa_alpha):
    with tenant_scope(alpha.tenant):
        template = template_submit(
            connection=wa_alpha, name="hello", language="en_US", category="MARKETING", body="Hi!"
        )
    sim.templates.review(WABA_A, template.external_id, "APPROVED")  # webhook never posted
    with tenant_scope(alpha.tenant):
        assert templates_sync_all_task.apply().get() == 1
        template.refresh_from_db()
        assert template.status == "APPROVED"


def test_submit_refuses_a_bad_definition_before_calling_graph(alpha, sim, wa_alpha):
    with tenant_scope(alpha.tenant), pytest.raises(FieldValidationError) as refused:
        template_submit(
            connection=wa_alpha,
            name="Bad Name",
            language="pt_BR",
            category="UTILITY",
            body="Oi {{2}}",
        )
    assert refused.value.code == "validation_error"
    assert "name" in refused.value.extra["fields"]
    assert sim.requests == []


def test_delete_removes_it_at_whatsapp_and_here(alpha, sim, wa_alpha):
    sim.templates.add(WABA_A, name="bye", components=[{"type": "BODY", "text": "Bye"}])
    with tenant_scope(alpha.tenant):
        templates_sync(connection=wa_alpha)
        bye = MessageTemplate.objects.get(name="bye")
        bye_id = bye.pk
        template_delete(template=bye)
        assert not MessageTemplate.objects.exists()
        deleted = AuditEntry.objects.get(action="template.deleted")
        assert (deleted.object_type, deleted.object_id) == (
            "channels_integrations.messagetemplate",
            str(bye_id),
        )
    assert sim.templates.find("bye", "pt_BR") is None


def _stale_ticket(connection, hours):
    agent = UserFactory()
    contact = ContactFactory(name="Ana Souza", phone="+5511988887777")
    ticket = TicketFactory(
        connection=connection, contact=contact, status=Ticket.Status.OPEN, assignee=agent
    )
    wrote = MessageFactory(ticket=ticket, provider_message_id="wamid.IN1")
    at = timezone.now() - timedelta(hours=hours)
    Message.objects.filter(pk=wrote.pk).update(created_at=at)
    Ticket.objects.filter(pk=ticket.pk).update(last_inbound_at=at)
    ticket.refresh_from_db()
    return ticket, agent


def test_outside_the_window_free_text_is_refused_and_a_template_reaches_graph(
    alpha, sim, wa_alpha, django_capture_on_commit_callbacks
):
    sim.templates.add(WABA_A, name="order", components=ORDER)
    with tenant_scope(alpha.tenant):
        templates_sync(connection=wa_alpha)
        template = MessageTemplate.objects.get(name="order")
        ticket, agent = _stale_ticket(wa_alpha, hours=25)
        with pytest.raises(FreeTextWindowClosed):
            free_text_window_check(ticket)
        with pytest.raises(TemplateParametersInvalid):
            template_send(ticket=ticket, by=agent, template=template, parameters={"body.1": "Ana"})
        assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
        with django_capture_on_commit_callbacks(execute=True):
            message = template_send(
                ticket=ticket,
                by=agent,
                template=template,
                parameters={"body.1": "Ana", "body.2": "#77"},
            )
        assert message.body == "Hi Ana, order #77 is ready."
        assert outbound_message_deliver_task.apply(args=(message.delivery.pk,)).get() == "sent"
        message.refresh_from_db()
        assert message.status == "sent"
        assert message.provider_message_id.startswith("wamid.SIM")
    (send,) = sim.sends()
    assert send.body["type"] == "template"
    assert send.body["to"] == "5511988887777"
    assert send.body["template"] == {
        "name": "order",
        "language": {"code": "pt_BR"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#77"}],
            }
        ],
    }


def test_inside_the_window_free_text_still_goes(alpha, sim, wa_alpha):
    with tenant_scope(alpha.tenant):
        ticket, agent = _stale_ticket(wa_alpha, hours=23)
        free_text_window_check(ticket)
        assert message_send(ticket=ticket, by=agent, body="Hello!").body == "Hello!"


def test_graph_refuses_a_template_with_the_wrong_parameter_count(
    alpha, sim, wa_alpha, django_capture_on_commit_callbacks
):
    """Our definition went stale (edited in Meta's tools): Graph's 132000 fails the message
    for good with WhatsApp's reason, and it is never sent."""
    sim.templates.add(WABA_A, name="order", components=ORDER)
    with tenant_scope(alpha.tenant):
        templates_sync(connection=wa_alpha)
        template = MessageTemplate.objects.get(name="order")
        template.components = [{"type": "BODY", "text": "Hi {{1}}"}]
        template.save()
        ticket, agent = _stale_ticket(wa_alpha, hours=30)
        with django_capture_on_commit_callbacks(execute=True):
            message = template_send(
                ticket=ticket, by=agent, template=template, parameters={"body.1": "Ana"}
            )
        outbound_message_deliver_task.apply(args=(message.delivery.pk,))
        message.refresh_from_db()
        assert message.status == "failed"
    assert sim.sends() == []


def test_a_conversation_starts_with_a_template_and_not_with_text(alpha, sim, wa_alpha):
    sim.templates.add(WABA_A, name="order", components=ORDER)
    with tenant_scope(alpha.tenant):
        templates_sync(connection=wa_alpha)
        agent = UserFactory()
        template = MessageTemplate.objects.get(name="order")
        ticket = template_conversation_start(
            by=agent,
            template=template,
            parameters={"body.1": "Bia", "body.2": "#5"},
            phone="+55 11 97777-6666",
        )
        message = ticket.messages.get()
        assert message.payload["template"]["name"] == "order"
        assert ticket.contact.phone == "+5511977776666"


def test_two_tenants_never_see_each_others_templates(alpha, beta, sim, wa_alpha):
    wa_beta = _whatsapp(beta.tenant, PHONE_B, WABA_B, SECRET_B)
    sim.templates.add(WABA_A, name="alpha_only", components=ORDER)
    sim.templates.add(WABA_B, name="beta_only", components=ORDER)
    with tenant_scope(alpha.tenant):
        templates_sync(connection=wa_alpha)
    with tenant_scope(beta.tenant):
        templates_sync(connection=wa_beta)
        assert list(MessageTemplate.objects.values_list("name", flat=True)) == ["beta_only"]
        beta_template = MessageTemplate.objects.get()
    with tenant_scope(alpha.tenant):
        assert list(MessageTemplate.objects.values_list("name", flat=True)) == ["alpha_only"]
    # Beta's review webhook changes beta's row only.
    body = sim.templates.review(WABA_B, beta_template.external_id, "PAUSED")
    assert post_meta(body, secret=SECRET_B).status_code == 200
    process_all(alpha.tenant)
    process_all(beta.tenant)
    with tenant_scope(beta.tenant):
        assert MessageTemplate.objects.get().status == "PAUSED"
    with tenant_scope(alpha.tenant):
        assert MessageTemplate.objects.get().status == "APPROVED"
        assert not InboundEvent.objects.filter(kind="template").exists()
