"""``/manage/`` is a page of cards to each administration page the user may open (links only to
pages that exist), and the 403/404 pages are styled pages of the product, not bare text."""

from __future__ import annotations

import re

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import host_client, signed_in_client
from tenants.tenancy import tenant_scope


def _card_links(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)" data-testid="manage-card"', html)


def test_an_admin_gets_a_card_for_each_manage_page_and_each_link_works(alpha):
    with tenant_scope(alpha.tenant):
        admin = AdminFactory()
    client = signed_in_client(alpha, admin)

    response = client.get("/manage/")

    assert response.status_code == 200
    links = _card_links(response.content.decode())
    assert {
        "/manage/users/",
        "/manage/queues/",
        "/manage/tags/",
        "/manage/quick-replies/",
        "/manage/connections/",
        "/manage/settings/",
    } <= set(links)
    for link in links:
        assert client.get(link).status_code == 200, link


def test_an_agent_sees_only_the_cards_of_pages_they_may_open(alpha, beta):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    client = signed_in_client(alpha, agent)

    links = _card_links(client.get("/manage/").content.decode())

    assert links == ["/manage/quick-replies/"]
    assert host_client(beta.host).get("/manage/").status_code == 302  # signed in on alpha only


def test_a_refused_page_is_a_styled_403(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()

    response = signed_in_client(alpha, agent).get("/manage/users/")

    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-testid="error-page" data-status="403"' in html
    assert "/static/css/app.css" in html
    assert "Você não pode abrir esta página" in html


def test_a_missing_page_is_a_styled_404(alpha):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()

    response = signed_in_client(alpha, agent).get("/no-such-page/")

    assert response.status_code == 404
    assert 'data-testid="error-page" data-status="404"' in response.content.decode()


def test_the_500_page_is_styled_without_a_context(alpha):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert 'data-testid="error-page" data-status="500"' in html
    assert "/static/css/app.css" in html
    assert 'name="viewport"' in html
