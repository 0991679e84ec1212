"""Unreadable parts of authentic webhook deliveries (a message without its id or sender, a
status without its message id) are quarantined in their tenant: stored raw with a reason,
logged, shown to that tenant's admins on /manage/inbound/, never dropped and never processed;
the readable items of the same delivery go on as usual."""

from __future__ import annotations

import copy
import json
import logging

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.tests.support import fixture_json
from channels_integrations.providers.telegram.tests.support import (
    fixture,
    post_update,
    telegram_connection,
)
from channels_integrations.tests.support import (
    meta_connection,
    post_meta,
    process_all,
    whatsapp_numbers,
)
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Message

PHONE_ALPHA = "106540352242922"
PHONE_BETA = "106540352249999"
PAGE = "682498302938465"


@pytest.fixture
def numbers(alpha, beta):
    return {
        **whatsapp_numbers(alpha, beta),
        "page": meta_connection(
            alpha.tenant,
            "messenger",
            route_key=PAGE,
            secret="alpha-app-secret",
            page_id=PAGE,
            page_access_token="p",
        ),
    }


def whatsapp_with_a_message_without_id(phone: str = PHONE_ALPHA) -> bytes:
    """A text message and, beside it, the same message missing its id."""
    payload = fixture_json("whatsapp_cloud", "text")
    payload.pop("_doc")
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone
    broken = copy.deepcopy(value["messages"][0])
    del broken["id"]
    broken["text"]["body"] = "Without an id"
    value["messages"].append(broken)
    return json.dumps(payload).encode()


def _events(tenant, **filters):
    with tenant_scope(tenant):
        return list(InboundEvent.objects.filter(**filters).order_by("pk"))


def test_a_whatsapp_message_without_id_is_quarantined_in_its_tenant_and_logged(
    alpha, beta, numbers, caplog
):
    body = whatsapp_with_a_message_without_id()
    with caplog.at_level(logging.WARNING, logger="channels_integrations.services.inbound"):
        responses = [post_meta(body, secret="alpha-app-secret") for _ in range(2)]

    assert {response.status_code for response in responses} == {200}
    process_all(alpha.tenant)
    (quarantined,) = _events(alpha.tenant, status="quarantined")
    assert (quarantined.kind, quarantined.last_error) == ("malformed", "message_without_id")
    raw = quarantined.item["raw"]
    (message,) = raw["entry"][0]["changes"][0]["value"]["messages"]
    assert message["text"]["body"] == "Without an id"
    assert raw["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] == PHONE_ALPHA
    # Logged once (the redelivery is the same part), naming the connection.
    logged = [r for r in caplog.records if "quarantined" in r.getMessage()]
    assert len(logged) == 1
    assert str(numbers["alpha"].public_id) in logged[0].getMessage()
    # The readable message of the same delivery was stored as usual.
    with tenant_scope(alpha.tenant):
        assert list(Message.objects.values_list("body", flat=True)) == [
            "Does it come in another color?"
        ]
    assert _events(beta.tenant) == []


def test_a_messenger_message_without_mid_and_a_status_without_id_are_quarantined(alpha, numbers):
    page = fixture_json("messenger", "message_text")
    page.pop("_doc")
    del page["entry"][0]["messaging"][0]["message"]["mid"]
    assert post_meta(json.dumps(page).encode(), secret="alpha-app-secret").status_code == 200

    status = fixture_json("whatsapp_cloud", "status_sent")
    status.pop("_doc")
    del status["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    assert post_meta(json.dumps(status).encode(), secret="alpha-app-secret").status_code == 200

    reasons = [(e.connection_id, e.last_error) for e in _events(alpha.tenant, status="quarantined")]
    assert reasons == [
        (numbers["page"].pk, "message_without_id"),
        (numbers["alpha"].pk, "status_without_id"),
    ]


def test_a_telegram_message_without_its_id_is_quarantined(alpha, media_root):
    bot = telegram_connection(alpha.tenant)
    update = fixture("message_text.json")
    del update["message"]["message_id"]

    assert post_update(bot, json.dumps(update).encode()).status_code == 200

    (event,) = _events(alpha.tenant)
    assert (event.status, event.last_error) == ("quarantined", "message_without_id")
    assert event.item["raw"] == update


def test_quarantined_parts_are_shown_to_their_tenants_admins_only(alpha, beta, numbers):
    post_meta(whatsapp_with_a_message_without_id(), secret="alpha-app-secret")
    with tenant_scope(alpha.tenant):
        admin, agent = AdminFactory(), UserFactory()
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()

    page = signed_in_client(alpha, admin).get("/manage/inbound/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="inbound-row"') == 1
    assert "Uma mensagem sem o seu id" in html  # the reason, in the admin's language
    assert "Without an id" in html  # the raw part
    assert signed_in_client(alpha, agent).get("/manage/inbound/").status_code == 403
    beta_page = signed_in_client(beta, beta_admin).get("/manage/inbound/").content.decode()
    assert 'data-testid="inbound-empty"' in beta_page


def test_a_telegram_update_whose_parts_have_unexpected_types_is_quarantined(alpha, media_root):
    bot = telegram_connection(alpha.tenant)
    update = fixture("message_photo.json")
    update["message"]["photo"] = "not a list of sizes"

    response = post_update(bot, json.dumps(update).encode())

    assert response.status_code == 200
    (event,) = _events(alpha.tenant)
    assert (event.status, event.last_error) == ("quarantined", "unreadable_content")


@pytest.mark.parametrize("changes", [1, "x", {"value": {}}])
def test_a_meta_body_whose_changes_are_not_a_list_is_refused_not_a_500(
    alpha, beta, numbers, changes
):
    body = json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": changes}]}
    ).encode()

    for secret in (None, "alpha-app-secret"):
        response = post_meta(body, secret=secret)
        assert 400 <= response.status_code < 500
        assert set(response.json()) == {"code", "message", "extra"}
    assert _events(alpha.tenant) == []
    assert _events(beta.tenant) == []
