"""The shared Meta callback ``/webhooks/meta/``: handshake, routing by account across tenants,
signatures, duplicates; WhatsApp Cloud, Messenger and Instagram bodies from the documented
fixtures (providers/<name>/fixtures, each with its doc page)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.signatures import sign
from channels_integrations.providers.meta.tests.support import fixture_json
from channels_integrations.tests.support import process_all
from conftest import host_client
from contacts.models import ContactIdentity
from tenants.channel_routes import channel_routes_set
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.tests.factories import ConnectionFactory

URL = "/webhooks/meta/"
PHONE_ALPHA = "106540352242922"  # the fixture's phone_number_id
PHONE_BETA = "106540352249999"
PAGE = "682498302938465"  # the Messenger fixture's page id
IG_ACCOUNT = "17841405822304914"  # the Instagram fixture's account id


def _connection(tenant, provider, *, route_key, secret, verify_token="", **creds):  # noqa: S107
    with tenant_scope(tenant):
        connection = ConnectionFactory(
            provider=provider,
            credentials={"app_secret": secret, "verify_token": verify_token, **creds},
            status="connected",
        )
        channel_routes_set(
            provider=provider, connection_public_id=connection.public_id, keys=[route_key]
        )
    return connection


@pytest.fixture
def meta(alpha, beta):
    return {
        "wa_alpha": _connection(
            alpha.tenant,
            "whatsapp_cloud",
            route_key=PHONE_ALPHA,
            secret="alpha-app-secret",
            verify_token="alpha-verify",
            phone_number_id=PHONE_ALPHA,
            access_token="x",
        ),
        "wa_beta": _connection(
            beta.tenant,
            "whatsapp_cloud",
            route_key=PHONE_BETA,
            secret="beta-app-secret",
            verify_token="beta-verify",
            phone_number_id=PHONE_BETA,
            access_token="y",
        ),
        "page": _connection(
            alpha.tenant,
            "messenger",
            route_key=PAGE,
            secret="alpha-app-secret",
            page_id=PAGE,
            page_access_token="p",
        ),
        "ig": _connection(
            alpha.tenant,
            "instagram",
            route_key=IG_ACCOUNT,
            secret="alpha-app-secret",
            instagram_account_id=IG_ACCOUNT,
            page_id=PAGE,
            page_access_token="p",
        ),
    }


def _post(body: bytes, *, secret: str | None, header: str | None = None):
    headers: dict[str, Any] = {}
    signature = header if header is not None else (sign(body, secret) if secret else None)
    if signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return host_client("localhost").post(URL, data=body, content_type="application/json", **headers)


def _whatsapp_text(phone_number_id: str, message_id: str, text: str) -> bytes:
    payload = fixture_json("whatsapp_cloud", "text")
    payload.pop("_doc")
    value = payload["entry"][0]["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = phone_number_id
    value["messages"][0]["id"] = message_id
    value["messages"][0]["text"]["body"] = text
    return json.dumps(payload).encode()


def _events(tenant) -> int:
    with tenant_scope(tenant):
        return InboundEvent.objects.count()


def _bodies(tenant) -> list[str]:
    with tenant_scope(tenant):
        return list(Message.objects.order_by("pk").values_list("body", flat=True))


# ------------------------------------------------------------------ handshake


def test_the_handshake_echoes_the_challenge_for_a_connections_verify_token(meta):
    client = host_client("localhost")
    for token in ("alpha-verify", "beta-verify"):
        response = client.get(
            URL, {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
        )
        assert response.status_code == 200
        assert response.content == b"1158201444"
        assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "alpha-verify", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "alpha-verify"},
        {},
    ],
)
def test_a_wrong_or_incomplete_handshake_is_403(meta, params):
    response = host_client("localhost").get(URL, params)
    assert response.status_code == 403
    assert response.json()["code"] == "webhook_forbidden"


def test_a_disabled_connections_verify_token_no_longer_answers(alpha, meta):
    with tenant_scope(alpha.tenant):
        meta["wa_alpha"].is_active = False
        meta["wa_alpha"].save()
    response = host_client("localhost").get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": "alpha-verify", "hub.challenge": "1"}
    )
    assert response.status_code == 403


# ------------------------------------------------------------------ deliveries


def test_whatsapp_deliveries_land_in_the_tenant_of_their_number_with_identical_sender_ids(
    alpha, beta, meta, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        to_alpha = _post(
            _whatsapp_text(PHONE_ALPHA, "wamid.A1", "para alpha"), secret="alpha-app-secret"
        )
        to_beta = _post(
            _whatsapp_text(PHONE_BETA, "wamid.B1", "para beta"), secret="beta-app-secret"
        )
    assert to_alpha.status_code == 200, to_alpha.content
    assert to_alpha.json() == {"stored": 1, "duplicates": 0, "ignored": 0}
    assert to_beta.status_code == 200
    process_all(alpha.tenant)
    process_all(beta.tenant)
    assert _bodies(alpha.tenant) == ["para alpha"]
    assert _bodies(beta.tenant) == ["para beta"]
    for tenant in (alpha.tenant, beta.tenant):  # same wa_id, one contact in each tenant
        with tenant_scope(tenant):
            assert ContactIdentity.objects.filter(external_id="16505551234").count() == 1


def test_one_post_for_two_tenants_numbers_is_split_and_needs_both_signatures(alpha, beta, meta):
    payload = json.loads(_whatsapp_text(PHONE_ALPHA, "wamid.A2", "a"))
    second = copy.deepcopy(payload["entry"][0])
    second["changes"][0]["value"]["metadata"]["phone_number_id"] = PHONE_BETA
    second["changes"][0]["value"]["messages"][0]["id"] = "wamid.B2"
    payload["entry"].append(second)
    body = json.dumps(payload).encode()

    # One app secret cannot vouch for the other tenant's number: nothing stored anywhere.
    refused = _post(body, secret="alpha-app-secret")
    assert refused.status_code == 403
    assert (_events(alpha.tenant), _events(beta.tenant)) == (0, 0)


def test_messenger_and_instagram_bodies_route_by_page_and_account(alpha, meta):
    for provider, name in (("messenger", "message_text"), ("instagram", "message_text")):
        payload = fixture_json(provider, name)
        payload.pop("_doc")
        response = _post(json.dumps(payload).encode(), secret="alpha-app-secret")
        assert response.status_code == 200, (provider, response.content)
        assert response.json()["stored"] == 1
    with tenant_scope(alpha.tenant):
        providers = set(InboundEvent.objects.values_list("connection__provider", flat=True))
    assert providers == {"messenger", "instagram"}


def test_the_same_delivery_ten_times_is_one_event_and_one_message(
    alpha, meta, django_capture_on_commit_callbacks
):
    body = _whatsapp_text(PHONE_ALPHA, "wamid.DUP", "uma vez")
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):
            answers.append(_post(body, secret="alpha-app-secret"))
    assert [a.status_code for a in answers] == [200] * 10
    assert sum(a.json()["stored"] for a in answers) == 1
    assert sum(a.json()["duplicates"] for a in answers) == 9
    process_all(alpha.tenant)
    assert _bodies(alpha.tenant) == ["uma vez"]


@pytest.mark.parametrize(
    "header",
    [
        None,  # unsigned
        "sha256=" + "0" * 64,  # forged
        "sha1=" + "0" * 40,  # the old scheme
        "other-tenant",  # signed with beta's app secret
        "other-body",  # a valid signature of a different body
    ],
)
def test_forged_or_unsigned_deliveries_are_403_and_store_nothing(alpha, beta, meta, header):
    body = _whatsapp_text(PHONE_ALPHA, "wamid.F1", "falso")
    if header == "other-tenant":
        header = sign(body, "beta-app-secret")
    elif header == "other-body":
        header = sign(body + b" ", "alpha-app-secret")
    response = _post(body, secret=None, header=header)
    assert response.status_code == 403
    assert response.json()["code"] == "webhook_forbidden"
    assert (_events(alpha.tenant), _events(beta.tenant)) == (0, 0)


def test_unknown_accounts_products_and_bodies_are_refused_without_storing(alpha, meta):
    unknown_number = _post(_whatsapp_text("999999999999", "wamid.U1", "?"), secret="x")
    assert unknown_number.status_code == 404
    assert unknown_number.json()["code"] == "webhook_unknown"
    other_product = _post(b'{"object": "permissions", "entry": []}', secret="x")
    assert other_product.status_code == 404
    for garbage in (b"not json", b"[]", b'{"object": "page"}'):
        response = _post(garbage, secret="x")
        assert response.status_code == 400
        assert response.json()["code"] == "webhook_malformed"
    assert _events(alpha.tenant) == 0


def test_the_connections_webhook_url_is_the_shared_meta_url(alpha, meta, settings):
    from channels_integrations.services.connections import connection_webhook_url

    with tenant_scope(alpha.tenant):
        assert (
            connection_webhook_url(meta["wa_alpha"])
            == f"{settings.WEBHOOK_BASE_URL}/webhooks/meta/"
        )
        assert connection_webhook_url(meta["page"]).endswith("/webhooks/meta/")


# ------------------------------------------------------------------ watermarks


def _messenger_receipt(kind: str, sender: str, watermark_ms: int) -> bytes:
    """A delivery/read receipt without message ids, as documented for Messenger:
    https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-reads
    https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-deliveries
    """
    receipt: dict[str, Any] = {"watermark": watermark_ms}
    return json.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": PAGE,
                    "time": watermark_ms,
                    "messaging": [
                        {
                            "sender": {"id": sender},
                            "recipient": {"id": PAGE},
                            "timestamp": watermark_ms,
                            kind: receipt,
                        }
                    ],
                }
            ],
        }
    ).encode()


def test_read_and_delivery_watermarks_move_every_earlier_outbound_message_forward_only(
    alpha, meta, django_capture_on_commit_callbacks
):
    from contacts.tests.factories import ContactFactory
    from tickets.tests.factories import MessageFactory, TicketFactory

    base = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with tenant_scope(alpha.tenant):
        page = meta["page"]
        contact = ContactFactory()
        ContactIdentity.objects.create(contact=contact, provider="messenger", external_id="PSID-1")
        other = ContactFactory()
        ContactIdentity.objects.create(contact=other, provider="messenger", external_id="PSID-2")
        ticket = TicketFactory(contact=contact, connection=page)
        other_ticket = TicketFactory(contact=other, connection=page)

        def out(t, minutes, status, **extra):
            return MessageFactory(
                ticket=t,
                connection=page,
                direction=Message.Direction.OUTBOUND,
                sender=Message.Sender.AGENT,
                status=status,
                sent_at=base + timedelta(minutes=minutes),
                **extra,
            )

        early = out(ticket, 0, Message.Status.SENT)
        already_read = out(ticket, 1, Message.Status.READ, read_at=base)
        late = out(ticket, 10, Message.Status.SENT)
        note = out(ticket, 0, Message.Status.SENT, is_note=True)
        not_this_customer = out(other_ticket, 0, Message.Status.SENT)
    watermark = int((base + timedelta(minutes=5)).timestamp() * 1000)

    def deliver(body):
        with django_capture_on_commit_callbacks(execute=True):
            answer = _post(body, secret="alpha-app-secret")
        assert answer.status_code == 200, answer.content
        process_all(alpha.tenant)

    deliver(_messenger_receipt("read", "PSID-1", watermark))
    deliver(_messenger_receipt("delivery", "PSID-1", watermark))  # late, and lower: ignored

    with tenant_scope(alpha.tenant):
        status = {
            m.pk: m.status
            for m in Message.objects.filter(
                pk__in=[early.pk, already_read.pk, late.pk, note.pk, not_this_customer.pk]
            )
        }
        early.refresh_from_db()
    assert status[early.pk] == Message.Status.READ
    assert early.read_at is not None
    assert early.delivered_at is not None  # a read implies the delivery
    assert status[already_read.pk] == Message.Status.READ
    assert status[late.pk] == Message.Status.SENT  # sent after the watermark
    assert status[note.pk] == Message.Status.SENT  # notes are never sent, never receipted
    assert status[not_this_customer.pk] == Message.Status.SENT
