"""Every deletion asks first, naming what will be lost (the forms' ``data-confirm``, which
dashboard.js turns into a confirmation), and says it was done; another tenant's things cannot
be deleted from here."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from accounts.tests.factories import AdminFactory
from conftest import signed_in_client
from contacts.models import Contact, Tag
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope
from tickets.models import QuickReply
from tickets.tests.factories import ConnectionFactory, QueueFactory, QuickReplyFactory


@pytest.fixture
def things(alpha):
    with tenant_scope(alpha.tenant):
        return {
            "admin": AdminFactory(),
            "tag": TagFactory(name="Atacado"),
            "reply": QuickReplyFactory(shortcode="prazo"),
            "contact": ContactFactory(name="Joana Prado"),
            "queue": QueueFactory(name="Financeiro"),
            "connection": ConnectionFactory(name="Loja Centro"),
        }


def _confirm_of(html: str, testid: str) -> str:
    form = html[html.index(f'data-testid="{testid}"') :]
    form = html[: html.index(f'data-testid="{testid}"')].rsplit("<form", 1)[1] + form
    return form.split('data-confirm="', 1)[1].split('"', 1)[0]


def test_each_delete_form_names_what_will_be_lost(alpha, things):
    client = signed_in_client(alpha, things["admin"])
    pages = {
        "tag-delete-form": ("/manage/tags/", ["Atacado", "todos os contatos"]),
        "quick-reply-delete-form": ("/manage/quick-replies/", ["/prazo", "texto e arquivo"]),
        "contact-delete-form": (
            f"/contacts/{things['contact'].public_id}/",
            ["Joana Prado", "etiquetas, notas e atributos"],
        ),
        "queue-delete-form": (f"/manage/queues/{things['queue'].pk}/", ["Financeiro"]),
        "connection-delete-form": (
            f"/manage/connections/{things['connection'].public_id}/",
            ["Loja Centro", "credenciais"],
        ),
    }
    for testid, (path, words) in pages.items():
        confirm = _confirm_of(client.get(path).content.decode(), testid)
        for word in words:
            assert escape(word) in confirm, (testid, word, confirm)
        assert "não pode ser desfeito" in confirm


def test_deleting_says_it_was_done_and_reaches_only_this_tenant(alpha, beta, things):
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
        beta_tag = TagFactory(name="Atacado")
    client = signed_in_client(alpha, things["admin"])

    tag = client.post(f"/manage/tags/{things['tag'].pk}/delete/", follow=True)
    reply = client.post(f"/manage/quick-replies/{things['reply'].pk}/delete/", follow=True)
    contact = client.post(f"/contacts/{things['contact'].public_id}/delete/", follow=True)

    assert "Etiqueta Atacado excluída." in tag.content.decode()
    assert "/prazo" in reply.content.decode()
    assert "Joana Prado" in contact.content.decode()
    with tenant_scope(alpha.tenant):
        assert not Tag.objects.filter(pk=things["tag"].pk).exists()
        assert not QuickReply.objects.filter(pk=things["reply"].pk).exists()
        assert not Contact.objects.filter(pk=things["contact"].pk).exists()
    with tenant_scope(beta.tenant):
        assert Tag.objects.filter(pk=beta_tag.pk).exists()
    beta_client = signed_in_client(beta, beta_admin)
    with tenant_scope(alpha.tenant):
        other = TagFactory(name="Só da alfa")
    assert beta_client.post(f"/manage/tags/{other.pk}/delete/").status_code == 404
    with tenant_scope(alpha.tenant):
        assert Tag.objects.filter(pk=other.pk).exists()
