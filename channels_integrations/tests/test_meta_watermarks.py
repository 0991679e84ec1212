"""Messenger and Instagram receipts that name no message: delivery and read watermarks posted
to /webhooks/meta/ move every earlier reply to that customer forward, never back, in one
statement, and only on the connection (and tenant) they came to.

Documented payloads:
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-reads
https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-deliveries
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from channels_integrations.models import InboundEvent
from channels_integrations.providers.meta.tests.support import fixture_json
from channels_integrations.tests.support import meta_connection, post_meta, process_all
from contacts.tests.factories import ContactIdentityFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.services.messages import message_status_watermark
from tickets.tests.factories import MessageFactory, TicketFactory

PAGE = "682498302938465"  # the Messenger fixtures' page id
PAGE_BETA = "682498302930000"
IG_ACCOUNT = "17841405822304914"
PSID = "1254477777772919"  # the Messenger fixtures' sender
SECRET = "alpha-app-secret"
BASE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def messenger_page(alpha):
    return meta_connection(
        alpha.tenant,
        "messenger",
        route_key=PAGE,
        secret=SECRET,
        page_id=PAGE,
        page_access_token="p",
    )


@pytest.fixture
def instagram(alpha):
    return meta_connection(
        alpha.tenant,
        "instagram",
        route_key=IG_ACCOUNT,
        secret=SECRET,
        instagram_account_id=IG_ACCOUNT,
        page_id=PAGE,
        page_access_token="p",
    )


def _customer(tenant, provider: str, external_id: str):
    with tenant_scope(tenant):
        return ContactIdentityFactory(provider=provider, external_id=external_id).contact


def _reply(tenant, ticket, minutes: float, status=Message.Status.SENT, **extra):
    """A reply of the agent on ``ticket``, sent ``minutes`` after BASE."""
    with tenant_scope(tenant):
        return MessageFactory(
            ticket=ticket,
            connection=ticket.connection,
            direction=Message.Direction.OUTBOUND,
            sender=Message.Sender.AGENT,
            sender_contact=None,
            status=status,
            sent_at=BASE + timedelta(minutes=minutes),
            **extra,
        )


def _receipt(kind: str, sender: str, watermark: int, *, account: str = PAGE, **fields) -> bytes:
    """The documented ``delivery`` / ``read`` event (fixtures delivery.json, read.json) with
    our page, customer and watermark."""
    payload = fixture_json("messenger", "read" if kind == "read" else "delivery")
    payload.pop("_doc")
    entry = payload["entry"][0]
    entry["id"] = account
    event = entry["messaging"][0]
    event["sender"]["id"] = sender
    event["recipient"]["id"] = account
    event["timestamp"] = watermark
    receipt: dict[str, Any] = {"watermark": watermark, **fields}
    event.pop("delivery", None)
    event.pop("read", None)
    event[kind] = receipt
    return json.dumps(payload).encode()


def _deliver(tenant, body: bytes, capture, *, secret: str = SECRET) -> None:
    with capture(execute=True):
        response = post_meta(body, secret=secret)
    assert response.status_code == 200, response.content
    process_all(tenant)


def _statuses(tenant, *messages) -> list[str]:
    with tenant_scope(tenant):
        found = dict(
            Message.objects.filter(pk__in=[m.pk for m in messages]).values_list("pk", "status")
        )
    return [found[m.pk] for m in messages]


def test_a_read_watermark_reads_every_earlier_reply_and_a_late_delivery_changes_nothing(
    alpha, messenger_page, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(
            contact=_customer(alpha.tenant, "messenger", PSID), connection=messenger_page
        )
        other = TicketFactory(
            contact=_customer(alpha.tenant, "messenger", "PSID-2"), connection=messenger_page
        )
    early = _reply(alpha.tenant, ticket, 0)
    already_read = _reply(alpha.tenant, ticket, 1, status=Message.Status.READ, read_at=BASE)
    at_the_mark = _reply(alpha.tenant, ticket, 5)
    late = _reply(alpha.tenant, ticket, 10)
    queued = _reply(alpha.tenant, ticket, 0, status=Message.Status.QUEUED)
    failed = _reply(alpha.tenant, ticket, 0, status=Message.Status.FAILED)
    note = _reply(alpha.tenant, ticket, 0, is_note=True)
    other_customer = _reply(alpha.tenant, other, 0)
    watermark = _ms(BASE + timedelta(minutes=5))

    _deliver(alpha.tenant, _receipt("read", PSID, watermark), django_capture_on_commit_callbacks)
    _deliver(  # arrives after the read, with the same moment: nothing goes back
        alpha.tenant, _receipt("delivery", PSID, watermark), django_capture_on_commit_callbacks
    )

    assert _statuses(
        alpha.tenant, early, already_read, at_the_mark, late, queued, failed, note, other_customer
    ) == ["read", "read", "read", "sent", "queued", "failed", "sent", "sent"]
    with tenant_scope(alpha.tenant):
        early.refresh_from_db()
        already_read.refresh_from_db()
        assert InboundEvent.objects.filter(status="processed").count() == 2
    assert early.read_at == early.delivered_at == BASE + timedelta(minutes=5)  # read implies it
    assert early.sent_at == BASE  # stamps already set are kept
    assert already_read.read_at == BASE


def test_a_delivery_watermark_delivers_and_never_reads(
    alpha, messenger_page, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(
            contact=_customer(alpha.tenant, "messenger", PSID), connection=messenger_page
        )
    sent = _reply(alpha.tenant, ticket, 0)
    delivered = _reply(alpha.tenant, ticket, 1, status=Message.Status.DELIVERED)
    after = _reply(alpha.tenant, ticket, 3)
    watermark = _ms(BASE + timedelta(minutes=2))

    _deliver(
        alpha.tenant, _receipt("delivery", PSID, watermark), django_capture_on_commit_callbacks
    )

    assert _statuses(alpha.tenant, sent, delivered, after) == ["delivered", "delivered", "sent"]
    with tenant_scope(alpha.tenant):
        sent.refresh_from_db()
    assert (sent.delivered_at, sent.read_at) == (BASE + timedelta(minutes=2), None)


def test_a_delivery_with_mids_delivers_the_named_reply_and_everything_under_its_watermark(
    alpha, messenger_page, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(
            contact=_customer(alpha.tenant, "messenger", PSID), connection=messenger_page
        )
    older = _reply(alpha.tenant, ticket, 0)
    # Named by its mid although our clock stamped it after the watermark.
    named = _reply(alpha.tenant, ticket, 2, provider_message_id="mid.1458668856218:ed81")
    unrelated = _reply(alpha.tenant, ticket, 3)
    body = _receipt(
        "delivery",
        PSID,
        _ms(BASE + timedelta(minutes=1)),
        mids=["mid.1458668856218:ed81"],
    )

    _deliver(alpha.tenant, body, django_capture_on_commit_callbacks)

    assert _statuses(alpha.tenant, older, named, unrelated) == ["delivered", "delivered", "sent"]


def test_a_watermark_touches_only_its_connection_in_its_tenant(
    alpha, beta, messenger_page, instagram, django_capture_on_commit_callbacks
):
    # The same customer id on another tenant's page, and on this tenant's Instagram account.
    page_beta = meta_connection(
        beta.tenant,
        "messenger",
        route_key=PAGE_BETA,
        secret="beta-app-secret",
        page_id=PAGE_BETA,
        page_access_token="q",
    )
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(
            contact=_customer(alpha.tenant, "messenger", PSID), connection=messenger_page
        )
        on_instagram = TicketFactory(
            contact=_customer(alpha.tenant, "instagram", PSID), connection=instagram
        )
    with tenant_scope(beta.tenant):
        beta_ticket = TicketFactory(
            contact=_customer(beta.tenant, "messenger", PSID), connection=page_beta
        )
    mine = _reply(alpha.tenant, ticket, 0)
    instagram_reply = _reply(alpha.tenant, on_instagram, 0)
    beta_reply = _reply(beta.tenant, beta_ticket, 0)

    _deliver(
        alpha.tenant,
        _receipt("read", PSID, _ms(BASE + timedelta(hours=1))),
        django_capture_on_commit_callbacks,
    )

    assert _statuses(alpha.tenant, mine, instagram_reply) == ["read", "sent"]
    assert _statuses(beta.tenant, beta_reply) == ["sent"]


def test_instagram_seen_receipt_reads_the_named_reply(
    alpha, instagram, django_capture_on_commit_callbacks
):
    payload = fixture_json("instagram", "messaging_seen")
    payload.pop("_doc")
    event = payload["entry"][0]["messaging"][0]
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(
            contact=_customer(alpha.tenant, "instagram", event["sender"]["id"]),
            connection=instagram,
        )
    seen = _reply(alpha.tenant, ticket, 0, provider_message_id=event["read"]["mid"])
    unseen = _reply(alpha.tenant, ticket, 1)

    _deliver(alpha.tenant, json.dumps(payload).encode(), django_capture_on_commit_callbacks)

    assert _statuses(alpha.tenant, seen, unseen) == ["read", "sent"]


def test_a_watermark_over_many_replies_is_one_update_statement(alpha, messenger_page):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(
            contact=_customer(alpha.tenant, "messenger", PSID), connection=messenger_page
        )
        replies = [_reply(alpha.tenant, ticket, minute) for minute in range(25)]

        def apply(status: str) -> tuple[int, list[str]]:
            with CaptureQueriesContext(db) as queries:
                changed = message_status_watermark(
                    connection=messenger_page,
                    external_id=PSID,
                    status=status,
                    at=BASE + timedelta(hours=1),
                )
            return changed, [q["sql"] for q in queries.captured_queries]

        delivered, delivery_sql = apply(Message.Status.DELIVERED)
        read, read_sql = apply(Message.Status.READ)
        again, _ = apply(Message.Status.DELIVERED)

    assert (delivered, read, again) == (25, 25, 0)
    for statements in (delivery_sql, read_sql):
        # Savepoints of the service's atomic block and django-tenants' search_path aside.
        data = [s for s in statements if not s.upper().startswith(("SAVEPOINT", "RELEASE", "SET"))]
        assert len(data) == 1
        assert data[0].lstrip().upper().startswith("UPDATE")
    assert set(_statuses(alpha.tenant, *replies)) == {"read"}
