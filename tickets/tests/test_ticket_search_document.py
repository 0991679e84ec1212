"""Each ticket's search document (migration tickets 0011) follows its messages, whatever writes
them: one message or a batch, an edit, a soft or hard delete, a message moved to another ticket;
delivery ticks leave the ticket row alone. The inbox search finds tickets through it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import AdminFactory
from tenants.tenancy import tenant_scope
from tickets.models import Message
from tickets.selectors import ticket_list_for_inbox
from tickets.tests.factories import MessageFactory, TicketFactory


def _document(ticket_id: int) -> str:
    with connection.cursor() as cursor:
        sql = "SELECT search_document::text FROM tickets_ticket WHERE id = %s"
        cursor.execute(sql, [ticket_id])
        return cursor.fetchone()[0] or ""


def _row_version(ticket_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM tickets_ticket WHERE id = %s", [ticket_id])
        return cursor.fetchone()[0]


def _found(admin, word: str) -> set[int]:
    return {ticket.pk for ticket in ticket_list_for_inbox(user=admin, search=word)}


@pytest.fixture
def admin(alpha):
    with tenant_scope(alpha.tenant):
        return AdminFactory()


def test_new_messages_one_by_one_or_in_a_batch_are_searchable(alpha, admin):
    with tenant_scope(alpha.tenant):
        ticket, other = TicketFactory(), TicketFactory()
        MessageFactory(ticket=ticket, body="Quero o reembolso da compra")
        Message.objects.bulk_create(
            [
                MessageFactory.build(ticket=ticket, body="O boleto venceu"),
                MessageFactory.build(ticket=other, body="Cadê a encomenda?"),
            ]
        )

        assert "'reembols'" in _document(ticket.pk)  # Portuguese stems
        assert _found(admin, "reembolso") == {ticket.pk}
        assert _found(admin, "boleto") == {ticket.pk}
        assert _found(admin, "encomenda") == {other.pk}
        assert _found(admin, "pizza") == set()


def test_an_edit_a_soft_delete_and_a_hard_delete_rebuild_the_document(alpha, admin):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory()
        kept = MessageFactory(ticket=ticket, body="Minha geladeira quebrou")
        edited = MessageFactory(ticket=ticket, body="Preciso de um estorno")
        removed = MessageFactory(ticket=ticket, body="Falei com o gerente")
        erased = MessageFactory(ticket=ticket, body="Meu cartão final 4321")

        edited.body = "Preciso de uma troca"
        edited.save(update_fields=["body"])
        removed.deleted_at = timezone.now()
        removed.save(update_fields=["deleted_at"])
        erased.delete()

        assert _found(admin, "estorno") == set()
        assert _found(admin, "troca") == {ticket.pk}
        assert _found(admin, "gerente") == set()
        assert _found(admin, "cartão") == set()
        assert _found(admin, "geladeira") == {ticket.pk}
        kept.body = ""  # an erased text: nothing of it stays searchable
        kept.save(update_fields=["body"])
        assert _found(admin, "geladeira") == set()


def test_a_message_moved_to_another_ticket_moves_its_words(alpha, admin):
    with tenant_scope(alpha.tenant):
        first, second = TicketFactory(), TicketFactory()
        message = MessageFactory(ticket=first, body="Entrega atrasada")

        Message.objects.filter(pk=message.pk).update(ticket=second)

        assert _found(admin, "atrasada") == {second.pk}
        assert "atras" not in _document(first.pk)


def test_delivery_ticks_do_not_rewrite_the_ticket(alpha):
    with tenant_scope(alpha.tenant):
        ticket = TicketFactory()
        message = MessageFactory(ticket=ticket, body="Oi", status=Message.Status.SENT)
        before = _row_version(ticket.pk)

        Message.objects.filter(pk=message.pk).update(status=Message.Status.DELIVERED)

        assert _row_version(ticket.pk) == before


def test_another_tenants_words_are_not_found(alpha, beta, admin):
    with tenant_scope(beta.tenant):
        MessageFactory(ticket=TicketFactory(), body="Segredo do vizinho")
    with tenant_scope(alpha.tenant):
        mine = TicketFactory()
        MessageFactory(ticket=mine, body="Segredo meu")
        assert _found(admin, "vizinho") == set()
        assert _found(admin, "segredo") == {mine.pk}
