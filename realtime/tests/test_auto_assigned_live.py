"""An agent whose socket is open (so presence says online) receives, live, the ticket that
distribution hands them; the ticket row says it is theirs. Another tenant's sockets hear
nothing."""

from __future__ import annotations

from asgiref.sync import async_to_sync, sync_to_async

from accounts.tests.factories import AdminFactory, UserFactory
from automation.services.distribution import ticket_distribute
from realtime.tests.conftest import domain, drain, open_socket, socket_for
from tenants.tenancy import tenant_scope
from tickets.models import Queue
from tickets.tests.factories import QueueFactory, TicketFactory


def test_the_online_agent_receives_the_ticket_assigned_to_them_automatically(
    alpha, beta, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(distribution=Queue.Distribution.LEAST_BUSY)
        agent = UserFactory(queues=[queue])
        ticket = TicketFactory(queue=queue)
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()

    def produce():
        with tenant_scope(alpha.tenant), django_capture_on_commit_callbacks(execute=True):
            return ticket_distribute(ticket_id=ticket.pk)

    socket, other = socket_for(alpha, agent), socket_for(beta, beta_admin)

    async def body():
        await open_socket(socket)  # the socket makes the agent online
        await open_socket(other)
        await drain(socket)
        chosen = await sync_to_async(produce)()
        seen = [e for e in await drain(socket) if domain(e)]
        heard = [e for e in await drain(other) if domain(e)]
        await socket.disconnect()
        await other.disconnect()
        return chosen, seen, heard

    chosen, seen, heard = async_to_sync(body)()

    assert chosen == agent
    assert [e["type"] for e in seen] == ["ticket.transferred"]
    row = seen[0]["data"]["ticket"]
    assert row["public_id"] == str(ticket.public_id)
    assert row["assignee"]["id"] == agent.pk
    assert heard == []
