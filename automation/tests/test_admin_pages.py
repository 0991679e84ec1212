"""The tenant Django admin has a page for each chatbot model."""

import pytest

from accounts.models import User
from automation.models import FlowRun
from automation.tests.support import make_flow, menu_graph
from conftest import sign_in
from tenants.tenancy import tenant_scope
from tickets.tests.factories import QueueFactory, TicketFactory

CHANGELISTS = [
    "/admin/automation/flow/",
    "/admin/automation/flowversion/",
    "/admin/automation/flowrun/",
]


@pytest.fixture
def world(alpha):
    with tenant_scope(alpha.tenant):
        admin = User.objects.get(email=alpha.admin_email)
        queue = QueueFactory()
        flow = make_flow(admin, menu_graph(sales_queue=queue.pk, support_queue=queue.pk))
        FlowRun.objects.create(
            ticket=TicketFactory(),
            version=flow.current_version,
            node_id="menu",
            last_interaction_at=flow.created_at,
        )
    return flow


@pytest.mark.parametrize("url", CHANGELISTS)
def test_each_changelist_renders(alpha, client_alpha, world, url):
    signed_in = sign_in(client_alpha, alpha.admin_email, alpha.admin_password)
    response = signed_in.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    flows = signed_in.get(f"/admin/automation/flow/{world.pk}/change/")
    assert flows.status_code == 200
