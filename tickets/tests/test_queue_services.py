"""Queue services: create and change with validation, members, admin only."""

import pytest

from accounts.errors import AdminRequired
from accounts.models import User
from accounts.tests.factories import AdminFactory, UserFactory
from core.exceptions import FieldValidationError
from tenants.tenancy import tenant_scope
from tickets.errors import QueueExists
from tickets.models import Queue
from tickets.services.queues import queue_create, queue_members_set, queue_update
from tickets.tests.factories import QueueFactory


def test_an_admin_creates_a_queue_with_colour_and_greeting(alpha):
    with tenant_scope(alpha.tenant):
        queue = queue_create(
            by=AdminFactory(), name="  Vendas ", color="#123abc", greeting_message="Olá!"
        )

        stored = Queue.objects.get(pk=queue.pk)
    assert (stored.name, stored.color, stored.greeting_message, stored.is_active) == (
        "Vendas",
        "#123abc",
        "Olá!",
        True,
    )


def test_a_name_taken_in_any_case_is_a_conflict(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        QueueFactory(name="Vendas")
        other = QueueFactory(name="Suporte")

        with pytest.raises(QueueExists) as created:
            queue_create(by=admin, name="VENDAS")
        with pytest.raises(QueueExists):
            queue_update(queue=other, by=admin, name="vendas")

        assert Queue.objects.filter(name__iexact="vendas").count() == 1
        other.refresh_from_db()
        assert other.name == "Suporte"
    assert (created.value.code, created.value.http_status) == ("queue_exists", 409)


def test_a_bad_colour_or_empty_name_is_rejected_and_nothing_stored(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        queue = QueueFactory(name="Suporte", color="#000000")

        with pytest.raises(FieldValidationError) as bad_create:
            queue_create(by=admin, name="", color="red")
        with pytest.raises(FieldValidationError) as bad_update:
            queue_update(queue=queue, by=admin, color="#12345")

        queue.refresh_from_db()
        assert queue.color == "#000000"
        assert Queue.objects.count() == 1
    assert set(bad_create.value.extra["fields"]) == {"name", "color"}
    assert set(bad_update.value.extra["fields"]) == {"color"}


def test_update_changes_only_the_given_fields(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Suporte", color="#000000", greeting_message="Oi")

        queue_update(queue=queue, by=AdminFactory(), is_active=False)

        queue.refresh_from_db()
    assert (queue.name, queue.color, queue.greeting_message, queue.is_active) == (
        "Suporte",
        "#000000",
        "Oi",
        False,
    )


def test_agents_cannot_manage_queues(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        queue = QueueFactory(name="Suporte")

        with pytest.raises(AdminRequired):
            queue_create(by=agent, name="Nova")
        with pytest.raises(AdminRequired):
            queue_update(queue=queue, by=agent, name="Outra")
        with pytest.raises(AdminRequired):
            queue_members_set(queue=queue, agent_ids=[agent.pk], by=agent)

        assert list(Queue.objects.values_list("name", flat=True)) == ["Suporte"]
        assert not queue.members.exists()


def test_members_are_replaced_by_active_users_only(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
        ana, bia, old = UserFactory(), UserFactory(), UserFactory()
        inactive = UserFactory(is_active=False)
        queue = QueueFactory()
        queue.members.set([old])

        queue_members_set(queue=queue, agent_ids=[ana.pk, bia.pk], by=admin)
        after_set = set(queue.members.values_list("pk", flat=True))
        with pytest.raises(FieldValidationError) as refused:
            queue_members_set(queue=queue, agent_ids=[ana.pk, inactive.pk, 999999], by=admin)
        after_refused = set(queue.members.values_list("pk", flat=True))

    assert after_set == {ana.pk, bia.pk}
    assert after_refused == {ana.pk, bia.pk}
    assert str(inactive.pk) in refused.value.extra["fields"]["agent_ids"][0]
    assert "999999" in refused.value.extra["fields"]["agent_ids"][0]


def test_members_can_be_emptied(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        queue.members.set([UserFactory()])

        queue_members_set(queue=queue, agent_ids=[], by=AdminFactory())

        assert not queue.members.exists()
        assert User.objects.filter(role=User.Role.AGENT).count() == 1
