"""Agents see in the ticket panel what the customer did in the bot, and which messages the bot
sent."""

from accounts.tests.factories import AdminFactory
from automation.tests.support import customer_writes, make_flow, menu_graph
from conftest import signed_in_client
from tickets.models import Ticket
from tickets.tests.factories import QueueFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_the_panel_shows_the_bot_steps_and_its_messages(
    alpha, connection, django_capture_on_commit_callbacks
):
    admin = AdminFactory()
    sales, support = QueueFactory(name="Vendas"), QueueFactory(name="Suporte")
    make_flow(admin, menu_graph(sales_queue=sales.pk, support_queue=support.pk))
    for text in ("oi", "talvez", "Vendas"):
        customer_writes(alpha.tenant, connection, django_capture_on_commit_callbacks, text)
    ticket = Ticket.objects.get()

    client = signed_in_client(alpha, admin)
    html = client.get(f"/tickets/{ticket.public_id}/panel/", **HTMX).content.decode()

    assert html.count('data-testid="sent-by-bot"') == 4
    assert "iniciou o fluxo “Bot” (versão 1)" in html
    assert "mostrou a etapa “Menu”" in html
    assert "não entendeu “talvez” (tentativa 1)" in html
    assert "entendeu “Vendas” como a opção 1 (Vendas)" in html
    assert "passou o ticket para uma fila" in html
