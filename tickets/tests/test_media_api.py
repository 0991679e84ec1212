"""Media: checked before storing, private, served only to agents who may see the ticket.

Every test runs on both backends (``media_backend``): the local disk, where the app streams the
file, and a private bucket on an S3-compatible server, where it redirects to a signed URL.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from tenants.tenancy import tenant_scope
from tests.support.media_storage import media_fetch, stored_names
from tickets import media as media_module
from tickets.models import Message, Ticket
from tickets.tests.factories import QueueFactory, TicketFactory


@pytest.fixture
def world(alpha, api_alpha, media_backend):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        agent = UserFactory(queues=[queue])
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent, queue=queue)
    sign_in_api(api_alpha, agent.email)
    return alpha, api_alpha, agent, ticket, default_storage


def _send(api, ticket, upload):
    return api.post(
        f"/api/v1/tickets/{ticket.public_id}/messages/", {"media": upload}, format="multipart"
    )


def _stored_files(storage):
    return stored_names(storage)


def test_an_uploaded_image_is_stored_privately_and_served_to_the_agent(world):
    alpha, api, _, ticket, root = world
    upload = SimpleUploadedFile("foto.png", b"\x89PNG-data", content_type="image/png")

    response = _send(api, ticket, upload)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "image"
    assert body["media"]["url"] == f"/api/v1/messages/{body['id']}/media/"
    [stored] = _stored_files(root)
    assert stored.startswith("tenants/alpha/messages/")
    served = media_fetch(api, body["media"]["url"])
    assert served.status == 200
    assert served.body == b"\x89PNG-data"
    assert served.headers["Content-Type"] == "image/png"
    assert 'filename="foto.png"' in served.headers["Content-Disposition"]
    assert served.headers["Content-Disposition"].startswith("inline")


def test_a_document_is_downloaded_as_an_attachment(world):
    _, api, _, ticket, _ = world
    upload = SimpleUploadedFile("nota.pdf", b"%PDF", content_type="application/pdf")

    url = _send(api, ticket, upload).json()["media"]["url"]

    assert media_fetch(api, url).headers["Content-Disposition"].startswith("attachment")


def test_a_file_over_the_limit_is_400_and_nothing_is_stored(world, monkeypatch):
    alpha, api, _, ticket, root = world
    monkeypatch.setattr(media_module, "MEDIA_MAX_BYTES", 10)
    upload = SimpleUploadedFile("foto.png", b"x" * 11, content_type="image/png")

    response = _send(api, ticket, upload)

    assert (response.status_code, response.json()["code"]) == (400, "media_too_large")
    assert _stored_files(root) == []
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("page.html", "text/html"),
        ("run.exe", "application/x-msdownload"),
        ("photo.html", "image/png"),  # extension contradicts the declared type
    ],
)
def test_a_disallowed_type_is_400_and_nothing_is_stored(world, name, mime):
    alpha, api, _, ticket, root = world

    response = _send(api, ticket, SimpleUploadedFile(name, b"<script>", content_type=mime))

    assert (response.status_code, response.json()["code"]) == (400, "media_type_not_allowed")
    assert _stored_files(root) == []
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(ticket=ticket).exists()


def test_an_agent_who_cannot_see_the_ticket_gets_404(world, api_alpha):
    alpha, api, _, ticket, _ = world
    upload = SimpleUploadedFile("foto.png", b"\x89PNG", content_type="image/png")
    url = _send(api, ticket, upload).json()["media"]["url"]
    with tenant_scope(alpha.tenant):
        outsider = UserFactory(queues=[QueueFactory()])
        admin = AdminFactory()

    refused = sign_in_api(api, outsider.email).get(url)
    assert refused.status_code == 404
    assert not refused.has_header("Location")  # no signed URL leaks with the refusal
    assert media_fetch(sign_in_api(api, admin.email), url).status == 200


def test_alphas_media_is_404_at_beta(world, beta, api_beta):
    _, api, agent, ticket, _ = world
    upload = SimpleUploadedFile("foto.png", b"\x89PNG", content_type="image/png")
    url = _send(api, ticket, upload).json()["media"]["url"]
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory(email=agent.email)

    refused = sign_in_api(api_beta, beta_admin.email).get(url)
    assert refused.status_code == 404
    assert not refused.has_header("Location")


def test_a_row_pointing_at_another_tenants_path_is_never_served(world):
    alpha, api, _, ticket, root = world
    root.save("tenants/beta/messages/x/secret.png", ContentFile(b"beta secret"))
    with tenant_scope(alpha.tenant):
        message = Message.objects.create(
            ticket=ticket,
            connection=ticket.connection,
            direction="in",
            sender="contact",
            kind="image",
            media="tenants/beta/messages/x/secret.png",
            media_mime="image/png",
        )

    response = api.get(f"/api/v1/messages/{message.public_id}/media/")

    assert (response.status_code, response.json()["code"]) == (404, "media_not_found")
    assert not response.has_header("Location")


def test_a_deleted_messages_media_is_404(world):
    _, api, _, ticket, _ = world
    upload = SimpleUploadedFile("foto.png", b"\x89PNG", content_type="image/png")
    body = _send(api, ticket, upload).json()
    api.delete(f"/api/v1/messages/{body['id']}/")

    assert api.get(body["media"]["url"]).status_code == 404
