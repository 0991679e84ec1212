"""Messenger and Instagram echoes (``message.is_echo``) through /webhooks/meta/: a message the
business sent from another tool (the Page inbox, the Instagram app) is stored as an outbound
message of the business on the customer's ticket; the echo of our own send is not stored twice.

Echoes: https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks/webhook-events/message-echoes
and https://developers.facebook.com/documentation/business-messaging/instagram-messaging/webhooks
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from channels_integrations.models import InboundEvent, OutboundDelivery
from channels_integrations.providers.meta.tests.support import fixture_json
from channels_integrations.services.inbound import InboundRetryLater, inbound_event_process
from channels_integrations.tests.support import meta_connection, post_meta, process_all
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket

PAGE = "682498302938465"  # the Messenger fixtures' page id
IG_ACCOUNT = "17841405822304914"  # the Instagram fixtures' account id
CUSTOMER = "1254477777772919"  # the Messenger fixtures' customer (PSID)
IG_CUSTOMER = "1110866273958297"  # the Instagram echo fixture's recipient
ECHO_MID = "mid.1457764197618:41d102a3e1ae206a38"


@pytest.fixture
def pages(alpha, beta):
    """The same Page id cannot be held twice, so beta's Page has its own id; both tenants'
    customers have the same PSID (ids are per Page, so they may collide across tenants)."""
    return {
        "alpha": meta_connection(
            alpha.tenant,
            "messenger",
            route_key=PAGE,
            secret="alpha-app-secret",
            page_id=PAGE,
            page_access_token="p",
        ),
        "beta": meta_connection(
            beta.tenant,
            "messenger",
            route_key="682498302930000",
            secret="beta-app-secret",
            page_id="682498302930000",
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
    }


def _body(name: str, provider: str = "messenger", *, page: str = PAGE, **message) -> bytes:
    payload = fixture_json(provider, name)
    payload.pop("_doc")
    entry = payload["entry"][0]
    entry["id"] = page
    event = entry["messaging"][0]
    if event["sender"]["id"] in (PAGE, IG_ACCOUNT):
        event["sender"]["id"] = page
    else:
        event["recipient"]["id"] = page
    if event["message"].get("is_echo"):
        event["timestamp"] = 1458692760000  # after the customer's message of message_text
    event["message"].update(message)
    return json.dumps(payload).encode()


def _customer_writes(tenant, page=PAGE, secret="alpha-app-secret"):  # noqa: S107
    response = post_meta(_body("message_text", page=page), secret=secret)
    assert response.status_code == 200, response.content
    process_all(tenant)


def _messages(tenant):
    with tenant_scope(tenant):
        return list(
            Message.objects.order_by("pk").values_list(
                "direction", "sender", "sender_user", "body", "status", "ticket_id"
            )
        )


def test_a_page_inbox_reply_is_stored_as_the_business_outbound_message_on_the_ticket(
    alpha, beta, pages
):
    _customer_writes(alpha.tenant)
    _customer_writes(beta.tenant, page="682498302930000", secret="beta-app-secret")

    response = post_meta(_body("message_echo"), secret="alpha-app-secret")

    assert response.status_code == 200
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.count() == 1
        ticket = Ticket.objects.get()
        echo = Message.objects.get(provider_message_id=ECHO_MID)
        assert echo.ticket == ticket
        assert (echo.direction, echo.sender, echo.sender_user) == ("out", "agent", None)
        assert (echo.body, echo.status) == ("Thanks, we are on it.", "sent")
        assert echo.sent_at is not None
        assert echo.payload["sent_elsewhere"] is True
        assert ticket.answered is True
        assert ticket.last_message_preview == "Thanks, we are on it."
        assert ticket.unread_count == 1  # the business's own message is not unread
    # Beta's customer (same PSID on another Page) got nothing.
    assert [m[0] for m in _messages(beta.tenant)] == ["in"]


def test_the_echo_is_shown_in_the_ticket_panel_as_sent_from_another_app(alpha, pages):
    _customer_writes(alpha.tenant)
    post_meta(_body("message_echo"), secret="alpha-app-secret")
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        ticket = Ticket.objects.get()
    page = signed_in_client(alpha, admin).get(
        f"/tickets/{ticket.public_id}/panel/", HTTP_HX_REQUEST="true"
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Thanks, we are on it." in text
    assert 'data-testid="message-sent-elsewhere"' in text


def test_the_echo_of_our_own_send_is_not_a_second_message(alpha, pages):
    _customer_writes(alpha.tenant)
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        ours = Message.objects.create(
            ticket=ticket,
            connection=ticket.connection,
            direction="out",
            sender="agent",
            body="Thanks, we are on it.",
            status="sent",
            provider_message_id=ECHO_MID,
        )

    for _ in range(2):
        assert post_meta(_body("message_echo"), secret="alpha-app-secret").status_code == 200
    process_all(alpha.tenant)

    with tenant_scope(alpha.tenant):
        assert Message.objects.filter(direction="out").count() == 1
        assert Message.objects.get(direction="out") == ours
        assert InboundEvent.objects.get(kind="message", item__is_echo=True).last_error == (
            "own_message"
        )


def test_an_echo_arriving_while_our_send_is_in_flight_waits_for_the_send(alpha, pages):
    _customer_writes(alpha.tenant)
    with tenant_scope(alpha.tenant):
        ticket = Ticket.objects.get()
        ours = Message.objects.create(
            ticket=ticket,
            connection=ticket.connection,
            direction="out",
            sender="agent",
            body="Thanks, we are on it.",
            status="queued",
        )
        # A worker holds the delivery: the Send API call has not returned yet.
        delivery = OutboundDelivery.objects.create(
            message=ours,
            connection=ticket.connection,
            idempotency_key="k-echo-race",
            locked_until=timezone.now() + timedelta(minutes=1),
        )

    post_meta(_body("message_echo"), secret="alpha-app-secret")
    with tenant_scope(alpha.tenant):
        event = InboundEvent.objects.get(item__is_echo=True)
        with pytest.raises(InboundRetryLater):
            inbound_event_process(event_id=event.pk)
        event.refresh_from_db()
        assert (event.status, event.attempts) == ("received", 1)
        assert Message.objects.filter(direction="out").count() == 1
        # The send returns: its id is stored, the retried echo recognises it.
        delivery.status = "sent"
        delivery.locked_until = None
        delivery.save()
        ours.provider_message_id = ECHO_MID
        ours.save()
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        assert Message.objects.filter(direction="out").count() == 1
        event.refresh_from_db()
        assert (event.status, event.last_error) == ("processed", "own_message")


def test_an_instagram_app_reply_is_stored_on_the_customers_ticket(alpha, pages):
    customer = fixture_json("instagram", "message_text")
    customer.pop("_doc")
    customer["entry"][0]["messaging"][0]["sender"]["id"] = IG_CUSTOMER
    assert post_meta(json.dumps(customer).encode(), secret="alpha-app-secret").status_code == 200
    process_all(alpha.tenant)

    body = _body("message_echo", "instagram", page=IG_ACCOUNT)
    assert post_meta(body, secret="alpha-app-secret").status_code == 200
    process_all(alpha.tenant)

    with tenant_scope(alpha.tenant):
        assert Ticket.objects.count() == 1
        echo = Message.objects.get(direction="out")
        assert echo.body == "Yes, we ship to Portugal."
        assert echo.ticket.connection == pages["ig"]


def test_an_echo_to_a_customer_without_a_ticket_opens_nothing(alpha, pages):
    assert post_meta(_body("message_echo"), secret="alpha-app-secret").status_code == 200
    process_all(alpha.tenant)
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.count() == 0
        assert Message.objects.count() == 0
        assert InboundEvent.objects.get().last_error == "no_ticket"
