"""Deactivating and reactivating users: hand over tickets first, keep an admin, respect the plan,
drop the user's websockets."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.errors import AdminRequired, UserLimitReached
from accounts.models import User
from accounts.tests.factories import AdminFactory, UserFactory
from tenants.realtime import CLOSE_FORBIDDEN, USER_SOCKETS_GROUP
from tenants.tenancy import group_name, tenant_scope
from tickets.errors import AgentHasActiveTickets, LastAdmin
from tickets.models import Ticket
from tickets.services.agents import agent_deactivate, agent_reactivate
from tickets.tests.factories import QueueFactory, TicketFactory


def _first_admin():
    return User.objects.get(pk=1)


def test_an_agent_with_open_or_pending_tickets_is_refused_until_they_are_handed_over(alpha):
    with tenant_scope(alpha.tenant):
        admin = _first_admin()
        agent, colleague = UserFactory(), UserFactory()
        opened = TicketFactory(status=Ticket.Status.OPEN, assignee=agent)
        pending = TicketFactory(status=Ticket.Status.PENDING, assignee=agent)
        TicketFactory(status=Ticket.Status.CLOSED, assignee=agent)  # history does not block

        with pytest.raises(AgentHasActiveTickets) as refused:
            agent_deactivate(user=agent, by=admin)
        agent.refresh_from_db()
        still_active = agent.is_active

        Ticket.objects.filter(pk__in=[opened.pk, pending.pk]).update(assignee=colleague)
        agent_deactivate(user=agent, by=admin)
        agent.refresh_from_db()

    assert (refused.value.code, refused.value.http_status) == ("agent_has_active_tickets", 409)
    assert refused.value.extra == {"tickets": 2}
    assert still_active is True
    assert agent.is_active is False


def test_deactivation_keeps_the_user_and_their_queues(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory()
        agent = UserFactory(queues=[queue])

        agent_deactivate(user=agent, by=_first_admin())

        stored = User.objects.get(pk=agent.pk)
        assert stored.is_active is False
        assert list(stored.queues.all()) == [queue]


def test_deactivation_closes_the_users_websockets_once_committed(
    alpha, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        group = group_name(USER_SOCKETS_GROUP, agent.pk)
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    try:
        with (
            tenant_scope(alpha.tenant),
            django_capture_on_commit_callbacks(execute=False) as callbacks,
        ):
            agent_deactivate(user=agent, by=_first_admin())
        assert len(callbacks) == 1  # nothing is sent before the commit
        callbacks[0]()
        message = async_to_sync(layer.receive)(channel)
    finally:
        async_to_sync(layer.group_discard)(group, channel)

    assert message == {"type": "sockets.disconnect", "code": CLOSE_FORBIDDEN}


def test_the_last_active_admin_cannot_be_deactivated(alpha):
    with tenant_scope(alpha.tenant):
        admin = _first_admin()

        with pytest.raises(LastAdmin):
            agent_deactivate(user=admin, by=admin)

        admin.refresh_from_db()
        assert admin.is_active is True


def test_an_admin_may_deactivate_another_admin(alpha):
    with tenant_scope(alpha.tenant):
        other = AdminFactory()

        agent_deactivate(user=other, by=_first_admin())

        other.refresh_from_db()
        assert other.is_active is False


def test_agents_cannot_deactivate_or_reactivate(alpha):
    with tenant_scope(alpha.tenant):
        agent, colleague = UserFactory(), UserFactory()
        gone = UserFactory(is_active=False)

        with pytest.raises(AdminRequired):
            agent_deactivate(user=colleague, by=agent)
        with pytest.raises(AdminRequired):
            agent_reactivate(user=gone, by=agent)

        assert User.objects.get(pk=colleague.pk).is_active is True
        assert User.objects.get(pk=gone.pk).is_active is False


def test_reactivation_respects_max_users(alpha):
    alpha.tenant.max_users = 2
    alpha.tenant.save()
    with tenant_scope(alpha.tenant):
        admin = _first_admin()
        gone = UserFactory(is_active=False)
        also_gone = UserFactory(is_active=False)

        agent_reactivate(user=gone, by=admin)
        with pytest.raises(UserLimitReached):
            agent_reactivate(user=also_gone, by=admin)

        assert User.objects.get(pk=gone.pk).is_active is True
        assert User.objects.get(pk=also_gone.pk).is_active is False
