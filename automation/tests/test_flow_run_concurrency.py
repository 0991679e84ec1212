"""Two answers of one customer processed at the same moment by two workers are read one after
the other (the ticket row is locked): no step is lost (committed rows, threads)."""

from __future__ import annotations

from typing import cast

from accounts.models import User
from accounts.tests.factories import AdminFactory
from automation.models import Flow, FlowRun, FlowVersion
from automation.services.flow_runs import flow_message_received
from automation.tests.support import make_flow, menu_graph
from channels_integrations.models import OutboundDelivery
from connections.models import ChannelConnection
from contacts.models import Contact
from tenants.tenancy import tenant_scope
from tests.support.concurrency import in_thread, run_in_threads
from tickets.models import Message, Queue, Ticket, TicketEvent
from tickets.tests.factories import ConnectionFactory, MessageFactory, QueueFactory, TicketFactory


def test_two_answers_at_once_are_two_steps(alpha):
    tenant = alpha.tenant

    def seed() -> dict[str, int]:
        with tenant_scope(tenant):
            admin = cast(User, AdminFactory())
            sales, support = QueueFactory(name="C Vendas"), QueueFactory(name="C Suporte")
            make_flow(admin, menu_graph(sales_queue=sales.pk, support_queue=support.pk))
            ticket = TicketFactory(connection=ConnectionFactory(provider="telegram"))
            first = MessageFactory(ticket=ticket, body="oi")
            flow_message_received(message_id=first.pk)  # attached: the menu is sent
            answers = [MessageFactory(ticket=ticket, body=b).pk for b in ("2", "talvez")]
            return {"ticket": ticket.pk, "admin": admin.pk, "a": answers[0], "b": answers[1]}

    ids = in_thread(seed)

    def worker(index: int) -> None:
        with tenant_scope(tenant):
            flow_message_received(message_id=ids["a" if index == 0 else "b"])

    def outcome() -> tuple[int, int, str]:
        with tenant_scope(tenant):
            run = FlowRun.objects.get(ticket_id=ids["ticket"])
            texts = Message.objects.filter(ticket_id=ids["ticket"], sender="bot").count()
            return run.step, texts, run.node_id

    def cleanup() -> None:
        with tenant_scope(tenant):
            tickets = Ticket.objects.filter(pk=ids["ticket"])
            connection_id = tickets.get().connection_id
            contact_id = tickets.get().contact_id
            OutboundDelivery.objects.filter(message__ticket__in=tickets).delete()
            Message.objects.filter(ticket__in=tickets).delete()
            TicketEvent.objects.filter(ticket__in=tickets).delete()
            FlowRun.objects.filter(ticket__in=tickets).delete()
            tickets.delete()
            Contact.objects.filter(pk=contact_id).delete()
            Flow.objects.update(current_version=None)
            FlowVersion.objects.all().delete()
            Flow.objects.all().delete()
            Queue.objects.filter(name__in=["C Vendas", "C Suporte"]).delete()
            ChannelConnection.objects.filter(pk=connection_id).delete()
            User.objects.filter(pk=ids["admin"]).delete()

    try:
        _, errors = run_in_threads(2, worker)
        step, texts, node = in_thread(outcome)
    finally:
        in_thread(cleanup)

    assert errors == []
    # attach (menu) + two answers, each its own step: whichever came first, the ticket ends on
    # the support step with four texts (menu, support, "not understood" + a step again);
    # read concurrently, one step would overwrite the other (step 2)
    assert (step, node, texts) == (3, "sup", 4)
