"""/reports/live/: the backlog per queue and per agent right now, with the agents' presence;
admins only. The socket part (the panel is read again on events) is in the browser test."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.presence import AWAY, presence_leave, presence_touch
from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory


def test_an_admin_sees_each_queue_and_agent_now(in_alpha):
    sales, support = QueueFactory(name="Vendas"), QueueFactory(name="Suporte")
    ana = UserFactory(name="Ana", queues=[support])
    UserFactory(name="Bia", queues=[support])
    admin = AdminFactory(name="Chefe")
    oldest = TicketFactory(queue=support)
    Ticket.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(minutes=90))
    TicketFactory(queue=support)
    TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=ana)
    TicketFactory(queue=support, status=Ticket.Status.CLOSED)
    TicketFactory(queue=sales, status=Ticket.Status.CLOSED)
    presence_touch(user_id=ana.pk, channel="socket-1", status=AWAY)

    try:
        response = signed_in_client(in_alpha, admin).get("/reports/live/")
    finally:  # Redis is not rolled back with the test
        presence_leave(user_id=ana.pk, channel="socket-1")
    assert response.status_code == 200
    queues = {queue.name: queue for queue in response.context["queues"]}
    assert (queues["Suporte"].waiting, queues["Suporte"].open) == (2, 1)
    assert 90 * 60 <= queues["Suporte"].longest_wait_seconds < 91 * 60
    assert (queues["Vendas"].waiting, queues["Vendas"].open) == (0, 0)
    agents = {agent.name: agent for agent in response.context["agents"]}
    assert (agents["Ana"].status, agents["Ana"].open) == ("away", 1)
    assert (agents["Bia"].status, agents["Bia"].open) == ("offline", 0)
    page = response.content.decode()
    assert "1:30:0" in page  # the longest wait, h:mm:ss
    assert "js/reports_live.js" in page


def test_htmx_reads_only_the_panel(in_alpha):
    admin = AdminFactory()
    response = signed_in_client(in_alpha, admin).get("/reports/live/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b'data-testid="live-queues"' in response.content


def test_agents_may_not_open_it(in_alpha):
    response = signed_in_client(in_alpha, UserFactory()).get("/reports/live/")
    assert response.status_code == 403


def test_another_tenants_tickets_never_show(in_alpha, beta):
    admin = AdminFactory()
    with tenant_scope(beta.tenant):
        theirs = QueueFactory(name="Deles")
        TicketFactory(queue=theirs)
    with tenant_scope(in_alpha.tenant):
        mine = QueueFactory(name="Nossa")
    response = signed_in_client(in_alpha, admin).get("/reports/live/")
    names = [queue.name for queue in response.context["queues"]]
    assert names == ["Nossa"]
    assert mine.pk


def test_the_panel_is_a_fixed_number_of_queries(in_alpha, django_assert_num_queries):
    admin = AdminFactory()
    client = signed_in_client(in_alpha, admin)
    for n in range(3):
        queue = QueueFactory()
        TicketFactory.create_batch(n + 1, queue=queue)
        UserFactory(queues=[queue])
        # the panel's four (queues' tickets, queues, agents' tickets, users) and the request's
        # own (session, user; the tenant from the host cache, its search path already the
        # connection's), whatever the number of rows
        with django_assert_num_queries(6):
            assert client.get("/reports/live/", HTTP_HX_REQUEST="true").status_code == 200
