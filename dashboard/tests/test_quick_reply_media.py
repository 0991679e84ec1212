"""Quick replies with a file: /manage/ uploads, replaces and removes it (checked like any media,
stored in the tenant's private storage), and picking the reply in the composer sends the file
with the text as its caption through the outbound pipeline."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Message, QuickReply
from tickets.services.messages import message_dispatch
from tickets.tests.factories import QueueFactory, QuickReplyFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _png(name: str = "catalogo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_the_manage_form_uploads_replaces_and_removes_the_file(
    alpha, beta, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    with tenant_scope(beta.tenant):
        outsider = UserFactory()
    client = signed_in_client(alpha, agent)

    created = client.post(
        "/manage/quick-replies/", {"shortcode": "cat", "body": "Nosso catálogo", "file": _png()}
    )
    with tenant_scope(alpha.tenant):
        reply = QuickReply.objects.get(shortcode="cat")
        first = reply.media.name
    listing = client.get("/manage/quick-replies/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        replaced = client.post(
            f"/manage/quick-replies/{reply.pk}/",
            {"shortcode": "cat", "body": "Catálogo novo", "file": _png("novo.png")},
        )
    with tenant_scope(alpha.tenant):
        reply.refresh_from_db()
        second = reply.media.name
        storage = reply.media.storage
    edit_page = client.get(f"/manage/quick-replies/{reply.pk}/").content.decode()
    from_beta = signed_in_client(beta, outsider).post(
        f"/manage/quick-replies/{reply.pk}/", {"shortcode": "x", "body": "x", "remove_media": "on"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post(
            f"/manage/quick-replies/{reply.pk}/",
            {"shortcode": "cat", "body": "Sem arquivo", "remove_media": "on"},
        )

    assert created.status_code == 302
    assert first.startswith(f"tenants/{alpha.tenant.schema_name}/quick-replies/")
    assert "catalogo.png" in listing
    assert replaced.status_code == 302
    assert second.endswith("novo.png")
    assert not storage.exists(first)
    assert 'data-testid="quick-reply-file"' in edit_page
    assert "novo.png" in edit_page
    assert from_beta.status_code == 404
    assert removed.status_code == 302
    with tenant_scope(alpha.tenant):
        reply.refresh_from_db()
        assert (reply.body, reply.media.name or "") == ("Sem arquivo", "")
    assert not storage.exists(second)


def test_a_file_the_media_rules_refuse_is_a_form_error_and_stores_nothing(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    client = signed_in_client(alpha, agent)
    bad = SimpleUploadedFile("page.html", b"<script>x</script>", content_type="text/html")

    response = client.post("/manage/quick-replies/", {"shortcode": "bad", "body": "x", "file": bad})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert not QuickReply.objects.exists()


@pytest.fixture
def desk(alpha, beta):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        ana = UserFactory(queues=[queue])
        ticket = TicketFactory(queue=queue)
        reply = QuickReplyFactory(shortcode="cat", body="Olá {{contact.first_name}}", owner=None)
        reply.media.save("catalogo.png", ContentFile(PNG), save=True)
    with tenant_scope(beta.tenant):
        # Beta's reply gets an id no reply of alpha has.
        QuickReplyFactory.create_batch(2, owner=None)
        beta_reply = QuickReplyFactory(shortcode="cat", body="beta", owner=None)
        beta_reply.media.save("beta.png", ContentFile(PNG), save=True)
    return {"ana": ana, "ticket": ticket, "reply": reply, "beta_reply": beta_reply}


def test_picking_a_quick_reply_sends_its_file_with_the_text_as_caption(
    alpha, desk, django_capture_on_commit_callbacks
):
    client = signed_in_client(alpha, desk["ana"])
    ticket = desk["ticket"]
    client.post(f"/tickets/{ticket.public_id}/accept/", **HTMX)
    menu = client.get(f"/tickets/{ticket.public_id}/quick-replies/?q=ca", **HTMX).content.decode()

    with django_capture_on_commit_callbacks() as callbacks:
        sent = client.post(
            f"/tickets/{ticket.public_id}/messages/",
            {"body": "Olá, aqui está", "quick_reply": desk["reply"].pk},
            **HTMX,
        )

    assert f'data-id="{desk["reply"].pk}" data-file="catalogo.png"' in menu
    assert sent.status_code == 200, sent.content
    with tenant_scope(alpha.tenant):
        message = Message.objects.get(ticket=ticket, sender=Message.Sender.AGENT)
        assert (message.body, message.kind, message.media_name) == (
            "Olá, aqui está",
            Message.Kind.IMAGE,
            "catalogo.png",
        )
        # The message holds its own copy: deleting the reply later keeps what was sent.
        assert message.media.name != desk["reply"].media.name
        assert message.media.read() == PNG
    dispatched = [c for c in callbacks if getattr(c, "func", None) is message_dispatch]
    assert [c.args[0].pk for c in dispatched] == [message.pk]


def test_another_tenants_quick_reply_is_not_found_and_nothing_is_sent(alpha, desk):
    client = signed_in_client(alpha, desk["ana"])
    ticket = desk["ticket"]
    client.post(f"/tickets/{ticket.public_id}/accept/", **HTMX)

    response = client.post(
        f"/tickets/{ticket.public_id}/messages/",
        {"body": "x", "quick_reply": desk["beta_reply"].pk},
        **HTMX,
    )

    assert response.status_code == 404
    with tenant_scope(alpha.tenant):
        assert not Message.objects.filter(ticket=ticket, sender=Message.Sender.AGENT).exists()
