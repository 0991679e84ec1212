"""Quick replies over HTTP: scopes, conflicts, render for a ticket, isolation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope
from tickets.models import QuickReply
from tickets.tests.factories import QuickReplyFactory, TicketFactory

URL = "/api/v1/quick-replies/"


@pytest.fixture
def agent_api(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory(name="Ana")
    return sign_in_api(api_alpha, agent.email), agent


def test_an_agent_creates_a_personal_reply_and_lists_it_with_shared_ones(alpha, agent_api):
    api, agent = agent_api
    with tenant_scope(alpha.tenant):
        QuickReplyFactory(shortcode="ola", owner=None)
        QuickReplyFactory(shortcode="alheia", owner=UserFactory())

    created = api.post(URL, {"shortcode": "pix", "body": "Chave"}, format="json")
    listed = api.get(URL)

    assert created.status_code == 201
    assert (created.json()["shared"], created.json()["owner"]) == (False, agent.pk)
    assert [r["shortcode"] for r in listed.json()["results"]] == ["ola", "pix"]


def test_a_duplicate_is_409_and_a_shared_one_by_an_agent_is_403(agent_api):
    api, _ = agent_api
    api.post(URL, {"shortcode": "pix", "body": "a"}, format="json")

    duplicate = api.post(URL, {"shortcode": "pix", "body": "b"}, format="json")
    shared = api.post(URL, {"shortcode": "x", "body": "b", "shared": True}, format="json")
    bad = api.post(URL, {"shortcode": "com espaço", "body": ""}, format="json")

    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "quick_reply_exists")
    assert (shared.status_code, shared.json()["code"]) == (403, "admin_required")
    assert bad.status_code == 400
    assert set(bad.json()["extra"]["fields"]) == {"shortcode", "body"}


def test_update_and_delete_a_personal_reply(alpha, agent_api):
    api, _ = agent_api
    reply_id = api.post(URL, {"shortcode": "pix", "body": "a"}, format="json").json()["id"]

    patched = api.patch(f"{URL}{reply_id}/", {"body": "novo"}, format="json")
    deleted = api.delete(f"{URL}{reply_id}/")

    assert patched.json()["body"] == "novo"
    assert deleted.status_code == 204
    with tenant_scope(alpha.tenant):
        assert not QuickReply.objects.filter(pk=reply_id).exists()


def test_a_reply_file_is_uploaded_replaced_and_removed_in_private_storage(
    alpha, agent_api, django_capture_on_commit_callbacks
):
    api, _ = agent_api

    def png(name: str) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"\0" * 16, "image/png")

    created = api.post(URL, {"shortcode": "cat", "body": "a", "media": png("a.png")})
    reply_id = created.json()["id"]
    with tenant_scope(alpha.tenant):
        first = QuickReply.objects.get(pk=reply_id).media
    with django_capture_on_commit_callbacks(execute=True):
        replaced = api.patch(f"{URL}{reply_id}/", {"media": png("b.png")})
    with django_capture_on_commit_callbacks(execute=True):
        removed = api.patch(f"{URL}{reply_id}/", {"remove_media": True}, format="json")

    assert created.status_code == 201
    assert str(first.name).startswith(f"tenants/{alpha.tenant.schema_name}/quick-replies/")
    assert replaced.json()["media_url"].endswith(f"/quick-replies/{reply_id}/media/")
    assert not first.storage.exists(first.name)
    assert (removed.status_code, removed.json()["media_url"]) == (200, None)
    with tenant_scope(alpha.tenant):
        assert not QuickReply.objects.get(pk=reply_id).media


def test_someone_elses_personal_reply_is_404(alpha, agent_api):
    api, _ = agent_api
    with tenant_scope(alpha.tenant):
        theirs = QuickReplyFactory(owner=UserFactory())

    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.delete(f"{URL}{theirs.pk}/").status_code == 404


def test_render_fills_the_variables_for_a_visible_ticket(alpha, agent_api):
    api, agent = agent_api
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory(assignee=agent, contact=ContactFactory(name="Carla Dias"))
        reply = QuickReplyFactory(body="Oi {{contact.first_name}}, sou {{agent.name}}")

    response = api.get(f"{URL}{reply.pk}/render/", {"ticket": str(ticket.public_id)})

    assert response.status_code == 200
    assert response.json() == {"text": "Oi Carla, sou Ana"}


@pytest.mark.parametrize("page_size", [1, 40])
def test_the_list_costs_the_same_queries_for_any_page_size(
    alpha, agent_api, page_size, django_assert_num_queries
):
    api, _ = agent_api
    with tenant_scope(alpha.tenant):
        QuickReplyFactory.create_batch(45)

    # the user and the page: the tenant comes from the host cache (no domain query), and the
    # connection's search_path is already the tenant's
    with django_assert_num_queries(2):
        response = api.get(URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_alphas_shared_reply_is_not_listed_at_beta(alpha, beta, api_beta):
    with tenant_scope(alpha.tenant):
        reply = QuickReplyFactory(shortcode="so-alpha")
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    sign_in_api(api_beta, beta_admin.email)

    assert api_beta.get(URL).json()["results"] == []
    assert api_beta.get(f"{URL}{reply.pk}/").status_code == 404
