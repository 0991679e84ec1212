"""Data rights pages: export and erasure from the contact's page (admins only, confirmed), the
request log with due dates and progress, the download behind the same check (never another
tenant's, never after its window), the retention policy's dry run and validation."""

from __future__ import annotations

import io
import zipfile
import zoneinfo
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from contacts.models import Contact
from privacy.models import PrivacyRequest, RetentionPolicy
from privacy.services import privacy_request_fulfil
from privacy.services.erasure import erased_contact_name
from privacy.tests.factories import seed_contact
from tenants.tenancy import tenant_scope
from tickets.models import Message, Ticket


@pytest.fixture
def admin(alpha):
    with tenant_scope(alpha.tenant):
        return AdminFactory(language="en")


def test_an_admin_exports_a_contact_and_downloads_it_from_the_log(
    alpha, beta, admin, django_capture_on_commit_callbacks
):
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzpage")
    client = signed_in_client(alpha, admin)
    page = client.get(f"/contacts/{seeded.contact.public_id}/").content.decode()
    assert 'data-testid="contact-export-form"' in page
    assert "data-confirm=" in page.split('data-testid="contact-export-form"')[1][:300]
    response = client.post(
        f"/manage/privacy/contacts/{seeded.contact.public_id}/export/", {"include_notes": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/manage/privacy/"
    with tenant_scope(alpha.tenant):
        request = PrivacyRequest.objects.get(contact_ref=seeded.contact.pk)
        assert request.kind == "export"
        assert request.include_notes
        assert request.requested_by == admin
    log = client.get("/manage/privacy/").content.decode()
    assert 'data-status="pending"' in log
    assert 'hx-trigger="every 2s"' in log  # refreshed while it waits
    # the deadline as the page shows it: in the tenant's time zone (a day earlier than UTC's
    # in the first hours of a UTC day)
    deadline = timezone.localtime(
        request.created_at + timedelta(days=15),
        zoneinfo.ZoneInfo(alpha.tenant.time_zone or settings.TIME_ZONE),
    )
    assert deadline.strftime("%d/%m/%Y") in log
    with tenant_scope(alpha.tenant):
        privacy_request_fulfil(request_id=request.pk)
    log = client.get("/manage/privacy/log/").content.decode()
    assert 'data-status="done"' in log
    assert 'hx-trigger="every 2s"' not in log
    url = f"/manage/privacy/{request.public_id}/download/"
    assert url in log
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "contact.json" in archive.namelist()
    # Another tenant's admin, an agent, and anybody after the window: no file.
    with tenant_scope(beta.tenant):
        other_admin = AdminFactory()
    assert signed_in_client(beta, other_admin).get(url).status_code == 404
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    assert signed_in_client(alpha, agent).get(url).status_code == 403
    with tenant_scope(alpha.tenant):
        PrivacyRequest.objects.filter(pk=request.pk).update(expires_at=timezone.now())
    assert client.get(url).status_code == 404


def test_erasure_asks_first_naming_what_goes_then_runs(alpha, admin):
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzpagee")
    client = signed_in_client(alpha, admin)
    url = f"/manage/privacy/contacts/{seeded.contact.public_id}/erase/"
    confirm = client.get(url).content.decode()
    assert 'data-testid="privacy-erase-form"' in confirm
    assert f"Erased contact #{seeded.contact.pk}" in confirm  # in the reader's language
    assert "telegram, webchat" in confirm
    assert "8 messages in 2 tickets" in confirm  # 4 a ticket: text, reply, note, file
    with tenant_scope(alpha.tenant):
        assert not PrivacyRequest.objects.exists()
    assert client.post(url).status_code == 302
    with tenant_scope(alpha.tenant):
        request = PrivacyRequest.objects.get(kind="erasure")
        privacy_request_fulfil(request_id=request.pk)
        contact = Contact.objects.get(pk=seeded.contact.pk)
        assert contact.name == erased_contact_name(contact.pk)
        assert not Message.objects.filter(ticket__contact=contact).exclude(body="").exists()
    again = client.post(url)
    assert again.status_code == 302
    with tenant_scope(alpha.tenant):
        assert PrivacyRequest.objects.filter(kind="erasure").count() == 1  # already erased


def test_agents_get_no_data_rights(alpha):
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzpagea")
        agent = UserFactory()
    client = signed_in_client(alpha, agent)
    page = client.get(f"/contacts/{seeded.contact.public_id}/").content.decode()
    assert "contact-data-rights" not in page
    public_id = seeded.contact.public_id
    assert client.post(f"/manage/privacy/contacts/{public_id}/export/").status_code == 403
    assert client.post(f"/manage/privacy/contacts/{public_id}/erase/").status_code == 403
    assert client.get("/manage/privacy/").status_code == 403
    with tenant_scope(alpha.tenant):
        assert not PrivacyRequest.objects.exists()


def test_retention_dry_run_changes_nothing_and_bad_values_are_refused(alpha, admin):
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzpager")
        Ticket.objects.filter(pk=seeded.tickets[0].pk).update(
            closed_at=timezone.now() - timedelta(days=100)
        )
    client = signed_in_client(alpha, admin)
    dry = client.post(
        "/manage/privacy/",
        {"is_enabled": "on", "months": "2", "action": "anonymise", "dry_run": "1"},
    )
    html = dry.content.decode()
    assert dry.status_code == 200
    assert "Now, 1 tickets closed before" in html
    with tenant_scope(alpha.tenant):
        assert not RetentionPolicy.objects.exists()
        assert Message.objects.filter(ticket=seeded.tickets[0]).exclude(body="").exists()
    bad = client.post("/manage/privacy/", {"months": "0", "action": "anonymise"})
    assert bad.status_code == 400
    with tenant_scope(alpha.tenant):
        assert not RetentionPolicy.objects.exists()
    saved = client.post("/manage/privacy/", {"is_enabled": "on", "months": "2", "action": "erase"})
    assert saved.status_code == 302
    with tenant_scope(alpha.tenant):
        policy = RetentionPolicy.objects.get()
        assert (policy.is_enabled, policy.months, policy.action) == (True, 2, "erase")
