"""Provider and delivery errors the pt-BR dashboard shows: a token Telegram refuses appears under
the token field (kept for correcting), a failed reply says what happened in Portuguese and what to
do, and "Tentar novamente" sends it again through the outbound pipeline. The Bot API is the
provider simulator over real HTTP."""

from __future__ import annotations

import json
import re

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.models import OutboundDelivery
from channels_integrations.providers.telegram.tests.support import fixture, post_update
from channels_integrations.services.connections import connection_create
from channels_integrations.tasks import outbound_message_deliver_task
from channels_integrations.tests.support import process_all
from channels_integrations.tests.webchat_support import make_widget
from conftest import signed_in_client
from connections.models import ChannelConnection
from contacts.services import contact_upsert_from_identity
from simulator import Simulator
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.services.messages import ReceivedMessage, message_receive, message_send

ALPHA_TOKEN = "4242424242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDalpha"
BETA_TOKEN = "4343434343:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDbeta0"
HTMX = {"HTTP_HX_REQUEST": "true"}
TOKEN_REFUSED = "O Telegram não aceitou este token."
REVOKED = "O canal não aceita mais as suas credenciais"


@pytest.fixture
def sim(settings):
    simulator = Simulator().start()
    settings.TELEGRAM_API_BASE_URL = simulator.telegram_base_url
    yield simulator
    simulator.stop()


# ------------------------------------------------------------------ the connection form


def test_a_refused_telegram_token_is_shown_under_its_field_and_kept(alpha, beta, sim):
    sim.revoked_tokens.add(ALPHA_TOKEN)
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    client = signed_in_client(alpha, admin)

    page = client.post(
        "/manage/connections/new/telegram/", {"name": "Loja", "bot_token": ALPHA_TOKEN}
    )

    assert page.status_code == 400
    html = page.content.decode()
    field_error = re.search(
        r'<p class="field-error" id="id_bot_token-error"[^>]*>([^<]*)</p>', html
    )
    assert field_error is not None, html
    assert field_error.group(1).startswith(TOKEN_REFUSED)
    assert "@BotFather" in field_error.group(1)
    assert "Unauthorized" not in html
    assert 'data-testid="form-errors"' not in html  # nothing at the top of the form
    # The typed token stays in its field, to be corrected rather than typed again.
    token_input = re.search(r'<input[^>]*name="bot_token"[^>]*>', html)
    assert token_input is not None
    assert f'value="{ALPHA_TOKEN}"' in token_input.group(0)
    for fixture_ in (alpha, beta):
        with tenant_scope(fixture_.tenant):
            assert not ChannelConnection.objects.exists()


# ------------------------------------------------------------------ failed replies


def _bot(tenant, token):
    with tenant_scope(tenant):
        return connection_create(
            by=AdminFactory(), provider="telegram", name="Bot", credentials={"bot_token": token}
        )


def _customer_writes(fixture_, bot) -> Ticket:
    assert post_update(bot, json.dumps(fixture("message_text.json")).encode()).status_code == 200
    process_all(fixture_.tenant)
    with tenant_scope(fixture_.tenant):
        return Ticket.objects.get()


def _reply(fixture_, ticket, agent, body, capture) -> Message:
    with tenant_scope(fixture_.tenant), capture(execute=True):
        ticket.status, ticket.assignee = Ticket.Status.OPEN, agent
        ticket.save()
        return message_send(ticket=ticket, by=agent, body=body)


def _deliver(fixture_, message) -> str:
    with tenant_scope(fixture_.tenant):
        delivery = OutboundDelivery.objects.get(message=message)
        return str(outbound_message_deliver_task.apply(args=(delivery.pk,)).get())


def _fragment(client, ticket, message) -> str:
    page = client.get(f"/tickets/{ticket.public_id}/messages/{message.public_id}/", **HTMX)
    assert page.status_code == 200
    return page.content.decode()


def test_a_failed_reply_says_why_in_portuguese_and_try_again_delivers_it(
    alpha, beta, sim, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    bots = {"alpha": _bot(alpha.tenant, ALPHA_TOKEN), "beta": _bot(beta.tenant, BETA_TOKEN)}
    ticket = _customer_writes(alpha, bots["alpha"])
    with tenant_scope(alpha.tenant):
        agent = AdminFactory()
    answer = _reply(alpha, ticket, agent, "Já vou verificar", capture)
    sim.revoked_tokens.add(ALPHA_TOKEN)  # revoked in @BotFather meanwhile

    assert _deliver(alpha, answer) == "failed"
    client = signed_in_client(alpha, agent)
    html = _fragment(client, ticket, answer)
    assert REVOKED in html
    assert 'data-code="unauthorized"' in html
    assert ">Unauthorized<" not in html  # the provider's words are only a tooltip
    assert 'data-testid="message-retry"' in html
    assert "Tentar novamente" in html

    sim.revoked_tokens.clear()  # the admin fixed the bot; the agent tries again
    with capture(execute=True):
        retried = client.post(
            f"/tickets/{ticket.public_id}/messages/{answer.public_id}/retry/", **HTMX
        )
    assert retried.status_code == 200, retried.content
    assert 'data-status="queued"' in retried.content.decode()
    assert "Tentar novamente" not in retried.content.decode()
    with tenant_scope(alpha.tenant):
        answer.refresh_from_db()
        assert (answer.status, answer.error_code, answer.error_detail) == ("queued", "", "")

    assert _deliver(alpha, answer) == "sent"
    with tenant_scope(alpha.tenant):
        answer.refresh_from_db()
        assert answer.status == Message.Status.SENT
        assert OutboundDelivery.objects.get(message=answer).status == "sent"
    sends = [r for r in sim.requests if r.method == "sendMessage" and r.status == 200]
    assert [(r.account, r.body["text"]) for r in sends] == [(ALPHA_TOKEN, "Já vou verificar")]
    assert "Tentar novamente" not in _fragment(client, ticket, answer)


def test_try_again_is_refused_clearly_where_it_does_not_apply(
    alpha, beta, sim, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    bot = _bot(alpha.tenant, ALPHA_TOKEN)
    ticket = _customer_writes(alpha, bot)
    with tenant_scope(alpha.tenant):
        owner, other = AdminFactory(), UserFactory()
    sent = _reply(alpha, ticket, owner, "Enviada", capture)
    assert _deliver(alpha, sent) == "sent"
    failed = _reply(alpha, ticket, owner, "Vai falhar", capture)
    sim.revoked_tokens.add(ALPHA_TOKEN)
    assert _deliver(alpha, failed) == "failed"
    sim.revoked_tokens.clear()
    url = f"/tickets/{ticket.public_id}/messages/{{}}/retry/"

    # A message the channel accepted is not sent twice.
    refused = signed_in_client(alpha, owner).post(url.format(sent.public_id), **HTMX)
    assert refused.status_code == 409
    assert "Só uma resposta que falhou" in refused.content.decode()
    # Only whoever may reply on the ticket sends again; the others see the reason, no button.
    others = signed_in_client(alpha, other)
    forbidden = others.post(url.format(failed.public_id), **HTMX)
    assert forbidden.status_code == 403
    assert "X-Error-Message" in forbidden
    seen_by_other = _fragment(others, ticket, failed)
    assert REVOKED in seen_by_other
    assert 'data-testid="message-retry"' not in seen_by_other
    # Another tenant's agent does not even find the ticket.
    with tenant_scope(beta.tenant):
        stranger = AdminFactory()
    assert (
        signed_in_client(beta, stranger).post(url.format(failed.public_id), **HTMX).status_code
        == 404
    )
    with tenant_scope(alpha.tenant):
        failed.refresh_from_db()
        assert failed.status == Message.Status.FAILED
        assert OutboundDelivery.objects.get(message=failed).status == "failed"
    assert not [r for r in sim.requests if r.body.get("text") == "Vai falhar" and r.status == 200]


def test_a_contact_the_web_chat_cannot_reach_gets_an_actionable_message(
    alpha, django_capture_on_commit_callbacks
):
    """The demo's old failure: a phone-only contact on a web chat widget."""
    capture = django_capture_on_commit_callbacks
    widget = make_widget(alpha.tenant)
    with tenant_scope(alpha.tenant):
        agent = AdminFactory()
        contact, _ = contact_upsert_from_identity(
            provider="webchat", external_id="visitor-ana", name="Ana Souza"
        )
        message_receive(received=ReceivedMessage(connection=widget, contact=contact, body="Oi"))
        ticket = Ticket.objects.get()
    answer = _reply(alpha, ticket, agent, "Olá!", capture)

    assert _deliver(alpha, answer) == "failed"
    html = _fragment(signed_in_client(alpha, agent), ticket, answer)
    assert "Este contato não tem uma conversa no chat do site" in html
    assert ">the contact is not a web chat visitor<" not in html
