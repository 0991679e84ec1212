"""A new tenant's admin on an empty inbox, in chromium at 1366x768 and 390x844: the
getting-started checklist shows the steps the tenant's data already completes (a queue, a
connected web chat, another user) and the one left (a message through the web chat), leads to a
connection page that explains where each value comes from, fits a phone without sideways
scroll, and once hidden stays hidden.

The tenant is this module's own (the shared browser tenant's inbox fills up with other tests'
conversations, and the checklist lives on an empty inbox)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from accounts.models import User
from channels_integrations.services.connections import connection_create
from tenants.models import Tenant
from tenants.services import tenant_provision
from tenants.tenancy import public_scope, tenant_scope
from tests.browser.conftest import PASSWORD, LiveApp, no_sideways_scroll, shot
from tickets.services.agents import agent_create
from tickets.services.queues import queue_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}
SLUG = "primeiros-passos"
ADMIN = "dona@primeiros-passos.test"


def _drop() -> None:
    with public_scope():
        tenant = Tenant.objects.filter(schema_name=SLUG).first()
        if tenant is not None:
            tenant.delete(force_drop=True)


@pytest.fixture(scope="module")
def new_tenant(live_app: LiveApp, django_db_blocker) -> Iterator[tuple[str, str]]:
    """A tenant with a queue, a web chat and an agent, nothing else: (its URL, the widget id)."""
    with django_db_blocker.unblock():
        _drop()
        tenant = tenant_provision(
            name="Primeiros Passos", slug=SLUG, admin_email=ADMIN, admin_password=PASSWORD
        ).tenant
        with tenant_scope(tenant):
            by = User.objects.get(email=ADMIN)
            queue = queue_create(by=by, name="Atendimento", color="#0b7a5c")
            agent_create(
                by=by,
                email="agente@primeiros-passos.test",
                name="Agente",
                password=PASSWORD,
                queue_ids=[queue.pk],
            )
            widget = connection_create(
                by=by,
                provider="webchat",
                name="Site",
                credentials={"allowed_origins": [live_app.site_url]},
                default_queue=queue,
            )
    port = live_app.url.rsplit(":", 1)[1]
    yield f"http://{SLUG}.localhost:{port}", str(widget.public_id)
    with django_db_blocker.unblock():
        _drop()


def _sign_in(page, url: str) -> None:
    page.goto(f"{url}/accounts/login/?next=/")
    page.locator("#id_email").fill(ADMIN)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def test_the_admin_follows_the_checklist_then_hides_it(new_tenant, open_page):
    url, widget_id = new_tenant
    page = open_page("admin-desktop", **DESKTOP)
    _sign_in(page, url)
    checklist = page.get_by_test_id("onboarding")
    expect(checklist).to_be_visible()
    expect(page.get_by_test_id("onboarding-progress")).to_have_text("3 de 4 passos feitos")
    for step in ("queue", "channel", "agent"):
        expect(page.get_by_test_id(f"onboarding-step-{step}")).to_have_attribute(
            "data-done", "true"
        )
    expect(page.get_by_test_id("onboarding-step-widget")).to_have_attribute("data-done", "false")
    try_link = page.get_by_test_id("onboarding-widget-try")
    expect(try_link).to_have_attribute("href", f"/widget/{widget_id}/try/")
    no_sideways_scroll(page)
    shot(page, "onboarding-checklist-1366")

    page.get_by_test_id("onboarding-telegram").click()
    guide = page.get_by_test_id("connection-guide")
    expect(guide).to_contain_text("@BotFather")
    expect(guide).to_contain_text("“Token do bot (do @BotFather)”")
    no_sideways_scroll(page)
    shot(page, "onboarding-telegram-guide-1366")

    phone = open_page("admin-phone", **PHONE)
    _sign_in(phone, url)
    expect(phone.get_by_test_id("onboarding")).to_be_visible()
    no_sideways_scroll(phone)
    shot(phone, "onboarding-checklist-390")
    phone.goto(f"{url}/manage/connections/new/whatsapp_cloud/")
    expect(phone.get_by_test_id("connection-guide")).to_contain_text("whatsapp_business_messaging")
    no_sideways_scroll(phone)
    shot(phone, "onboarding-whatsapp-guide-390")

    phone.goto(f"{url}/")
    phone.get_by_test_id("onboarding-dismiss").click()
    expect(phone.get_by_test_id("onboarding")).to_have_count(0)
    phone.reload()
    expect(phone.get_by_test_id("inbox-empty")).to_be_visible()
    expect(phone.get_by_test_id("onboarding")).to_have_count(0)
    page.goto(f"{url}/")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()
    expect(page.get_by_test_id("onboarding")).to_have_count(0)
