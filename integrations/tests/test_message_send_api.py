"""POST /api/v1/messages/send/: an API key sends to a phone or a contact through the outbound
pipeline once, honouring ``Idempotency-Key`` for 24 hours, even under concurrent retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import AdminFactory
from channels_integrations.models import OutboundDelivery
from conftest import host_api_client, sign_in_api
from connections.models import ChannelConnection
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from integrations.models import ApiKey, IdempotencyRecord
from integrations.tests.factories import api_key_make
from tenants.tenancy import tenant_scope
from tests.support.concurrency import in_thread, run_in_threads
from tickets.models import Message, Ticket, TicketEvent
from tickets.tests.factories import ConnectionFactory

URL = "/api/v1/messages/send/"


def _api(fixture, secret, **headers):
    api = host_api_client(fixture.host)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", **headers)
    return api


@pytest.fixture
def shop(alpha):
    with tenant_scope(alpha.tenant):
        connection = ConnectionFactory(name="WhatsApp Loja", provider="whatsapp_cloud")
        _key, secret = api_key_make(scopes=["send:write"])
    return connection, secret


def test_a_key_sends_to_a_phone_which_opens_a_ticket_and_goes_out_once(
    alpha, shop, django_capture_on_commit_callbacks
):
    connection, secret = shop

    with django_capture_on_commit_callbacks(execute=True):
        response = _api(alpha, secret).post(
            URL,
            {
                "phone": "+55 11 98765-4321",
                "connection": str(connection.public_id),
                "text": "Pedido ok",
            },
            format="json",
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["body"], body["kind"]) == ("queued", "Pedido ok", "text")
    with tenant_scope(alpha.tenant):
        message = Message.objects.select_related("ticket__contact").get(public_id=body["id"])
        ticket = message.ticket
        assert ticket.contact.phone == "+5511987654321"
        assert (ticket.status, ticket.is_outbound) == (Ticket.Status.OPEN, True)
        assert OutboundDelivery.objects.filter(message=message).count() == 1
        sent = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.MESSAGE_OUT)
        assert sent.data["via_api_key"] == "Loja Virtual"


def test_a_key_sends_a_file_to_a_contact_reusing_the_open_ticket(alpha, shop):
    connection, secret = shop
    with tenant_scope(alpha.tenant):
        contact = ContactFactory(phone="+5511912345678")
        first = _api(alpha, secret).post(
            URL,
            {
                "contact": str(contact.public_id),
                "connection": str(connection.public_id),
                "text": "1",
            },
        )
    photo = SimpleUploadedFile("nota.pdf", b"%PDF-1.4 nota", content_type="application/pdf")

    second = _api(alpha, secret).post(
        URL,
        {
            "contact": str(contact.public_id),
            "connection": str(connection.public_id),
            "media": photo,
        },
        format="multipart",
    )

    assert first.status_code == 201
    assert second.status_code == 201, second.content
    assert second.json()["kind"] == "document"
    assert first.json()["ticket"] == second.json()["ticket"]


def test_the_same_idempotency_key_answers_the_first_message(alpha, shop):
    connection, secret = shop
    api = _api(alpha, secret, HTTP_IDEMPOTENCY_KEY="pedido-42")
    payload = {"phone": "5511987654321", "connection": str(connection.public_id), "text": "Oi"}

    first = api.post(URL, payload, format="json")
    again = api.post(URL, payload, format="json")
    other = api.post(URL, {**payload, "text": "Outro"}, format="json")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    with tenant_scope(alpha.tenant):
        assert Message.objects.count() == 1


def test_an_idempotency_key_older_than_a_day_sends_again(alpha, shop):
    connection, secret = shop
    api = _api(alpha, secret, HTTP_IDEMPOTENCY_KEY="pedido-43")
    payload = {"phone": "5511987654321", "connection": str(connection.public_id), "text": "Oi"}
    first = api.post(URL, payload, format="json")
    with tenant_scope(alpha.tenant):
        IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))

    later = api.post(URL, payload, format="json")

    assert later.status_code == 201
    assert later.json()["id"] != first.json()["id"]


def test_a_bound_key_sends_only_through_its_connection(alpha):
    with tenant_scope(alpha.tenant):
        own, other = ConnectionFactory(), ConnectionFactory()
        _key, bound = api_key_make(connection=own)
        _key, unbound = api_key_make()
    payload = {"phone": "5511987654321", "text": "Oi"}

    implicit = _api(alpha, bound).post(URL, payload, format="json")
    mismatch = _api(alpha, bound).post(
        URL, {**payload, "connection": str(other.public_id)}, format="json"
    )
    missing = _api(alpha, unbound).post(URL, payload, format="json")

    assert implicit.status_code == 201
    assert implicit.json()["connection"] == str(own.public_id)
    assert mismatch.status_code == 403
    assert mismatch.json()["code"] == "api_key_connection_mismatch"
    assert missing.status_code == 400
    assert missing.json()["code"] == "connection_required"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"phone": "12", "text": "Oi"}, "invalid_phone"),
        ({"phone": "5511987654321", "text": "   "}, "message_empty"),
        ({"text": "Oi"}, "validation_error"),
        ({"phone": "5511987654321", "text": "x" * 5000}, "validation_error"),
        ({"contact": "not-a-uuid", "text": "Oi"}, "validation_error"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(alpha, shop, payload, code):
    connection, secret = shop

    response = _api(alpha, secret, HTTP_IDEMPOTENCY_KEY="k").post(
        URL, {**payload, "connection": str(connection.public_id)}, format="json"
    )

    assert 400 <= response.status_code < 500
    assert response.json()["code"] == code
    with tenant_scope(alpha.tenant):
        assert not Message.objects.exists()
        assert not Ticket.objects.exists()
        assert not IdempotencyRecord.objects.exists()


def test_people_signed_in_are_told_to_use_a_key(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    response = sign_in_api(api_alpha, admin.email).post(URL, {"text": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "api_key_required"


def test_another_tenants_connection_and_contact_are_unknown(alpha, beta, shop):
    _connection, secret = shop
    with tenant_scope(beta.tenant):
        beta_connection = ConnectionFactory()
        beta_contact = ContactFactory()

    foreign_connection = _api(alpha, secret).post(
        URL, {"phone": "5511987654321", "connection": str(beta_connection.public_id), "text": "x"}
    )
    foreign_contact = _api(alpha, secret).post(
        URL,
        {
            "contact": str(beta_contact.public_id),
            "connection": str(_connection.public_id),
            "text": "x",
        },
    )

    assert foreign_connection.status_code == 404
    assert foreign_contact.status_code == 404
    with tenant_scope(beta.tenant):
        assert not Message.objects.exists()


def test_ten_concurrent_identical_requests_make_one_message(alpha):
    tenant = alpha.tenant

    def seed():
        with tenant_scope(tenant):
            connection = ConnectionFactory(provider="whatsapp_cloud")
            key, secret = api_key_make()
            return connection.pk, str(connection.public_id), key.pk, key.created_by_id, secret

    connection_pk, connection_id, key_pk, owner_pk, secret = in_thread(seed)
    payload = {"phone": "5511987650000", "connection": connection_id, "text": "Só uma vez"}

    def request(_index):
        response = _api(alpha, secret, HTTP_IDEMPOTENCY_KEY="race-1").post(
            URL, payload, format="json"
        )
        return response.status_code, response.json().get("id")

    def cleanup():
        with tenant_scope(tenant):
            tickets = Ticket.objects.filter(connection_id=connection_pk)
            contacts = list(tickets.values_list("contact_id", flat=True))
            OutboundDelivery.objects.filter(connection_id=connection_pk).delete()
            IdempotencyRecord.objects.filter(api_key_id=key_pk).delete()
            Message.objects.filter(ticket__in=tickets).delete()
            TicketEvent.objects.filter(ticket__in=tickets).delete()
            tickets.delete()
            Contact.objects.filter(pk__in=contacts).delete()
            ApiKey.objects.filter(pk=key_pk).delete()
            ChannelConnection.objects.filter(pk=connection_pk).delete()
            User.objects.filter(pk=owner_pk).delete()

    try:
        results, errors = run_in_threads(10, request)
        counted = in_thread(lambda: _count_in(tenant, connection_pk))
    finally:
        in_thread(cleanup)

    assert errors == []
    assert sorted(status for status, _id in results) == [200] * 9 + [201]
    assert len({message_id for _status, message_id in results}) == 1
    assert counted == 1


def _count_in(tenant, connection_pk):
    with tenant_scope(tenant):
        return Message.objects.filter(connection_id=connection_pk).count()
