"""The tenant Django admin: every helpdesk model has a page, tickets and their timeline are
read-only, and channel credentials never appear."""

import pytest
from django.utils import translation

from accounts.tests.factories import UserFactory
from conftest import sign_in
from tenants.tenancy import tenant_scope
from tickets.events import event_ticket_created
from tickets.models import Queue, Ticket
from tickets.tests.factories import (
    ConnectionFactory,
    MessageFactory,
    QueueFactory,
    QuickReplyFactory,
    TicketFactory,
)

SECRET = "s3cr3t-whatsapp-token-987"

CHANGELISTS = [
    "/admin/tickets/queue/",
    "/admin/tickets/ticket/",
    "/admin/tickets/ticketevent/",
    "/admin/tickets/message/",
    "/admin/tickets/messageedit/",
    "/admin/tickets/quickreply/",
    "/admin/connections/channelconnection/",
]


@pytest.fixture
def world(alpha):
    with tenant_scope(alpha.tenant):
        queue = QueueFactory(name="Vendas")
        connection = ConnectionFactory(
            name="Zap", provider="whatsapp_cloud", credentials={"access_token": SECRET}
        )
        ticket = TicketFactory(queue=queue, connection=connection)
        event_ticket_created(ticket=ticket, by=None)
        message = MessageFactory(ticket=ticket, body="Quero comprar")
        message.edits.create(previous_body="Quero")
        QuickReplyFactory(shortcode="ola")
    return {"queue": queue, "connection": connection, "ticket": ticket, "message": message}


@pytest.fixture
def signed_in(alpha, client_alpha):
    return sign_in(client_alpha, alpha.admin_email, alpha.admin_password)


@pytest.mark.parametrize("url", CHANGELISTS)
def test_each_changelist_renders_without_credentials(world, signed_in, url):
    response = signed_in.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert SECRET not in response.content.decode()


def test_the_connection_page_says_configured_and_hides_the_credentials(world, signed_in):
    connection = world["connection"]

    listed = signed_in.get("/admin/connections/channelconnection/").content.decode()
    page = signed_in.get(f"/admin/connections/channelconnection/{connection.pk}/change/")

    assert page.status_code == 200
    with translation.override(page.wsgi_request.LANGUAGE_CODE):  # the tenant's language
        assert translation.gettext("configured") in listed
    assert "credentials" not in page.context["adminform"].form.fields
    assert SECRET not in page.content.decode()
    assert "access_token" not in page.content.decode()


def test_saving_a_connection_in_the_admin_keeps_its_credentials(alpha, world, signed_in):
    connection = world["connection"]

    response = signed_in.post(
        f"/admin/connections/channelconnection/{connection.pk}/change/",
        {
            "provider": "whatsapp_cloud",
            "name": "Zap 2",
            "status": "connected",
            "status_detail": "",
            "default_queue": "",
            "greeting_message": "",
            "farewell_message": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    with tenant_scope(alpha.tenant):
        connection.refresh_from_db()
    assert (connection.name, connection.credentials) == ("Zap 2", {"access_token": SECRET})


def test_a_ticket_page_is_read_only_with_its_timeline(world, signed_in):
    ticket = world["ticket"]

    page = signed_in.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    posted = signed_in.post(f"/admin/tickets/ticket/{ticket.pk}/change/", {"status": "closed"})
    delete = signed_in.get(f"/admin/tickets/ticket/{ticket.pk}/delete/")

    assert page.status_code == 200
    assert ticket.protocol in page.content.decode()
    assert "Created" in page.content.decode()  # the timeline inline
    assert posted.status_code == 403
    assert delete.status_code == 403


def test_ticket_search_finds_by_protocol_and_contact_name(world, signed_in):
    ticket = world["ticket"]

    by_protocol = signed_in.get("/admin/tickets/ticket/", {"q": ticket.protocol})
    by_name = signed_in.get("/admin/tickets/ticket/", {"q": ticket.contact.name})
    nothing = signed_in.get("/admin/tickets/ticket/", {"q": "no-such-thing"})

    assert by_protocol.context["cl"].result_count == 1
    assert by_name.context["cl"].result_count == 1
    assert nothing.context["cl"].result_count == 0


def test_a_queue_is_created_in_the_admin_with_active_members_only(alpha, world, signed_in):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
        gone = UserFactory(is_active=False)

    duplicate = signed_in.post(
        "/admin/tickets/queue/add/", {"name": "VENDAS", "color": "#112233", "members": []}
    )
    inactive = signed_in.post(
        "/admin/tickets/queue/add/", {"name": "Suporte", "color": "#112233", "members": [gone.pk]}
    )
    created = signed_in.post(
        "/admin/tickets/queue/add/", {"name": "Suporte", "color": "#112233", "members": [agent.pk]}
    )

    assert duplicate.status_code == 200  # the form again, with the error
    assert inactive.status_code == 200
    assert created.status_code == 302
    with tenant_scope(alpha.tenant):
        queue = Queue.objects.get(name="Suporte")
        assert list(queue.members.all()) == [agent]
        assert Queue.objects.count() == 2


def test_a_queue_with_tickets_cannot_be_deleted_in_the_admin(alpha, world, signed_in):
    queue = world["queue"]

    response = signed_in.post(f"/admin/tickets/queue/{queue.pk}/delete/", {"post": "yes"})

    assert response.status_code == 200  # the "protected objects" page
    with tenant_scope(alpha.tenant):
        assert Queue.objects.filter(pk=queue.pk).exists()
        assert Ticket.objects.get(pk=world["ticket"].pk).queue_id == queue.pk


def test_an_empty_queue_is_deleted_in_the_admin(alpha, world, signed_in):
    with tenant_scope(alpha.tenant):
        empty = QueueFactory(name="Vazia")

    response = signed_in.post(f"/admin/tickets/queue/{empty.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    with tenant_scope(alpha.tenant):
        assert not Queue.objects.filter(pk=empty.pk).exists()
