"""Users management services: create within the plan, update, last-admin protection."""

import pytest

from accounts.errors import AdminRequired, UserLimitReached
from accounts.models import User
from accounts.tests.factories import PASSWORD, AdminFactory, UserFactory
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_scope
from tickets.errors import LastAdmin, UserEditForbidden
from tickets.services.agents import agent_create, agent_update
from tickets.tests.factories import QueueFactory


def _first_admin():
    return User.objects.get(pk=1)


def test_an_admin_creates_an_agent_with_queues(alpha):
    with tenant_scope(alpha.tenant):
        sales, support = QueueFactory(), QueueFactory()

        user = agent_create(
            email="Nova@Example.com",
            name="Nova",
            password=PASSWORD,
            role=User.Role.AGENT,
            queue_ids=[sales.pk, support.pk],
            by=_first_admin(),
        )

        stored = User.objects.get(pk=user.pk)
        queues = set(stored.queues.values_list("pk", flat=True))
    assert (stored.email, stored.role, stored.is_active, stored.is_superuser) == (
        "nova@example.com",
        "agent",
        True,
        False,
    )
    assert stored.check_password(PASSWORD)
    assert queues == {sales.pk, support.pk}


def test_creating_beyond_max_users_is_refused(alpha):
    alpha.tenant.max_users = 2  # the first admin plus one
    alpha.tenant.save()
    with tenant_scope(alpha.tenant):
        admin = _first_admin()
        agent_create(email="a@example.com", name="A", password=PASSWORD, by=admin)
        UserFactory(is_active=False)  # inactive users do not take a seat

        with pytest.raises(UserLimitReached) as refused:
            agent_create(email="b@example.com", name="B", password=PASSWORD, by=admin)

        assert not User.objects.filter(email="b@example.com").exists()
    assert (refused.value.code, refused.value.http_status) == ("user_limit_reached", 409)
    assert refused.value.extra == {"max_users": 2}


def test_unknown_queues_or_a_weak_password_store_nothing(alpha):
    with tenant_scope(alpha.tenant):
        admin = _first_admin()

        with pytest.raises(FieldValidationError) as bad_queue:
            agent_create(
                email="a@example.com", name="A", password=PASSWORD, queue_ids=[99999], by=admin
            )
        with pytest.raises(FieldValidationError) as weak:
            agent_create(email="a@example.com", name="A", password="123", by=admin)

        assert not User.objects.filter(email="a@example.com").exists()
    assert set(bad_queue.value.extra["fields"]) == {"queue_ids"}
    assert set(weak.value.extra["fields"]) == {"password"}


def test_agents_cannot_create_users(alpha):
    with tenant_scope(alpha.tenant):
        with pytest.raises(AdminRequired):
            agent_create(email="a@example.com", name="A", password=PASSWORD, by=UserFactory())
        assert not User.objects.filter(email="a@example.com").exists()


def test_an_admin_changes_role_language_and_queues(alpha):
    with tenant_scope(alpha.tenant):
        old, new = QueueFactory(), QueueFactory()
        agent = UserFactory(queues=[old])

        agent_update(
            user=agent,
            by=_first_admin(),
            name="Renamed",
            role=User.Role.ADMIN,
            language="en",
            queue_ids=[new.pk],
        )

        stored = User.objects.get(pk=agent.pk)
        queues = set(stored.queues.values_list("pk", flat=True))
    assert (stored.name, stored.role, stored.language, stored.is_superuser) == (
        "Renamed",
        "admin",
        "en",
        True,
    )
    assert queues == {new.pk}


def test_an_agent_edits_only_their_own_name_and_language(alpha):
    with tenant_scope(alpha.tenant):
        agent, colleague = UserFactory(name="Ana"), UserFactory(name="Bia")
        queue = QueueFactory()

        agent_update(user=agent, by=agent, name="Ana Maria", language="en")
        with pytest.raises(UserEditForbidden):
            agent_update(user=agent, by=agent, role=User.Role.ADMIN)
        with pytest.raises(UserEditForbidden):
            agent_update(user=agent, by=agent, queue_ids=[queue.pk])
        with pytest.raises(AdminRequired):
            agent_update(user=colleague, by=agent, name="Hacked")

        agent.refresh_from_db()
        colleague.refresh_from_db()
        assert (agent.name, agent.language, agent.role) == ("Ana Maria", "en", "agent")
        assert not agent.queues.exists()
        assert colleague.name == "Bia"


def test_the_last_active_admin_cannot_be_demoted(alpha):
    with tenant_scope(alpha.tenant):
        admin = _first_admin()
        AdminFactory(is_active=False)  # an inactive admin does not count

        with pytest.raises(LastAdmin) as refused:
            agent_update(user=admin, by=admin, role=User.Role.AGENT)

        admin.refresh_from_db()
        assert admin.role == User.Role.ADMIN
    assert (refused.value.code, refused.value.http_status) == ("last_admin", 409)


def test_an_admin_can_be_demoted_while_another_admin_remains(alpha):
    with tenant_scope(alpha.tenant):
        admin = _first_admin()
        other = AdminFactory()

        agent_update(user=other, by=admin, role=User.Role.AGENT)

        other.refresh_from_db()
        assert (other.role, other.is_superuser) == ("agent", False)


def test_bad_role_language_or_blank_name_change_nothing(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory(name="Ana")

        with pytest.raises(FieldValidationError) as refused:
            agent_update(user=agent, by=_first_admin(), name=" ", role="super", language="xx")

        agent.refresh_from_db()
        assert (agent.name, agent.role, agent.language) == ("Ana", "agent", "")
    assert set(refused.value.extra["fields"]) == {"name", "role", "language"}
