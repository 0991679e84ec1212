"""What an API key does is attributed on the ticket timeline to the key ("via API key
<name>"), in the API's events and on the dashboard's ticket panel."""

from accounts.tests.factories import AdminFactory
from conftest import host_api_client, signed_in_client
from integrations.tests.factories import api_key_make
from tenants.tenancy import tenant_scope
from tickets.models import TicketEvent
from tickets.tests.factories import TicketFactory


def test_a_ticket_closed_by_a_key_names_the_key_on_its_timeline(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory(name="Ana Admin")
        ticket = TicketFactory(status="open", assignee=admin)
        _key, secret = api_key_make(scopes=["tickets:write"], by=admin, name="Loja Virtual")
    api = host_api_client(alpha.host)
    api.credentials(HTTP_X_API_KEY=secret)

    closed = api.post(f"/api/v1/tickets/{ticket.public_id}/close/", {}, format="json")
    events = api.get(f"/api/v1/tickets/{ticket.public_id}/events/")
    panel = signed_in_client(alpha, admin).get(
        f"/tickets/{ticket.public_id}/panel/", HTTP_HX_REQUEST="true"
    )

    assert closed.status_code == 200, closed.content
    close_event = [e for e in events.json()["results"] if e["kind"] == "closed"][0]
    assert close_event["details"]["via_api_key"] == "Loja Virtual"
    html = panel.content.decode()
    assert 'data-testid="via-api-key"' in html
    assert "Loja Virtual" in html
    with tenant_scope(alpha.tenant):
        by_person = TicketEvent.objects.filter(ticket=ticket).exclude(kind="closed")
        assert all("via_api_key" not in event.data for event in by_person)
