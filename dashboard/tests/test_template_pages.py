"""Message templates in the dashboard: the admin's /manage/templates/ (list per connection with
status, language, category and parameters; sync; submit; detail; confirmed delete) and the
panel's composer, which outside WhatsApp's 24-hour window offers only approved templates, fills
their parameters from the contact, previews and sends one through the outbound pipeline."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from channels_integrations.models import MessageTemplate
from channels_integrations.tests.test_templates import WABA_A
from channels_integrations.tests.test_templates import _whatsapp as whatsapp
from conftest import signed_in_client
from contacts.tests.factories import ContactFactory
from simulator import Simulator
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import MessageFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
GREETING = [
    {
        "type": "BODY",
        "text": "Olá {{first_name}}, seu protocolo {{protocol}} foi atualizado.",
        "example": {
            "body_text_named_params": [
                {"param_name": "first_name", "example": "Ana"},
                {"param_name": "protocol", "example": "2024-1"},
            ]
        },
    }
]


@pytest.fixture
def provider_sim(settings):
    simulator = Simulator().start()
    settings.META_GRAPH_API_URL = simulator.graph_url
    yield simulator
    simulator.stop()


@pytest.fixture
def desk(alpha, provider_sim):
    connection = whatsapp(alpha.tenant, "106540352242922", WABA_A, "app-secret-a")
    provider_sim.templates.add(WABA_A, name="update", components=GREETING)
    provider_sim.templates.add(WABA_A, name="waiting", status="PENDING")
    with tenant_scope(alpha.tenant):
        agent = UserFactory(name="Carla")
        contact = ContactFactory(name="Bia Souza", phone="+5511988887777")
        ticket = TicketFactory(
            connection=connection, contact=contact, status=Ticket.Status.OPEN, assignee=agent
        )
        wrote = MessageFactory(ticket=ticket, provider_message_id="wamid.W1")
        old = timezone.now() - timedelta(hours=30)
        Message.objects.filter(pk=wrote.pk).update(created_at=old)
        Ticket.objects.filter(pk=ticket.pk).update(last_inbound_at=old)
    return {"connection": connection, "agent": agent, "ticket": ticket, "sim": provider_sim}


def _admin(alpha):
    from accounts.models import User

    with tenant_scope(alpha.tenant):
        admin = User.objects.get(email=alpha.admin_email)
    return signed_in_client(alpha, admin, alpha.admin_password)


def test_admin_syncs_lists_submits_and_deletes(alpha, desk):
    client = _admin(alpha)
    page = client.get("/manage/templates/")
    assert page.status_code == 200
    assert "Nenhum modelo ainda" in page.content.decode()
    synced = client.post(f"/manage/templates/sync/{desk['connection'].public_id}/", follow=True)
    html = synced.content.decode()
    assert html.count('data-testid="template-row"') == 2
    assert "Em revisão" in html
    assert "Aprovado" in html

    submitted = client.post(
        "/manage/templates/",
        {
            "connection": desk["connection"].pk,
            "name": "pix_reminder",
            "language": "pt_BR",
            "category": "UTILITY",
            "body": "Oi {{1}}, seu Pix de {{2}} vence hoje.",
            "body_examples": "Ana\nR$ 10,00",
            "quick_replies": "Já paguei",
        },
        follow=True,
    )
    assert submitted.status_code == 200
    detail = submitted.content.decode()
    assert "Oi Ana, seu Pix de R$ 10,00 vence hoje." in detail  # preview with the examples
    assert "Em revisão" in detail
    assert "data-confirm=" in detail
    bad = client.post(
        "/manage/templates/",
        {
            "connection": desk["connection"].pk,
            "name": "Bad Name",
            "language": "pt_BR",
            "category": "UTILITY",
            "body": "Oi",
        },
    )
    assert bad.status_code == 400
    assert "Só letras minúsculas, dígitos e _." in bad.content.decode()

    with tenant_scope(alpha.tenant):
        created = MessageTemplate.objects.get(name="pix_reminder")
    deleted = client.post(f"/manage/templates/{created.public_id}/delete/", follow=True)
    assert deleted.status_code == 200
    assert desk["sim"].templates.find("pix_reminder", "pt_BR") is None
    with tenant_scope(alpha.tenant):
        assert not MessageTemplate.objects.filter(name="pix_reminder").exists()


def test_agents_cannot_open_the_templates_pages(alpha, desk):
    client = signed_in_client(alpha, desk["agent"])
    assert client.get("/manage/templates/").status_code in (302, 403)


def test_outside_the_window_the_composer_offers_only_approved_templates(alpha, desk):
    _admin(alpha).post(f"/manage/templates/sync/{desk['connection'].public_id}/")
    client = signed_in_client(alpha, desk["agent"])
    ticket = desk["ticket"]
    html = client.get(f"/tickets/{ticket.public_id}/panel/", **HTMX).content.decode()
    assert 'data-testid="window-closed"' in html
    assert 'data-testid="composer-input"' not in html
    assert ">update (pt_BR)<" in html
    assert "waiting" not in html
    with tenant_scope(alpha.tenant):
        update = MessageTemplate.objects.get(name="update")
        waiting = MessageTemplate.objects.get(name="waiting")

    fields = client.get(
        f"/tickets/{ticket.public_id}/template-fields/", {"template": update.public_id}, **HTMX
    ).content.decode()
    assert 'name="p:body.first_name" value="Bia"' in fields  # from the contact
    assert 'name="p:body.protocol" value=""' in fields
    assert "+5511988887777" in fields  # offered as a suggestion
    preview = client.get(
        f"/tickets/{ticket.public_id}/template-preview/",
        {"template": update.public_id, "p:body.first_name": "Bia", "p:body.protocol": "77"},
        **HTMX,
    ).content.decode()
    assert "Olá Bia, seu protocolo 77 foi atualizado." in preview

    url = f"/tickets/{ticket.public_id}/template-messages/"
    missing = client.post(url, {"template": update.public_id, "p:body.first_name": "Bia"}, **HTMX)
    assert missing.status_code == 400
    assert "body.protocol" in unquote(missing["X-Error-Message"])
    assert client.post(url, {"template": waiting.public_id}, **HTMX).status_code == 404
    text = client.post(f"/tickets/{ticket.public_id}/messages/", {"body": "Oi"}, **HTMX)
    assert text.status_code == 422
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()

    sent = client.post(
        url,
        {"template": update.public_id, "p:body.first_name": "Bia", "p:body.protocol": "77"},
        **HTMX,
    )
    assert sent.status_code == 200
    assert "Olá Bia, seu protocolo 77 foi atualizado." in sent.content.decode()
    with tenant_scope(alpha.tenant):
        message = Message.objects.get(direction=Message.Direction.OUTBOUND)
        assert message.payload["template"]["components"][0]["parameters"][1] == {
            "type": "text",
            "parameter_name": "protocol",
            "text": "77",
        }


def test_inside_the_window_the_composer_is_the_usual_one(alpha, desk):
    with tenant_scope(alpha.tenant):
        MessageFactory(ticket=desk["ticket"], provider_message_id="wamid.W2")
        Ticket.objects.filter(pk=desk["ticket"].pk).update(last_inbound_at=timezone.now())
    client = signed_in_client(alpha, desk["agent"])
    html = client.get(f"/tickets/{desk['ticket'].public_id}/panel/", **HTMX).content.decode()
    assert 'data-testid="composer-input"' in html
    assert 'data-testid="window-closed"' not in html


def test_a_new_conversation_starts_with_a_template(alpha, desk):
    _admin(alpha).post(f"/manage/templates/sync/{desk['connection'].public_id}/")
    with tenant_scope(alpha.tenant):
        update = MessageTemplate.objects.get(name="update")
        contact = ContactFactory(name="Davi Lima", phone="+5511966665555")
    client = signed_in_client(alpha, desk["agent"])
    page = client.get("/conversations/new/", {"contact": contact.public_id}).content.decode()
    assert 'data-testid="conversation-template-choice"' in page
    assert "waiting" not in page  # pending templates are not offered
    chosen = client.get(
        "/conversations/new/", {"contact": contact.public_id, "template": update.public_id}
    ).content.decode()
    assert 'name="p:body.first_name" value="Davi"' in chosen
    form = {"contact": contact.public_id, "template": update.public_id}
    refused = client.post("/conversations/new/", {**form, "p:body.first_name": "Davi"})
    assert refused.status_code == 400
    assert "Preencha este parâmetro." in refused.content.decode()
    started = client.post(
        "/conversations/new/", {**form, "p:body.first_name": "Davi", "p:body.protocol": "9"}
    )
    assert started.status_code == 302
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get(contact=contact)
        assert ticket.assignee_id == desk["agent"].pk
        message = ticket.messages.get()
        assert message.body == "Olá Davi, seu protocolo 9 foi atualizado."
        assert message.payload["template"]["name"] == "update"
