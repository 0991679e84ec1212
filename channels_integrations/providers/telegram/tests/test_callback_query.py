"""Inline keyboard taps (``callback_query``) through the bot's webhook URL, with the Bot API
answered by the provider simulator over real HTTP: the tap is the customer's answer on their
ticket, the query is always answered (the button stops spinning), and setWebhook subscribes
to exactly the update kinds we handle.

https://core.telegram.org/bots/api#callbackquery, https://core.telegram.org/bots/api#answercallbackquery,
https://core.telegram.org/bots/api#setwebhook (``allowed_updates``)
"""

from __future__ import annotations

import copy
import json

import pytest

from accounts.tests.factories import AdminFactory
from channels_integrations.models import InboundEvent
from channels_integrations.providers.telegram.payloads import HANDLED_UPDATES
from channels_integrations.providers.telegram.tests.support import fixture, post_update
from channels_integrations.services.connections import connection_create
from channels_integrations.tests.support import process_all
from simulator import Faults, Simulator
from tenants.tenancy import tenant_scope
from tickets.models import Message

ALPHA_TOKEN = "4242424242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDalpha"
BETA_TOKEN = "4343434343:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDbeta0"


@pytest.fixture
def sim(settings):
    simulator = Simulator().start()
    settings.TELEGRAM_API_BASE_URL = simulator.telegram_base_url
    yield simulator
    simulator.stop()


def _bot(tenant, token):
    with tenant_scope(tenant):
        return connection_create(
            by=AdminFactory(), provider="telegram", name="Bot", credentials={"bot_token": token}
        )


@pytest.fixture
def bots(alpha, beta, sim, django_capture_on_commit_callbacks):
    return {"alpha": _bot(alpha.tenant, ALPHA_TOKEN), "beta": _bot(beta.tenant, BETA_TOKEN)}


def _calls(sim, method, token):
    return [r.body for r in sim.requests if r.method == method and r.account == token]


def test_set_webhook_subscribes_to_every_update_kind_we_handle(bots, sim):
    (sent,) = _calls(sim, "setWebhook", ALPHA_TOKEN)
    assert sent["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert list(HANDLED_UPDATES) == sent["allowed_updates"]


def test_a_button_tap_is_the_customers_answer_and_the_query_is_answered(alpha, beta, bots, sim):
    body = json.dumps(fixture("callback_query.json")).encode()

    assert post_update(bots["alpha"], body).status_code == 200
    assert post_update(bots["alpha"], body).status_code == 200  # a redelivery
    process_all(alpha.tenant)

    with tenant_scope(alpha.tenant):
        (message,) = Message.objects.all()
        assert (message.direction, message.kind) == ("in", "text")
        assert message.body == "Falar com atendente"  # the button's text, not its data
        assert message.payload["callback_data"] == "menu:agent"
        assert message.provider_message_id == "callback:4382bfdwdsb323b2d9"
        assert message.ticket.contact.name == "Ana Souza"
    assert _calls(sim, "answerCallbackQuery", ALPHA_TOKEN) == [
        {"callback_query_id": "4382bfdwdsb323b2d9"}
    ]
    # The other tenant's bot neither got the message nor answered anything.
    with tenant_scope(beta.tenant):
        assert Message.objects.count() == 0
    assert _calls(sim, "answerCallbackQuery", BETA_TOKEN) == []


def test_the_query_is_answered_even_when_processing_the_tap_fails(alpha, bots, sim):
    update = fixture("callback_query.json")
    assert post_update(bots["alpha"], json.dumps(update).encode()).status_code == 200
    with tenant_scope(alpha.tenant):
        # A poison item: its message cannot be stored (the kind overflows its column).
        event = InboundEvent.objects.get()
        InboundEvent.objects.filter(pk=event.pk).update(item={**event.item, "kind": "x" * 40})
    process_all(alpha.tenant)

    assert len(_calls(sim, "answerCallbackQuery", ALPHA_TOKEN)) == 1
    with tenant_scope(alpha.tenant):
        assert InboundEvent.objects.get().status == "failed"


def test_a_tap_on_an_old_message_or_unknown_button_still_reaches_the_ticket(alpha, bots, sim):
    update = copy.deepcopy(fixture("callback_query.json"))
    query = update["callback_query"]
    # An InaccessibleMessage: only chat, message_id and date 0.
    query["message"] = {"chat": {"id": 1111111, "type": "private"}, "message_id": 9, "date": 0}
    assert post_update(bots["alpha"], json.dumps(update).encode()).status_code == 200
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        assert Message.objects.get().body == "menu:agent"
    assert len(_calls(sim, "answerCallbackQuery", ALPHA_TOKEN)) == 1


def test_a_failed_answer_does_not_lose_the_tap(alpha, bots, sim):
    sim.account_faults[ALPHA_TOKEN] = Faults(error_rate=1.0)
    assert post_update(bots["alpha"], json.dumps(fixture("callback_query.json")).encode())
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        assert Message.objects.get().body == "Falar com atendente"
