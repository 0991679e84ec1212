"""Users over HTTP: admins manage them within the plan; agents see only colleagues' names."""

import pytest

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from conftest import host_api_client, sign_in_api
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

URL = "/api/v1/users/"


@pytest.fixture
def admin_api(alpha, api_alpha):
    return sign_in_api(api_alpha, alpha.admin_email, alpha.admin_password)


@pytest.fixture
def agent_and_api(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory(name="Zé Agent")
    return agent, sign_in_api(host_api_client(alpha.host), agent.email)


def test_an_admin_creates_a_user_with_queues_and_never_sees_secrets(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()

    response = admin_api.post(
        URL,
        {
            "email": "Nova@Example.com",
            "name": "Nova",
            "password": PASSWORD,
            "queue_ids": [queue.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["role"], body["is_active"], body["queue_ids"]) == (
        "nova@example.com",
        "agent",
        True,
        [queue.pk],
    )
    assert "password" not in body
    assert PASSWORD not in response.content.decode()
    sign_in_api(host_api_client(alpha.host), "nova@example.com")  # the new user can sign in


def test_creating_over_max_users_is_409_and_stores_nothing(alpha, admin_api):
    alpha.tenant.max_users = 1
    alpha.tenant.save()

    response = admin_api.post(
        URL, {"email": "one@example.com", "name": "One", "password": PASSWORD}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (409, "user_limit_reached")
    assert response.json()["extra"] == {"max_users": 1}
    with tenant_scope(alpha.tenant):
        assert not User.objects.filter(email="one@example.com").exists()


def test_bad_input_is_400_and_stores_nothing(alpha, admin_api):
    bad = admin_api.post(URL, {"email": "nope", "name": "", "role": "super"}, format="json")
    weak = admin_api.post(
        URL, {"email": "a@example.com", "name": "A", "password": "1"}, format="json"
    )
    bad_queue = admin_api.post(
        URL,
        {"email": "a@example.com", "name": "A", "password": PASSWORD, "queue_ids": [424242]},
        format="json",
    )
    duplicate = admin_api.post(
        URL, {"email": alpha.admin_email, "name": "A", "password": PASSWORD}, format="json"
    )

    assert bad.status_code == 400
    assert set(bad.json()["extra"]["fields"]) == {"email", "name", "password", "role"}
    assert (weak.status_code, list(weak.json()["extra"]["fields"])) == (400, ["password"])
    assert (bad_queue.status_code, list(bad_queue.json()["extra"]["fields"])) == (
        400,
        ["queue_ids"],
    )
    assert (duplicate.status_code, list(duplicate.json()["extra"]["fields"])) == (400, ["email"])
    with tenant_scope(alpha.tenant):
        assert User.objects.count() == 1


def test_agents_list_only_active_colleagues_id_name_and_role(alpha, agent_and_api):
    agent, api = agent_and_api
    with tenant_scope(alpha.tenant):
        UserFactory(name="Gone", is_active=False)

    response = api.get(URL)

    assert response.status_code == 200
    results = response.json()["results"]
    assert {r["name"] for r in results} == {"Alpha Admin", "Zé Agent"}
    assert all(set(r) == {"id", "name", "role", "status"} for r in results)


def test_admins_list_everyone_and_filter_by_state(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        UserFactory(name="Ana", queues=[queue])
        UserFactory(name="Gone", is_active=False)

    everyone = admin_api.get(URL).json()["results"]
    inactive = admin_api.get(URL, {"is_active": "false"}).json()["results"]

    assert [u["name"] for u in everyone] == ["Alpha Admin", "Ana", "Gone"]
    assert everyone[1]["queue_ids"] == [queue.pk]
    assert [u["name"] for u in inactive] == ["Gone"]


def test_agents_get_403_on_admin_operations(alpha, agent_and_api):
    agent, api = agent_and_api
    with tenant_scope(alpha.tenant):
        colleague = UserFactory(name="Colleague")

    responses = [
        api.post(URL, {"email": "x@example.com", "name": "X", "password": PASSWORD}, format="json"),
        api.get(f"{URL}{colleague.pk}/"),
        api.patch(f"{URL}{colleague.pk}/", {"name": "Hacked"}, format="json"),
        api.post(f"{URL}{colleague.pk}/deactivate/"),
        api.post(f"{URL}{colleague.pk}/reactivate/"),
    ]
    promote = api.patch(f"{URL}{agent.pk}/", {"role": "admin"}, format="json")

    assert [(r.status_code, r.json()["code"]) for r in responses] == [(403, "admin_required")] * 5
    assert (promote.status_code, promote.json()["code"]) == (403, "user_edit_forbidden")
    with tenant_scope(alpha.tenant):
        assert User.objects.get(pk=colleague.pk).name == "Colleague"
        assert User.objects.get(pk=agent.pk).role == "agent"
        assert not User.objects.filter(email="x@example.com").exists()


def test_an_agent_renames_themselves(alpha, agent_and_api):
    agent, api = agent_and_api

    response = api.patch(f"{URL}{agent.pk}/", {"name": "Zé Novo"}, format="json")

    assert (response.status_code, response.json()["name"]) == (200, "Zé Novo")


def test_an_admin_updates_a_user_and_cannot_demote_the_last_admin(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        agent = UserFactory()
        admin_id = User.objects.get(email=alpha.admin_email).pk

    updated = admin_api.patch(
        f"{URL}{agent.pk}/", {"language": "en", "queue_ids": [queue.pk]}, format="json"
    )
    demoted = admin_api.patch(f"{URL}{admin_id}/", {"role": "agent"}, format="json")
    unknown = admin_api.patch(f"{URL}999999/", {"name": "X"}, format="json")

    assert (updated.json()["language"], updated.json()["queue_ids"]) == ("en", [queue.pk])
    assert (demoted.status_code, demoted.json()["code"]) == (409, "last_admin")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "user_not_found")


def test_deactivate_is_refused_with_active_tickets_then_allowed_after_handover(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        agent, colleague = UserFactory(), UserFactory()
        ticket = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)

    refused = admin_api.post(f"{URL}{agent.pk}/deactivate/")
    with tenant_scope(alpha.tenant):
        Ticket.objects.filter(pk=ticket.pk).update(assignee=colleague)
    done = admin_api.post(f"{URL}{agent.pk}/deactivate/")
    again = admin_api.post(f"{URL}{agent.pk}/reactivate/")

    assert (refused.status_code, refused.json()["code"]) == (409, "agent_has_active_tickets")
    assert refused.json()["extra"] == {"tickets": 1}
    assert (done.status_code, done.json()["is_active"]) == (200, False)
    assert (again.status_code, again.json()["is_active"]) == (200, True)


def test_a_deactivated_user_can_no_longer_use_the_api(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    agent_api = sign_in_api(host_api_client(alpha.host), agent.email)

    admin_api.post(f"{URL}{agent.pk}/deactivate/")

    assert agent_api.get(URL).status_code == 401


@pytest.mark.parametrize("page_size", [1, 40])
def test_the_admin_list_costs_the_same_queries_for_any_page_size(
    alpha, admin_api, page_size, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        queues = QueueFactory.create_batch(2)
        UserFactory.create_batch(45, queues=queues)

    # The user, the page of users, their queues (the tenant comes from the host cache; the
    # search_path is set only when the connection's session has another one).
    with django_assert_num_queries(3):
        response = admin_api.get(URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_alphas_users_are_invisible_at_beta(alpha, beta, api_beta):
    with tenant_scope(alpha.tenant):
        alpha_agent = UserFactory(name="Alpha Only")
    sign_in_api(api_beta, beta.admin_email, beta.admin_password)

    listed = api_beta.get(URL).json()["results"]
    fetched = api_beta.get(f"{URL}{alpha_agent.pk}/")
    deactivated = api_beta.post(f"{URL}{alpha_agent.pk}/deactivate/")

    assert [u["name"] for u in listed] == ["Beta Admin"]
    assert fetched.status_code == 404
    assert deactivated.status_code == 404
    with tenant_scope(alpha.tenant):
        assert User.objects.get(pk=alpha_agent.pk).is_active is True
