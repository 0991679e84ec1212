"""Where the inbox opens: on the tab with work (open tickets, else waiting ones), with an empty
state that says where the work is; one word ("Aguardando") for the waiting state; the
shortcuts dialog closes with "Fechar" (not "Encerrar", which closes tickets)."""

from __future__ import annotations

import re

from accounts.tests.factories import UserFactory
from conftest import signed_in_client
from tenants.tenancy import tenant_scope
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory, TicketFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def _current_tab(html: str) -> str:
    return re.findall(r'data-tab="(\w+)"[^>]*aria-current="page"', html)[0]


def test_an_agent_with_only_waiting_tickets_lands_on_the_waiting_tab(alpha, beta):
    with tenant_scope(alpha.tenant):
        support = QueueFactory(name="Suporte")
        ana = UserFactory(queues=[support])
        waiting = TicketFactory(queue=support)
    with tenant_scope(beta.tenant):  # another tenant's open ticket changes nothing
        beta_queue = QueueFactory()
        beta_agent = UserFactory(queues=[beta_queue])
        TicketFactory(queue=beta_queue, status=Ticket.Status.OPEN, assignee=beta_agent)

    html = signed_in_client(alpha, ana).get("/").content.decode()

    assert _current_tab(html) == "pending"
    assert f'data-ticket-id="{waiting.public_id}"' in html
    assert 'name="tab" value="pending" id="inbox-tab-field"' in html  # filters keep the tab


def test_open_tickets_come_first_and_a_chosen_tab_is_kept(alpha):
    with tenant_scope(alpha.tenant):
        support = QueueFactory()
        ana = UserFactory(queues=[support])
        TicketFactory(queue=support)
        TicketFactory(queue=support, status=Ticket.Status.OPEN, assignee=ana)
    client = signed_in_client(alpha, ana)

    assert _current_tab(client.get("/").content.decode()) == "open"
    assert _current_tab(client.get("/?tab=closed").content.decode()) == "closed"


def test_an_empty_tab_says_where_the_work_is(alpha):
    with tenant_scope(alpha.tenant):
        support = QueueFactory()
        ana = UserFactory(queues=[support])
        TicketFactory(queue=support)
        TicketFactory(queue=support)
    client = signed_in_client(alpha, ana)

    html = client.get("/?tab=open", **HTMX).content.decode()

    empty = html[html.index('data-testid="inbox-empty"') :]
    assert "hidden" not in empty.split(">", 1)[0]
    link = empty[empty.index('data-testid="inbox-empty-elsewhere"') :]
    assert "2 em “Aguardando”" in link
    assert "tab=pending" in empty.split('data-testid="inbox-empty-elsewhere"')[0].rsplit("<a", 1)[1]


def test_the_waiting_state_has_one_name_in_tab_header_and_row(alpha):
    with tenant_scope(alpha.tenant):
        support = QueueFactory()
        ana = UserFactory(queues=[support])
        ticket = TicketFactory(queue=support)
    client = signed_in_client(alpha, ana)

    page = client.get("/").content.decode()
    panel = client.get(f"/tickets/{ticket.public_id}/panel/", **HTMX).content.decode()

    assert "Aguardando" in page
    assert 'data-testid="ticket-status" class="status status-pending">Aguardando<' in panel
    assert "Pendente" not in page + panel


def test_the_shortcuts_dialog_closes_with_fechar(alpha):
    with tenant_scope(alpha.tenant):
        ana = UserFactory()

    html = signed_in_client(alpha, ana).get("/").content.decode()

    dialog = html[html.index('id="shortcuts-help"') :].split("</dialog>")[0]
    assert ">Fechar</button>" in dialog
    assert "Encerrar</button>" not in dialog
