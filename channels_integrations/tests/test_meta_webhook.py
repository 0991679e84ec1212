"""The shared Meta callback ``/webhooks/meta/``: handshake, routing by account across tenants,
signatures, duplicates; WhatsApp Cloud, Messenger and Instagram bodies from the documented
fixtures (providers/<name>/fixtures, each with its doc page)."""

from __future__ import annotations

import copy
import json

import pytest

from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.signatures import sign
from channels_integrations.providers.meta.tests.support import fixture_json
from channels_integrations.tests.support import META_URL as URL
from channels_integrations.tests.support import meta_connection, post_meta, process_all
from conftest import host_client
from contacts.models import ContactIdentity
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.tests.factories import MessageFactory, TicketFactory

PHONE_ALPHA = "106540352242922"  # the fixture's phone_number_id
PHONE_BETA = "106540352249999"
PAGE = "682498302938465"  # the Messenger fixture's page id
PAGE_BETA = "682498302930000"
IG_ACCOUNT = "17841405822304914"  # the Instagram fixture's account id
IG_BETA = "17841405822300000"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NjlGQkZGNTI0RkY0RkYyMkYA"  # the status fixtures' id


@pytest.fixture
def meta(alpha, beta):
    """Both tenants have a WhatsApp number, a Page and an Instagram account, each tenant with
    its own Meta app (secret)."""
    return {
        "wa_alpha": meta_connection(
            alpha.tenant,
            "whatsapp_cloud",
            route_key=PHONE_ALPHA,
            secret="alpha-app-secret",
            phone_number_id=PHONE_ALPHA,
            access_token="x",
        ),
        "wa_beta": meta_connection(
            beta.tenant,
            "whatsapp_cloud",
            route_key=PHONE_BETA,
            secret="beta-app-secret",
            phone_number_id=PHONE_BETA,
            access_token="y",
        ),
        "page": meta_connection(
            alpha.tenant,
            "messenger",
            route_key=PAGE,
            secret="alpha-app-secret",
            page_id=PAGE,
            page_access_token="p",
        ),
        "page_beta": meta_connection(
            beta.tenant,
            "messenger",
            route_key=PAGE_BETA,
            secret="beta-app-secret",
            page_id=PAGE_BETA,
            page_access_token="q",
        ),
        "ig": meta_connection(
            alpha.tenant,
            "instagram",
            route_key=IG_ACCOUNT,
            secret="alpha-app-secret",
            instagram_account_id=IG_ACCOUNT,
            page_id=PAGE,
            page_access_token="p",
        ),
        "ig_beta": meta_connection(
            beta.tenant,
            "instagram",
            route_key=IG_BETA,
            secret="beta-app-secret",
            instagram_account_id=IG_BETA,
            page_id=PAGE_BETA,
            page_access_token="q",
        ),
    }


def _post(body: bytes, *, secret: str | None, header: str | None = None):
    return post_meta(body, secret=secret, header=header)


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


@pytest.fixture
def platform_token(settings):
    settings.META_VERIFY_TOKEN = "platform-verify"
    return settings.META_VERIFY_TOKEN


def test_the_handshake_echoes_the_challenge_for_the_platform_verify_token(meta, platform_token):
    response = host_client("localhost").get(
        URL,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": platform_token,
            "hub.challenge": "1158201444",
        },
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "platform-verify", "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.verify_token": "platform-verify"},
        {},
    ],
)
def test_a_wrong_or_incomplete_handshake_is_403(meta, platform_token, params):
    response = host_client("localhost").get(URL, params)
    assert response.status_code == 403
    assert response.json()["code"] == "webhook_forbidden"


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


def _messaging_text(provider: str, account: str, mid: str, text: str) -> bytes:
    """The documented Messenger/Instagram text message, addressed to ``account``; the sender
    (PSID / IGSID) is the fixture's in every copy."""
    payload = fixture_json(provider, "message_text")
    payload.pop("_doc")
    entry = payload["entry"][0]
    entry["id"] = account
    event = entry["messaging"][0]
    event["recipient"]["id"] = account
    event["message"].update(mid=mid, text=text)
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("provider", "alpha_key", "beta_key", "sender"),
    [
        ("messenger", PAGE, PAGE_BETA, "1254477777772919"),
        ("instagram", IG_ACCOUNT, IG_BETA, "1110866273958297"),
    ],
)
def test_messenger_and_instagram_deliveries_land_in_the_tenant_of_their_account(
    alpha, beta, meta, django_capture_on_commit_callbacks, provider, alpha_key, beta_key, sender
):
    with django_capture_on_commit_callbacks(execute=True):
        to_alpha = _post(
            _messaging_text(provider, alpha_key, "m_alpha", "para alpha"),
            secret="alpha-app-secret",
        )
        to_beta = _post(
            _messaging_text(provider, beta_key, "m_beta", "para beta"), secret="beta-app-secret"
        )
    assert to_alpha.status_code == to_beta.status_code == 200, (to_alpha.content, to_beta.content)
    assert to_alpha.json()["stored"] == to_beta.json()["stored"] == 1
    process_all(alpha.tenant)
    process_all(beta.tenant)
    assert _bodies(alpha.tenant) == ["para alpha"]
    assert _bodies(beta.tenant) == ["para beta"]
    name = "page" if provider == "messenger" else "ig"
    for tenant, key in ((alpha.tenant, name), (beta.tenant, f"{name}_beta")):
        with tenant_scope(tenant):
            message = Message.objects.get()
            assert message.connection_id == meta[key].pk
            identity = ContactIdentity.objects.get(external_id=sender)  # one per tenant
            assert (identity.provider, identity.contact_id) == (provider, message.ticket.contact_id)


def _shared_app_batch(alpha, beta, meta, provider):
    """One app (the platform's own) serving a number or Page of each tenant: one secret."""
    if provider == "whatsapp_cloud":
        shared_key = "106540352241111"
        meta_connection(
            beta.tenant,
            provider,
            route_key=shared_key,
            secret="alpha-app-secret",
            phone_number_id=shared_key,
            access_token="z",
        )
        payload = json.loads(_whatsapp_text(PHONE_ALPHA, "wamid.A3", "para alpha"))
        second = copy.deepcopy(payload["entry"][0])
        second["changes"][0]["value"]["metadata"]["phone_number_id"] = shared_key
        second["changes"][0]["value"]["messages"][0].update(
            id="wamid.B3", text={"body": "para beta"}
        )
        payload["entry"].append(second)
        return json.dumps(payload).encode(), "wamid.B3"
    shared_key = "682498302931111"
    meta_connection(
        beta.tenant,
        provider,
        route_key=shared_key,
        secret="alpha-app-secret",
        page_id=shared_key,
        page_access_token="z",
    )
    payload = json.loads(_messaging_text(provider, PAGE, "m_A3", "para alpha"))
    second = json.loads(_messaging_text(provider, shared_key, "m_B3", "para beta"))
    payload["entry"] += second["entry"]
    return json.dumps(payload).encode(), "m_B3"


@pytest.mark.parametrize("provider", ["whatsapp_cloud", "messenger"])
def test_one_post_for_two_tenants_under_one_app_is_split_between_them(
    alpha, beta, meta, django_capture_on_commit_callbacks, provider
):
    body, beta_mid = _shared_app_batch(alpha, beta, meta, provider)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(body, secret="alpha-app-secret")
    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 2, "duplicates": 0, "ignored": 0}
    process_all(alpha.tenant)
    process_all(beta.tenant)
    assert _bodies(alpha.tenant) == ["para alpha"]
    assert _bodies(beta.tenant) == ["para beta"]
    with tenant_scope(alpha.tenant):  # alpha's stored event holds nothing of beta's message
        assert beta_mid not in json.dumps(list(InboundEvent.objects.values_list("item")))


def test_a_batch_signed_with_one_tenants_secret_cannot_reach_the_other_tenant(alpha, beta, meta):
    payload = json.loads(_whatsapp_text(PHONE_ALPHA, "wamid.A2", "a"))
    second = copy.deepcopy(payload["entry"][0])
    second["changes"][0]["value"]["metadata"]["phone_number_id"] = PHONE_BETA
    second["changes"][0]["value"]["messages"][0]["id"] = "wamid.B2"
    payload["entry"].append(second)
    body = json.dumps(payload).encode()

    # Each tenant has its own app: neither secret vouches for the other tenant's number.
    for secret in ("alpha-app-secret", "beta-app-secret"):
        refused = _post(body, secret=secret)
        assert refused.status_code == 403
        assert refused.json()["code"] == "webhook_forbidden"
    assert (_events(alpha.tenant), _events(beta.tenant)) == (0, 0)


def test_items_for_an_unrouted_number_in_a_batch_are_acknowledged_and_ignored(alpha, meta):
    payload = json.loads(_whatsapp_text(PHONE_ALPHA, "wamid.A4", "a"))
    stray = copy.deepcopy(payload["entry"][0])
    stray["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999999"
    payload["entry"].append(stray)
    response = _post(json.dumps(payload).encode(), secret="alpha-app-secret")
    assert response.status_code == 200
    assert response.json() == {"stored": 1, "duplicates": 0, "ignored": 1}


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


def _whatsapp_without_items(phone_number_id: str) -> bytes:
    """A change our adapter stores nothing of (a ``field`` other than ``messages``)."""
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            # Template reviews are stored now (routed by the business
                            # account); a customer's marketing preference is not.
                            "field": "user_preferences",
                            "value": {
                                "user_preferences": [{"value": "stop", "category": "marketing"}],
                                "metadata": {"phone_number_id": phone_number_id},
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


@pytest.mark.parametrize(
    ("secret", "status"),
    [("alpha-app-secret", 200), ("beta-app-secret", 403), (None, 403)],
)
def test_a_delivery_with_nothing_to_store_is_acknowledged_only_when_signed(
    alpha, meta, secret, status
):
    response = _post(_whatsapp_without_items(PHONE_ALPHA), secret=secret)
    assert response.status_code == status
    assert _events(alpha.tenant) == 0


def test_a_delivery_with_nothing_to_store_for_an_unknown_account_is_404(alpha, meta):
    response = _post(_whatsapp_without_items("999999999999"), secret="alpha-app-secret")
    assert response.status_code == 404
    assert response.json()["code"] == "webhook_unknown"


def test_the_connections_webhook_url_is_the_shared_meta_url(alpha, meta, settings):
    from channels_integrations.services.connections import connection_webhook_url

    with tenant_scope(alpha.tenant):
        assert (
            connection_webhook_url(meta["wa_alpha"])
            == f"{settings.WEBHOOK_BASE_URL}/webhooks/meta/"
        )
        assert connection_webhook_url(meta["page"]).endswith("/webhooks/meta/")


# ------------------------------------------------------------------ status callbacks


def _whatsapp_statuses(*steps: tuple[str, str]) -> bytes:
    """The documented status callback of WAMID with the given ``(status, unix time)`` steps:
    https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
    """
    payload = fixture_json("whatsapp_cloud", "status_delivered_read")
    payload.pop("_doc")
    value = payload["entry"][0]["changes"][0]["value"]
    template = value["statuses"][0]
    value["statuses"] = [{**template, "status": s, "timestamp": t} for s, t in steps]
    return json.dumps(payload).encode()


def _reply(tenant, connection, status=Message.Status.QUEUED):
    with tenant_scope(tenant):
        return MessageFactory(
            ticket=TicketFactory(connection=connection),
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.AGENT,
            sender_contact=None,
            status=status,
            provider_message_id=WAMID,
        )


def _deliver_to_alpha(alpha, body, capture):
    with capture(execute=True):
        response = _post(body, secret="alpha-app-secret")
    assert response.status_code == 200, response.content
    process_all(alpha.tenant)


def test_status_callbacks_move_a_reply_sent_delivered_read_in_its_tenant_only(
    alpha, beta, meta, django_capture_on_commit_callbacks
):
    reply = _reply(alpha.tenant, meta["wa_alpha"])
    same_id_in_beta = _reply(beta.tenant, meta["wa_beta"], status=Message.Status.SENT)
    seen = []
    for steps in ((("sent", "1750263773"),), (("delivered", "1750263775"),),
                  (("read", "1750263790"),)):  # fmt: skip
        _deliver_to_alpha(alpha, _whatsapp_statuses(*steps), django_capture_on_commit_callbacks)
        with tenant_scope(alpha.tenant):
            reply.refresh_from_db()
        seen.append(reply.status)

    assert seen == ["sent", "delivered", "read"]
    assert [int(t.timestamp()) for t in (reply.sent_at, reply.delivered_at, reply.read_at)] == [
        1750263773,
        1750263775,
        1750263790,
    ]
    with tenant_scope(beta.tenant):
        same_id_in_beta.refresh_from_db()
    assert (same_id_in_beta.status, same_id_in_beta.read_at) == ("sent", None)


def test_a_delivered_callback_arriving_after_read_leaves_the_reply_read(
    alpha, meta, django_capture_on_commit_callbacks
):
    reply = _reply(alpha.tenant, meta["wa_alpha"], status=Message.Status.SENT)
    capture = django_capture_on_commit_callbacks
    _deliver_to_alpha(alpha, _whatsapp_statuses(("read", "1750263790")), capture)
    _deliver_to_alpha(alpha, _whatsapp_statuses(("delivered", "1750263775")), capture)

    with tenant_scope(alpha.tenant):
        reply.refresh_from_db()
        events = list(InboundEvent.objects.values_list("status", flat=True))
    assert reply.status == Message.Status.READ
    assert int(reply.read_at.timestamp()) == 1750263790
    assert reply.delivered_at is not None  # implied by the read
    assert events == ["processed", "processed"]  # the late one was handled, not left waiting


def test_a_delivery_refused_while_its_connection_is_disabled_is_stored_when_meta_retries(
    alpha, meta
):
    body = _whatsapp_text(PHONE_ALPHA, "wamid.RETRY", "ainda aqui")
    with tenant_scope(alpha.tenant):
        meta["wa_alpha"].is_active = False
        meta["wa_alpha"].save()
    refused = _post(body, secret="alpha-app-secret")
    assert refused.status_code == 404
    assert refused.json()["code"] == "webhook_unknown"
    assert _events(alpha.tenant) == 0

    with tenant_scope(alpha.tenant):
        meta["wa_alpha"].is_active = True
        meta["wa_alpha"].save()
    retried = _post(body, secret="alpha-app-secret")  # Meta retries non-200 deliveries
    assert retried.status_code == 200
    assert retried.json()["stored"] == 1
