"""The chatbot on real tickets: customers write through the real inbound pipeline, the bot
answers through the real outbound pipeline, and every step is on the ticket's timeline."""

from datetime import timedelta

import httpx
import pytest
import respx
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from automation.models import FlowRun
from automation.services.flow_runs import flow_runs_inactive_process
from automation.services.flows import (
    flow_graph_save,
    flow_graph_validate,
    flow_media_upload,
    flow_update,
)
from automation.tests.support import (
    after_commit,
    bot_texts,
    customer_writes,
    deliver_all,
    menu_graph,
    with_inactivity,
)
from channels_integrations.models import OutboundDelivery
from channels_integrations.providers.base import InboundMessage
from channels_integrations.services.inbound import inbound_events_record
from channels_integrations.tasks import inbound_event_process_task
from channels_integrations.tests.support import sample_connection
from contacts.tests.factories import ContactFactory, ContactIdentityFactory
from tenants.services import tenant_settings_update
from tenants.tenancy import tenant_scope
from tickets.models import ConnectionRouting, Message, Ticket, TicketEvent
from tickets.services.tickets import ticket_accept, ticket_close


def _ticket():
    return Ticket.objects.get()


def _bot_steps(ticket):
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.BOT)
        .order_by("pk")
        .values_list("data__step", flat=True)
    )


def test_a_new_ticket_gets_the_menu_through_the_outbound_pipeline(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")

    ticket = _ticket()
    [menu] = Message.objects.filter(ticket=ticket, sender=Message.Sender.BOT)
    assert menu.body == "Olá Ana! 1 Vendas 2 Suporte técnico 3 Atendente"
    assert menu.direction == Message.Direction.OUTBOUND
    assert OutboundDelivery.objects.get().message == menu
    assert deliver_all() == [{"to": "chat-1", "text": menu.body, "key": f"msg-{menu.public_id}"}]
    assert _bot_steps(ticket) == ["attached", "entered_node"]
    assert ticket.flow_run.node_id == "menu"


@pytest.mark.parametrize(
    "answer", ["2", "Suporte Técnico", "  SUPORTE TECNICO! ", "suporte técnico"]
)
def test_an_option_matches_by_number_or_by_text_ignoring_case_and_accents(
    alpha, connection, setup, django_capture_on_commit_callbacks, answer
):
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, answer)

    ticket = _ticket()
    assert bot_texts(ticket)[-1] == "Reinicie o roteador. Voltou?"
    assert ticket.flow_run.node_id == "sup"
    matched = TicketEvent.objects.get(ticket=ticket, data__step="answer_matched")
    assert (matched.data["option"], matched.data["label"]) == (2, "Suporte técnico")


def test_choosing_a_queue_hands_over_with_the_handoff_text(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    _, sales, _, _ = setup
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "1")

    ticket = _ticket()
    assert (ticket.queue, ticket.status, ticket.assignee) == (sales, "pending", None)
    assert bot_texts(ticket)[-1] == f"Encaminhado, Ana! Protocolo {ticket.protocol}."
    run = ticket.flow_run
    assert (run.ended_at is not None, run.end_reason) == (True, "handed_over")
    transferred = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.TRANSFERRED)
    assert transferred.data["to_queue"]["name"] == "Vendas"
    assert _bot_steps(ticket)[-2:] == ["answer_matched", "handed_over"]
    # and the bot says nothing more once it handed the ticket over
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "1")
    assert len(bot_texts(ticket)) == 2


def test_invalid_answers_until_the_retry_limit_send_the_ticket_to_its_destination(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    _, _, support, _ = setup
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    for text in ("quero boleto", "hã?", "???"):
        customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, text)

    ticket = _ticket()
    menu = "Olá Ana! 1 Vendas 2 Suporte técnico 3 Atendente"
    assert bot_texts(ticket) == [
        menu,
        "Não entendi.",
        menu,
        "Não entendi.",
        menu,
        f"Encaminhado, Ana! Protocolo {ticket.protocol}.",
    ]
    assert ticket.queue == support
    assert ticket.flow_run.end_reason == "retry_limit"
    assert _bot_steps(ticket).count("not_understood") == 3
    assert "retry_limit" in _bot_steps(ticket)


def test_step_return_start_sends_the_customer_back_to_the_first_step(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    admin, sales, support, flow = setup
    flow_graph_save(
        flow=flow,
        by=admin,
        graph=menu_graph(sales_queue=sales.pk, support_queue=support.pk, step_return="start"),
    )
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "2")
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "talvez")

    ticket = _ticket()
    assert bot_texts(ticket)[-2:] == [
        "Não entendi.",
        "Olá Ana! 1 Vendas 2 Suporte técnico 3 Atendente",
    ]
    assert (ticket.flow_run.node_id, ticket.flow_run.retries) == ("menu", 1)


def test_a_close_keyword_closes_through_the_close_service_with_farewell_and_timeline(
    alpha, connection, setup, settings, django_capture_on_commit_callbacks
):
    ConnectionRouting.objects.create(connection=connection, farewell_message="Até logo!")
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    customer_writes(
        alpha.tenant, connection, django_capture_on_commit_callbacks, "Encerrar atendimento"
    )

    ticket = _ticket()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.closed_at is not None
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CLOSED).exists()
    assert Message.objects.filter(ticket=ticket, sender="system", body="Até logo!").exists()
    assert ticket.flow_run.end_reason == "closed"
    assert "close_keyword" in _bot_steps(ticket)


def test_a_media_only_reply_is_not_understood_unless_an_option_takes_any_answer(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    with respx.mock:
        respx.get("https://sample.test/files/1").mock(
            return_value=httpx.Response(200, content=png, headers={"content-type": "image/png"})
        )
        customer_writes(
            alpha.tenant,
            connection,
            django_capture_on_commit_callbacks,
            "",
            kind="image",
            media={"url": "https://sample.test/files/1", "mime": "image/png"},
        )

    assert bot_texts(_ticket())[-2] == "Não entendi."


def test_an_agent_accepting_the_ticket_takes_it_out_of_the_bot(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    admin = setup[0]
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    ticket_accept(ticket=_ticket(), by=admin)
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "2")

    ticket = _ticket()
    assert len(bot_texts(ticket)) == 1
    assert ticket.flow_run.end_reason == "taken"


def test_a_reopened_ticket_does_not_resume_the_old_node(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    admin = setup[0]
    tenant_settings_update(tenant=alpha.tenant, values={"reopen_window_minutes": 60})
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    ticket_close(ticket=_ticket(), by=admin)
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "2")

    ticket = _ticket()  # reopened by the customer within the window: the same ticket
    assert ticket.status == Ticket.Status.PENDING
    assert len(bot_texts(ticket)) == 1
    assert ticket.flow_run.ended_at is not None


def test_tickets_inside_the_bot_finish_on_the_version_they_started_on(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    admin, sales, support, flow = setup
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    changed = menu_graph(sales_queue=sales.pk, support_queue=support.pk)
    changed["nodes"][1]["interactions"][0]["text"] = "Texto novo do suporte"
    flow_graph_save(flow=flow, by=admin, graph=changed)
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "2")
    customer_writes(
        alpha.tenant, connection, django_capture_on_commit_callbacks, "oi", sender="chat-2"
    )
    customer_writes(
        alpha.tenant, connection, django_capture_on_commit_callbacks, "2", sender="chat-2"
    )

    old, new = Ticket.objects.order_by("pk")
    assert bot_texts(old)[-1] == "Reinicie o roteador. Voltou?"
    assert old.flow_run.version.number == 1
    assert bot_texts(new)[-1] == "Texto novo do suporte"
    assert new.flow_run.version.number == 2


def test_test_contacts_restrict_the_bot_by_normalised_phone_number(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    admin, _, _, flow = setup
    flow = flow_update(flow=flow, by=admin, test_contacts=["(11) 98765-4321"])
    tester = ContactFactory(name="Bia", phone="+5511987654321")
    ContactIdentityFactory(contact=tester, provider="sample", external_id="tester")

    customer_writes(
        alpha.tenant, connection, django_capture_on_commit_callbacks, "oi", sender="tester"
    )
    customer_writes(
        alpha.tenant, connection, django_capture_on_commit_callbacks, "oi", sender="other"
    )

    assert flow.test_contacts == ["+5511987654321"]
    with_bot = set(FlowRun.objects.values_list("ticket__contact__name", flat=True))
    assert with_bot == {"Bia"}
    assert Ticket.objects.count() == 2


def test_silent_tickets_are_moved_on_and_the_customer_is_told(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    _admin, _sales, support, _flow = setup
    with_inactivity(setup, minutes=15, message="Sem resposta: passei para a equipe.")
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")
    ticket = _ticket()

    counts = []
    after_commit(
        alpha.tenant,
        django_capture_on_commit_callbacks,
        lambda: counts.extend(
            flow_runs_inactive_process(now=timezone.now() + timedelta(minutes=m)) for m in (14, 16)
        ),
    )
    early, moved = counts

    ticket.refresh_from_db()
    assert (early, moved) == (0, 1)
    assert ticket.queue == support
    assert bot_texts(ticket)[-1] == "Sem resposta: passei para a equipe."
    assert ticket.flow_run.end_reason == "inactivity"
    assert "inactivity" in _bot_steps(ticket)


def test_a_delay_is_scheduled_on_celery_not_slept(
    alpha, connection, setup, published, django_capture_on_commit_callbacks
):
    admin, sales, support, flow = setup
    graph = menu_graph(sales_queue=sales.pk, support_queue=support.pk)
    graph["nodes"][0]["interactions"].append(
        {"id": "later", "type": "text", "text": "Ainda está aí?", "delay_ms": 3000}
    )
    flow_graph_save(flow=flow, by=admin, graph=graph)

    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")

    ticket = _ticket()
    assert bot_texts(ticket) == ["Olá Ana! 1 Vendas 2 Suporte técnico 3 Atendente"]
    [scheduled] = [t for t in published if t[0] == "automation.tasks.flow_run_send_delayed_task"]
    run_id, step, sends = scheduled[1]
    assert (run_id, scheduled[2]) == (ticket.flow_run.pk, "alpha")
    assert [s["text"] for s in sends] == ["Ainda está aí?"]
    from automation.tasks import flow_run_send_delayed_task

    for _ in range(2):  # the second is a redelivered task
        after_commit(
            alpha.tenant,
            django_capture_on_commit_callbacks,
            lambda: flow_run_send_delayed_task.apply(args=(run_id, step, sends)),
        )
    assert bot_texts(ticket).count("Ainda está aí?") == 1


def test_flows_files_and_runs_never_cross_tenants(
    alpha, beta, connection, setup, sample_providers, django_capture_on_commit_callbacks
):
    # given a flow file of beta and a connection of beta without any flow
    with tenant_scope(beta.tenant):
        image = ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="b.png")
        image.content_type = "image/png"
        beta_media = flow_media_upload(by=AdminFactory(), file=image)
    beta_connection = sample_connection(beta.tenant)

    customer_writes(beta.tenant, beta_connection, django_capture_on_commit_callbacks, "oi")
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")

    with tenant_scope(beta.tenant):
        assert not FlowRun.objects.exists()
        assert not Message.objects.filter(sender="bot").exists()
    assert FlowRun.objects.count() == 1
    graph = menu_graph(sales_queue=setup[1].pk, support_queue=setup[2].pk)
    graph["nodes"][0]["interactions"].append(
        {
            "id": "x",
            "type": "media",
            "media": str(beta_media.public_id),
            "caption": "",
            "delay_ms": 0,
        }
    )
    problems = {(e.node, e.field, e.code) for e in flow_graph_validate(graph=graph)}
    assert problems == {("menu", "interactions[1].media", "media_missing")}


def test_the_bot_never_answers_a_group(
    alpha, connection, setup, django_capture_on_commit_callbacks
):
    """A WhatsApp group's message (the tenant reading groups) opens a group ticket the bot
    leaves alone, while a person writing to the same connection gets the menu."""
    tenant_settings_update(tenant=alpha.tenant, values={"ignore_group_messages": False})
    group = InboundMessage(
        event_id="group-1",
        external_id="120363025246125244@g.us",
        provider_message_id="group-m1",
        kind="text",
        body="oi",
        is_group=True,
        extra={"group_sender": {"name": "Ana", "number": "5511988887777"}},
    )
    event_ids = inbound_events_record(connection=connection, items=[group])
    after_commit(
        alpha.tenant,
        django_capture_on_commit_callbacks,
        lambda: [inbound_event_process_task.apply(args=(pk,)) for pk in event_ids],
    )
    customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, "oi")

    group_ticket = Ticket.objects.get(contact__is_group=True)
    person_ticket = Ticket.objects.get(contact__is_group=False)
    assert bot_texts(group_ticket) == []
    assert not FlowRun.objects.filter(ticket=group_ticket).exists()
    assert bot_texts(person_ticket) == ["Olá Ana! 1 Vendas 2 Suporte técnico 3 Atendente"]
