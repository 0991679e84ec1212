"""Admin pages for users, queues, quick replies and settings: who may open them, that they
save through the services, that refusals show next to the field and store nothing, two
tenants, and the queries the lists cost."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_client, signed_in_client
from tenants.models import Tenant
from tenants.tenancy import public_scope, tenant_scope
from tickets.models import Queue, QuickReply, Ticket
from tickets.tests.factories import QueueFactory, QuickReplyFactory, TicketFactory


@pytest.fixture
def people(alpha):
    with tenant_scope(alpha.tenant):
        support = QueueFactory(name="Suporte")
        return {"admin": AdminFactory(), "agent": UserFactory(queues=[support]), "support": support}


@pytest.mark.parametrize("path", ["/manage/users/", "/manage/queues/", "/manage/settings/"])
def test_agents_get_403_and_admins_get_the_page(alpha, people, path):
    assert signed_in_client(alpha, people["agent"]).get(path).status_code == 403
    assert signed_in_client(alpha, people["admin"]).get(path).status_code == 200
    assert host_client(alpha.host).get(path).status_code == 302  # to the sign-in page


def test_an_admin_creates_a_queue_with_its_agents(alpha, people):
    client = signed_in_client(alpha, people["admin"])
    response = client.post(
        "/manage/queues/",
        {
            "name": "Financeiro",
            "color": "#175cd3",
            "is_active": "on",
            "members": [people["agent"].pk],
        },
    )
    assert response.status_code == 302
    with tenant_scope(alpha.tenant):
        queue = Queue.objects.get(name="Financeiro")
        assert list(queue.members.values_list("pk", flat=True)) == [people["agent"].pk]


def test_a_duplicate_queue_name_is_shown_next_to_the_name_and_nothing_is_stored(alpha, people):
    client = signed_in_client(alpha, people["admin"])
    response = client.post("/manage/queues/", {"name": "suporte", "color": "#175cd3"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="form-row has-error"' in html
    with tenant_scope(alpha.tenant):
        assert Queue.objects.filter(name__iexact="suporte").count() == 1


def test_deleting_a_queue_with_tickets_needs_a_target_and_moves_them(alpha, people):
    with tenant_scope(alpha.tenant):
        other = QueueFactory(name="Outra")
        ticket = TicketFactory(queue=people["support"])
    client = signed_in_client(alpha, people["admin"])
    refused = client.post(f"/manage/queues/{people['support'].pk}/delete/", {"move_to": ""})
    assert refused.status_code == 400
    moved = client.post(f"/manage/queues/{people['support'].pk}/delete/", {"move_to": other.pk})
    assert moved.status_code == 302
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=ticket.pk).queue_id == other.pk
        assert not Queue.objects.filter(pk=people["support"].pk).exists()


def test_an_admin_creates_and_deactivates_a_user(alpha, people):
    client = signed_in_client(alpha, people["admin"])
    created = client.post(
        "/manage/users/",
        {
            "name": "Nova Agente",
            "email": "nova@example.com",
            "role": "agent",
            "language": "en",
            "queues": [people["support"].pk],
            "password": "Um-Segredo-Forte-42",
        },
    )
    assert created.status_code == 302
    with tenant_scope(alpha.tenant):
        user = User.objects.get(email="nova@example.com")
        assert (user.language, list(user.queues.all())) == ("en", [people["support"]])
    assert client.post(f"/manage/users/{user.pk}/active/").status_code == 302
    with tenant_scope(alpha.tenant):
        assert not User.objects.get(pk=user.pk).is_active


def test_a_weak_password_or_a_taken_email_is_refused_next_to_the_field(alpha, people):
    client = signed_in_client(alpha, people["admin"])
    data = {"name": "X", "role": "agent", "password": "123", "email": "x@example.com"}
    weak = client.post("/manage/users/", data)
    taken = client.post(
        "/manage/users/",
        {**data, "password": "Um-Segredo-Forte-42", "email": people["agent"].email},
    )
    for response in (weak, taken):
        assert response.status_code == 400
        assert 'class="form-row has-error"' in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert not User.objects.filter(email="x@example.com").exists()


def test_the_last_admin_cannot_be_deactivated(alpha, people):
    with tenant_scope(alpha.tenant):
        User.objects.filter(role=User.Role.ADMIN).exclude(pk=people["admin"].pk).update(
            is_active=False
        )
    client = signed_in_client(alpha, people["admin"])
    response = client.post(f"/manage/users/{people['admin'].pk}/active/", follow=True)
    assert response.status_code == 200
    with tenant_scope(alpha.tenant):
        assert User.objects.get(pk=people["admin"].pk).is_active


def test_agents_manage_their_own_quick_replies_and_only_admins_share(alpha, people):
    with tenant_scope(alpha.tenant):
        shared = QuickReplyFactory(shortcode="pix", owner=None)
    agent = signed_in_client(alpha, people["agent"])
    assert agent.get("/manage/quick-replies/").status_code == 200
    created = agent.post(
        "/manage/quick-replies/", {"shortcode": "oi", "body": "Oi!", "shared": "on"}
    )
    assert created.status_code == 302
    with tenant_scope(alpha.tenant):
        mine = QuickReply.objects.get(shortcode="oi")
        assert mine.owner_id == people["agent"].pk  # "shared" is not an agent's choice
    refused = agent.post(f"/manage/quick-replies/{shared.pk}/delete/")
    assert refused.status_code == 302
    with tenant_scope(alpha.tenant):
        assert QuickReply.objects.filter(pk=shared.pk).exists()


def test_another_agents_own_quick_reply_is_not_found(alpha, people):
    with tenant_scope(alpha.tenant):
        theirs = QuickReplyFactory(shortcode="meu", owner=people["admin"])
    agent = signed_in_client(alpha, people["agent"])
    assert agent.get(f"/manage/quick-replies/{theirs.pk}/").status_code == 404
    assert agent.post(f"/manage/quick-replies/{theirs.pk}/delete/").status_code == 404
    with tenant_scope(alpha.tenant):
        assert QuickReply.objects.filter(pk=theirs.pk).exists()


def test_settings_are_saved_typed_and_refused_whole(alpha, people):
    client = signed_in_client(alpha, people["admin"])
    saved = client.post(
        "/manage/settings/",
        {
            "time_zone": "America/Sao_Paulo",
            "language": "pt-br",
            "days_to_close": "3",
            "reopen_window_minutes": "10",
            "audit_retention_days": "90",
            "farewell_on_auto_close": "on",
        },
    )
    assert saved.status_code == 302
    with public_scope():
        settings = Tenant.objects.get(pk=alpha.tenant.pk).settings
    assert (settings["days_to_close"], settings["farewell_on_auto_close"]) == (3, True)
    refused = client.post(
        "/manage/settings/",
        {
            "time_zone": "America/Sao_Paulo",
            "language": "pt-br",
            "days_to_close": "0",
            "reopen_window_minutes": "1",
            "audit_retention_days": "90",
        },
    )
    assert refused.status_code == 400
    with public_scope():
        assert Tenant.objects.get(pk=alpha.tenant.pk).settings["days_to_close"] == 3


def test_another_tenants_queues_and_users_are_not_reachable(alpha, beta, people):
    with tenant_scope(beta.tenant):
        beta_queue = QueueFactory(name="Beta queue")
        beta_user = UserFactory(email="beta-only@example.com")
    client = signed_in_client(alpha, people["admin"])
    assert "Beta queue" not in client.get("/manage/queues/").content.decode()
    assert "beta-only@example.com" not in client.get("/manage/users/").content.decode()
    assert client.get(f"/manage/queues/{beta_queue.pk + 1000}/").status_code == 404
    assert client.get(f"/manage/users/{beta_user.pk + 1000}/").status_code == 404


@pytest.mark.parametrize("count", [2, 20])
def test_the_lists_cost_the_same_queries_for_few_or_many_rows(
    alpha, people, count, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        for _ in range(count):
            queue = QueueFactory()
            UserFactory(queues=[queue])
            QuickReplyFactory(owner=None)
    client = signed_in_client(alpha, people["admin"])
    client.get("/")
    # session, user, then the list, its members (with their presence from Redis), the business
    # hours, and the form's agents (the search path is already the tenant's)
    with django_assert_num_queries(6):
        client.get("/manage/queues/")
    with django_assert_num_queries(5):
        client.get("/manage/users/")
    with django_assert_num_queries(3):
        client.get("/manage/quick-replies/")
