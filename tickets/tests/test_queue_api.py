"""Queues over HTTP: everyone lists, admins manage, delete moves tickets, isolation."""

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from tenants.tenancy import tenant_scope
from tickets.models import Queue, Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

URL = "/api/v1/queues/"


@pytest.fixture
def admin_api(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    return sign_in_api(api_alpha, admin.email)


@pytest.fixture
def agent_and_api(alpha):
    from conftest import host_api_client

    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    return agent, sign_in_api(host_api_client(alpha.host), agent.email)


def test_agents_list_active_queues_with_their_active_members(alpha, agent_and_api):
    agent, api = agent_and_api
    with tenant_scope(alpha.tenant):
        sales = QueueFactory(name="Sales")
        QueueFactory(name="Archive", is_active=False)
        gone = UserFactory(is_active=False)
        sales.members.set([agent, gone])

    response = api.get(URL)

    assert response.status_code == 200
    results = response.json()["results"]
    assert [q["name"] for q in results] == ["Sales"]
    assert results[0]["member_ids"] == [agent.pk]
    assert set(results[0]) == {
        "id",
        "name",
        "color",
        "greeting_message",
        "is_active",
        "distribution",
        "agent_capacity",
        "member_ids",
        "created_at",
        "updated_at",
    }


def test_admins_list_inactive_queues_too(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        QueueFactory(name="Sales")
        QueueFactory(name="Archive", is_active=False)

    names = [q["name"] for q in admin_api.get(URL).json()["results"]]

    assert names == ["Archive", "Sales"]


def test_an_admin_creates_updates_and_sets_members(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()

    created = admin_api.post(URL, {"name": "Sales", "color": "#112233"}, format="json")
    queue_id = created.json()["id"]
    patched = admin_api.patch(f"{URL}{queue_id}/", {"greeting_message": "Oi"}, format="json")
    members = admin_api.put(f"{URL}{queue_id}/members/", {"agent_ids": [agent.pk]}, format="json")

    assert created.status_code == 201
    assert (created.json()["name"], created.json()["color"]) == ("Sales", "#112233")
    assert (patched.status_code, patched.json()["greeting_message"]) == (200, "Oi")
    assert (members.status_code, members.json()["member_ids"]) == (200, [agent.pk])


def test_bad_input_is_400_or_409_and_stores_nothing(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        QueueFactory(name="Sales")

    bad = admin_api.post(URL, {"name": "", "color": "blue"}, format="json")
    bad_type = admin_api.post(URL, {"name": ["x"], "is_active": "maybe"}, format="json")
    duplicate = admin_api.post(URL, {"name": "sales"}, format="json")
    bad_members = admin_api.put(f"{URL}999999/members/", {"agent_ids": "x"}, format="json")

    assert bad.status_code == 400
    assert set(bad.json()["extra"]["fields"]) == {"name"}
    assert bad_type.status_code == 400
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "queue_exists")
    assert bad_members.status_code == 400
    with tenant_scope(alpha.tenant):
        assert list(Queue.objects.values_list("name", flat=True)) == ["Sales"]


def test_a_bad_colour_is_400_with_the_field(alpha, admin_api):
    response = admin_api.post(URL, {"name": "Sales", "color": "#zzzzzz"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"color"}
    with tenant_scope(alpha.tenant):
        assert not Queue.objects.exists()


def test_agents_get_403_on_every_admin_operation(alpha, agent_and_api):
    agent, api = agent_and_api
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Sales")

    responses = [
        api.post(URL, {"name": "New"}, format="json"),
        api.patch(f"{URL}{queue.pk}/", {"name": "Renamed"}, format="json"),
        api.put(f"{URL}{queue.pk}/members/", {"agent_ids": [agent.pk]}, format="json"),
        api.delete(f"{URL}{queue.pk}/"),
    ]

    assert [(r.status_code, r.json()["code"]) for r in responses] == [(403, "admin_required")] * 4
    with tenant_scope(alpha.tenant):
        assert list(Queue.objects.values_list("name", flat=True)) == ["Sales"]
        assert not queue.members.exists()


def test_delete_needs_a_target_when_the_queue_has_tickets(alpha, admin_api):
    with tenant_scope(alpha.tenant):
        old, target = QueueFactory(name="Old"), QueueFactory(name="Target")
        ticket = TicketFactory(queue=old)

    refused = admin_api.delete(f"{URL}{old.pk}/")
    same = admin_api.delete(f"{URL}{old.pk}/", {"move_to": old.pk}, format="json")
    missing = admin_api.delete(f"{URL}{old.pk}/", {"move_to": 999999}, format="json")
    done = admin_api.delete(f"{URL}{old.pk}/", {"move_to": target.pk}, format="json")

    assert (refused.status_code, refused.json()["code"]) == (409, "queue_has_tickets")
    assert refused.json()["extra"] == {"tickets": 1}
    assert (same.status_code, list(same.json()["extra"]["fields"])) == (400, ["move_to"])
    assert (missing.status_code, list(missing.json()["extra"]["fields"])) == (400, ["move_to"])
    assert (done.status_code, done.json()) == (200, {"moved_tickets": 1})
    with tenant_scope(alpha.tenant):
        assert Ticket.objects.get(pk=ticket.pk).queue_id == target.pk
        assert not Queue.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("page_size", [1, 40])
def test_the_list_costs_the_same_queries_for_any_page_size(
    alpha, admin_api, page_size, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        agents = UserFactory.create_batch(3)
        for n in range(40):
            QueueFactory(name=f"Q{n:02d}").members.set(agents)

    # The user, the page of queues, their active members (the tenant comes from the host
    # cache; the search_path is set only when the connection's session has another one).
    with django_assert_num_queries(3):
        response = admin_api.get(URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size
    assert all(len(q["member_ids"]) == 3 for q in response.json()["results"])


def test_alphas_queue_is_invisible_at_beta(alpha, beta, admin_api, api_beta):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Alpha only")
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    sign_in_api(api_beta, beta_admin.email)

    listed = api_beta.get(URL)
    fetched = api_beta.get(f"{URL}{queue.pk}/")
    deleted = api_beta.delete(f"{URL}{queue.pk}/")

    assert listed.json()["results"] == []
    assert (fetched.status_code, fetched.json()["code"]) == (404, "queue_not_found")
    assert deleted.status_code == 404
    with tenant_scope(alpha.tenant):
        assert Queue.objects.filter(pk=queue.pk).exists()


def test_distribution_settings_are_set_through_the_api_and_checked(alpha, admin_api):
    created = admin_api.post(
        URL,
        {"name": "Round", "distribution": "round_robin", "agent_capacity": 5},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (created.json()["distribution"], created.json()["agent_capacity"]) == ("round_robin", 5)
    queue_id = created.json()["id"]

    no_capacity = admin_api.patch(
        f"{URL}{queue_id}/", {"distribution": "capacity", "agent_capacity": None}, format="json"
    )
    unknown = admin_api.patch(f"{URL}{queue_id}/", {"distribution": "random"}, format="json")
    too_many = admin_api.patch(f"{URL}{queue_id}/", {"agent_capacity": 0}, format="json")

    assert no_capacity.status_code == 400
    assert "agent_capacity" in no_capacity.json()["extra"]["fields"]
    assert unknown.status_code == 400
    assert "distribution" in unknown.json()["extra"]["fields"]
    assert too_many.status_code == 400
    with tenant_scope(alpha.tenant):
        queue = Queue.objects.get(pk=queue_id)
        assert (queue.distribution, queue.agent_capacity) == ("round_robin", 5)

    capacity = admin_api.patch(
        f"{URL}{queue_id}/", {"distribution": "capacity", "agent_capacity": 3}, format="json"
    )
    assert (capacity.json()["distribution"], capacity.json()["agent_capacity"]) == ("capacity", 3)
    kept = admin_api.patch(f"{URL}{queue_id}/", {"name": "Round 2"}, format="json")
    assert kept.json()["agent_capacity"] == 3  # left out: kept
