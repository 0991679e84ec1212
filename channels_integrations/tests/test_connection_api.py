"""Channel connections over HTTP for agents: read-only, never the credentials, isolated per
tenant."""

import uuid

import pytest

from accounts.tests.factories import UserFactory
from conftest import sign_in_api
from tenants.tenancy import tenant_scope
from tickets.tests.factories import ConnectionFactory, QueueFactory

URL = "/api/v1/connections/"
SECRET = "s3cr3t-bot-token-123456"


@pytest.fixture
def agent_api(alpha, api_alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    return sign_in_api(api_alpha, agent.email)


def test_an_agent_lists_and_reads_connections_without_credentials(alpha, agent_api):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Sales")
        bot = ConnectionFactory(
            name="Bot",
            provider="telegram",
            credentials={"bot_token": SECRET, "webhook_secret": SECRET[::-1]},
            default_queue=queue,
            greeting_message="Olá",
            farewell_message="Tchau",
        )
        ConnectionFactory(name="Site", is_active=False)

    listed = agent_api.get(URL)
    fetched = agent_api.get(f"{URL}{bot.public_id}/")

    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()["results"]] == ["Bot", "Site"]
    assert fetched.status_code == 200
    assert fetched.json() == {
        "id": str(bot.public_id),
        "provider": "telegram",
        "name": "Bot",
        "status": "connected",
        "status_detail": "",
        "default_queue": {"id": queue.pk, "name": "Sales"},
        "greeting_message": "Olá",
        "farewell_message": "Tchau",
        "is_active": True,
        "created_at": fetched.json()["created_at"],
        "updated_at": fetched.json()["updated_at"],
    }
    for response in (listed, fetched):
        text = response.content.decode()
        assert "credentials" not in text
        assert "bot_token" not in text
        assert SECRET[:6] not in text
        assert SECRET[-6:] not in text


def test_agents_may_not_create_or_change_connections(alpha, agent_api):
    with tenant_scope(alpha.tenant):
        connection = ConnectionFactory(name="Bot")

    created = agent_api.post(URL, {"name": "New", "provider": "webchat"}, format="json")
    changed = agent_api.patch(f"{URL}{connection.public_id}/", {"name": "X"}, format="json")

    assert (created.status_code, created.json()["code"]) == (403, "admin_required")
    assert (changed.status_code, changed.json()["code"]) == (403, "admin_required")


def test_an_unknown_or_malformed_id_is_404(agent_api):
    assert agent_api.get(f"{URL}{uuid.uuid4()}/").status_code == 404
    assert agent_api.get(f"{URL}not-a-uuid/").status_code == 404


def test_anonymous_callers_are_refused(alpha, api_alpha):
    assert api_alpha.get(URL).status_code == 401


@pytest.mark.parametrize("page_size", [1, 40])
def test_the_list_costs_the_same_queries_for_any_page_size(
    alpha, agent_api, page_size, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        for n in range(41):
            ConnectionFactory(name=f"C{n:02d}", default_queue=QueueFactory())

    # The user, the page with its default queues (the tenant from the host cache, its
    # search_path already the connection's).
    with django_assert_num_queries(2):
        response = agent_api.get(URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_alphas_connection_is_invisible_at_beta(alpha, beta, api_beta):
    with tenant_scope(alpha.tenant):
        connection = ConnectionFactory(name="Alpha bot")
    sign_in_api(api_beta, beta.admin_email, beta.admin_password)

    listed = api_beta.get(URL)
    fetched = api_beta.get(f"{URL}{connection.public_id}/")

    assert listed.json()["results"] == []
    assert (fetched.status_code, fetched.json()["code"]) == (404, "not_found")
