"""The compatible external API: the original system's requests (spec automation §7.5),
written from its documentation, answered with its response shape plus ``messageId``."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import host_api_client
from integrations.tests.factories import api_key_make
from integrations.tests.receiver import Reply, receiver_running
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket
from tickets.tests.factories import ConnectionFactory

PDF = b"%PDF-1.4 boleto"


@pytest.fixture
def integration(alpha):
    """The original's ApiConfig: a key bound to a connection; its id is the URL's apiId."""
    with tenant_scope(alpha.tenant):
        connection = ConnectionFactory(name="WhatsApp", provider="whatsapp_cloud")
        key, secret = api_key_make(connection=connection, name="ERP")
    api = host_api_client(alpha.host)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return {"url": f"/v1/api/external/{key.public_id}", "api": api, "connection": connection}


def _messages(alpha):
    with tenant_scope(alpha.tenant):
        return list(Message.objects.select_related("ticket__contact").order_by("id"))


def test_the_originals_json_request_is_queued_and_answered_in_its_shape(alpha, integration):
    response = integration["api"].post(
        integration["url"],
        {"body": "Seu pedido saiu para entrega", "number": "5511999998888", "externalKey": "P-1"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["message"] == "Message add queue"
    [message] = _messages(alpha)
    assert response.json() == {"message": "Message add queue", "messageId": str(message.public_id)}
    assert message.body == "Seu pedido saiu para entrega"
    assert message.status == Message.Status.QUEUED
    assert message.ticket.contact.phone == "+5511999998888"
    assert message.ticket.connection_id == integration["connection"].pk
    assert message.ticket.status == Ticket.Status.OPEN


def test_the_originals_multipart_request_with_a_file(alpha, integration):
    response = integration["api"].post(
        integration["url"],
        {
            "body": "Boleto",
            "number": "5511999998888",
            "externalKey": "P-2",
            "media": SimpleUploadedFile("boleto.pdf", PDF, content_type="application/pdf"),
        },
        format="multipart",
    )

    assert response.status_code == 200, response.content
    [message] = _messages(alpha)
    assert (message.kind, message.media_name) == ("document", "boleto.pdf")


def test_retrying_an_external_key_answers_the_same_message(alpha, integration):
    payload = {"body": "Oi", "number": "5511999998888", "externalKey": "P-3"}

    first = integration["api"].post(integration["url"], payload, format="json")
    again = integration["api"].post(integration["url"], payload, format="json")

    assert first.json()["messageId"] == again.json()["messageId"]
    assert len(_messages(alpha)) == 1


def test_a_media_url_is_downloaded_within_bounds(alpha, integration, settings):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with receiver_running() as files:
        files.script(Reply(200, PDF, {"Content-Type": "application/pdf"}))
        response = integration["api"].post(
            integration["url"],
            {
                "body": "Nota",
                "number": "5511999998888",
                "externalKey": "P-4",
                "mediaUrl": f"{files.url}/notas/nota-42.pdf",
            },
            format="json",
        )

    assert response.status_code == 200, response.content
    [message] = _messages(alpha)
    assert (message.kind, message.media_name, message.media_size) == ("document", "nota-42.pdf", 15)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, b"x" * 2048, {"Content-Type": "application/pdf"}), "too_large"),
        (Reply(200, PDF, {"Content-Type": "application/pdf"}, delay=2.5), "timeout"),
        (Reply(302, b"", {"Location": "http://169.254.169.254/"}), "redirect"),
        (Reply(404, b"no"), "status"),
    ],
)
def test_a_media_url_that_is_too_large_slow_redirected_or_missing_is_refused(
    alpha, integration, settings, reply, reason
):
    settings.OUTBOUND_HTTP_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.EXTERNAL_MEDIA_MAX_BYTES = 1024
    settings.EXTERNAL_MEDIA_TIMEOUT_SECONDS = 1
    with receiver_running() as files:
        files.script(reply)
        response = integration["api"].post(
            integration["url"],
            {"body": "x", "number": "5511999998888", "externalKey": "P-5", "mediaUrl": files.url},
            format="json",
        )

    assert response.status_code == 400
    assert response.json()["code"] == "media_download_failed"
    assert response.json()["extra"]["reason"] == reason
    assert _messages(alpha) == []


@pytest.mark.parametrize(
    "media_url",
    [
        "http://127.0.0.1:9/x.pdf",
        "http://10.1.2.3/x.pdf",
        "http://169.254.169.254/",
        "http://[::1]/",
    ],
)
def test_a_media_url_inside_our_network_is_refused(alpha, integration, media_url):
    response = integration["api"].post(
        integration["url"],
        {"body": "x", "number": "5511999998888", "externalKey": "P-6", "mediaUrl": media_url},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "unsafe_url"
    assert _messages(alpha) == []


def test_a_missing_field_or_a_bad_number_is_refused(alpha, integration):
    missing = integration["api"].post(
        integration["url"], {"body": "x", "number": "5511999998888"}, format="json"
    )
    bad_number = integration["api"].post(
        integration["url"], {"body": "x", "number": "123", "externalKey": "P-7"}, format="json"
    )

    assert missing.status_code == 400
    assert "externalKey" in missing.json()["extra"]["fields"]
    assert bad_number.status_code == 400
    assert bad_number.json()["code"] == "invalid_phone"
    assert _messages(alpha) == []


def test_the_key_must_be_the_urls_be_bound_and_hold_the_send_scope(alpha, beta, integration):
    with tenant_scope(alpha.tenant):
        other, _secret = api_key_make(connection=ConnectionFactory())
        unbound, unbound_secret = api_key_make()
        reader, reader_secret = api_key_make(
            scopes=["contacts:read"], connection=integration["connection"]
        )
    payload = {"body": "x", "number": "5511999998888", "externalKey": "P-8"}

    wrong_id = integration["api"].post(f"/v1/api/external/{other.public_id}", payload)
    plain = host_api_client(alpha.host)
    plain.credentials(HTTP_AUTHORIZATION=f"Bearer {unbound_secret}")
    not_bound = plain.post(f"/v1/api/external/{unbound.public_id}", payload)
    plain.credentials(HTTP_AUTHORIZATION=f"Bearer {reader_secret}")
    no_scope = plain.post(f"/v1/api/external/{reader.public_id}", payload)
    anonymous = host_api_client(alpha.host).post(integration["url"], payload)
    on_beta = host_api_client(beta.host)
    on_beta.credentials(**integration["api"]._credentials)
    other_tenant = on_beta.post(integration["url"], payload)

    assert wrong_id.status_code == 404
    assert not_bound.status_code == 400
    assert not_bound.json()["code"] == "connection_required"
    assert no_scope.status_code == 403
    assert anonymous.status_code == 401
    assert other_tenant.status_code == 401
    assert _messages(alpha) == []


def test_start_session_answers_the_connections_state(integration):
    response = integration["api"].post(integration["url"] + "/start-session")

    assert response.status_code == 200
    assert response.json()["id"] == str(integration["connection"].public_id)
    assert response.json()["status"] == "connected"
