"""WhatsApp error webhooks through /webhooks/meta/: ``errors`` on the webhook's value (about the
number or account) and on a failed status (about one message) reach the connection's status and
the message's status with a readable, translated reason, shown to admins (connection pages) and
agents (the message bubble); each tenant's number only.

https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/errors
https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
"""

from __future__ import annotations

import json

import pytest

from accounts.tests.factories import AdminFactory
from channels_integrations.providers.meta.tests.support import fixture_json
from channels_integrations.tests.support import (
    post_meta,
    process_all,
    whatsapp_numbers,
)
from conftest import signed_in_client
from connections.models import ChannelConnection
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.tests.factories import MessageFactory, TicketFactory

PHONE_ALPHA = "106540352242922"  # the fixtures' phone_number_id
PHONE_BETA = "106540352249999"
FAILED_WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJERjkxRDAyNDY2ODkyODRGNzEA"
THROUGHPUT_PT = (
    "O WhatsApp está limitando a velocidade de envio deste número (limite de vazão). Envie "
    "menos mensagens de uma vez e tente de novo. (erro 130429 do WhatsApp)"
)


@pytest.fixture
def numbers(alpha, beta):
    return whatsapp_numbers(alpha, beta)


def _body(name: str, *, phone: str = PHONE_ALPHA, error: dict | None = None) -> bytes:
    payload = fixture_json("whatsapp_cloud", name)
    payload.pop("_doc")
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone
    if error is not None:
        target = value["statuses"][0] if "statuses" in value else value
        target["errors"] = [error]
    return json.dumps(payload).encode()


def _sent_reply(tenant, connection, wamid=FAILED_WAMID):
    with tenant_scope(tenant):
        ticket = TicketFactory(connection=connection)
        return MessageFactory(
            ticket=ticket,
            direction="out",
            sender="agent",
            body="Seu pedido saiu para entrega",
            status="sent",
            provider_message_id=wamid,
        )


def _connection(tenant, connection) -> ChannelConnection:
    with tenant_scope(tenant):
        return ChannelConnection.objects.get(pk=connection.pk)


def test_an_account_error_puts_that_tenants_number_in_error_with_a_readable_reason(
    alpha, beta, numbers
):
    response = post_meta(_body("errors"), secret="alpha-app-secret")

    assert response.status_code == 200
    process_all(alpha.tenant)
    process_all(beta.tenant)
    number = _connection(alpha.tenant, numbers["alpha"])
    assert (number.status, number.status_detail) == ("error", THROUGHPUT_PT)
    assert _connection(beta.tenant, numbers["beta"]).status == "connected"
    with tenant_scope(alpha.tenant):
        assert Message.objects.count() == 0
        admin = AdminFactory()
    client = signed_in_client(alpha, admin)
    page = client.get(f"/manage/connections/{number.public_id}/").content.decode()
    assert THROUGHPUT_PT in page
    listing = client.get("/manage/connections/").content.decode()
    assert 'data-testid="connection-status">Erro<' in listing


def test_a_failed_status_fails_the_message_with_a_readable_reason_in_the_bubble(
    alpha, beta, numbers
):
    reply = _sent_reply(alpha.tenant, numbers["alpha"])
    beta_reply = _sent_reply(beta.tenant, numbers["beta"])  # the same wamid in the other tenant

    assert post_meta(_body("status_failed"), secret="alpha-app-secret").status_code == 200
    process_all(alpha.tenant)

    with tenant_scope(alpha.tenant):
        reply.refresh_from_db()
        admin = AdminFactory()
    assert (reply.status, reply.error_code) == ("failed", "whatsapp_window_closed")
    assert reply.error_detail.startswith("Já se passaram mais de 24 horas")
    assert reply.error_detail.endswith("(erro 131047 do WhatsApp)")
    # The customer's 24-hour window is not the number's problem.
    assert _connection(alpha.tenant, numbers["alpha"]).status == "connected"
    with tenant_scope(beta.tenant):
        beta_reply.refresh_from_db()
    assert beta_reply.status == "sent"
    panel = signed_in_client(alpha, admin).get(
        f"/tickets/{reply.ticket.public_id}/panel/", HTTP_HX_REQUEST="true"
    )
    assert reply.error_detail in panel.content.decode()


def test_a_failed_status_with_an_account_error_fails_the_message_and_the_number(alpha, numbers):
    reply = _sent_reply(alpha.tenant, numbers["alpha"])
    throughput = fixture_json("whatsapp_cloud", "errors")["entry"][0]["changes"][0]["value"][
        "errors"
    ][0]

    body = _body("status_failed", error=throughput)
    assert post_meta(body, secret="alpha-app-secret").status_code == 200
    process_all(alpha.tenant)

    with tenant_scope(alpha.tenant):
        reply.refresh_from_db()
    assert (reply.status, reply.error_code, reply.error_detail) == (
        "failed",
        "meta_130429",
        THROUGHPUT_PT,
    )
    number = _connection(alpha.tenant, numbers["alpha"])
    assert (number.status, number.status_detail) == ("error", THROUGHPUT_PT)


def test_an_error_without_a_known_reason_shows_metas_words_with_its_number(alpha, numbers):
    reply = _sent_reply(alpha.tenant, numbers["alpha"])
    error = {"code": 131999, "title": "Brand new error", "error_data": {"details": "Details."}}

    post_meta(_body("status_failed", error=error), secret="alpha-app-secret")
    process_all(alpha.tenant)

    with tenant_scope(alpha.tenant):
        reply.refresh_from_db()
    assert reply.error_detail == "Erro 131999 do WhatsApp: Brand new error: Details."
