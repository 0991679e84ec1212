"""A contact's export: a ZIP with the profile, identities, tickets on both channels, messages with
times and senders, attachments, as JSON and HTML; notes only when asked; stored under the
tenant's prefix; removed after its window."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from privacy.models import PrivacyRequest
from privacy.services import (
    privacy_export_request,
    privacy_exports_expire,
    privacy_request_fulfil,
)
from privacy.tests.factories import seed_contact
from tenants.tenancy import tenant_scope


def _zip(request):
    with default_storage.open(request.file.name, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def test_export_holds_both_channels_with_senders_times_and_files_but_no_notes(alpha):
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzexp")
        contact = seeded.contact
        request = privacy_export_request(contact=contact, requested_by=None)
        done = privacy_request_fulfil(request_id=request.pk)
        assert done.status == PrivacyRequest.Status.DONE
        assert done.file.name.startswith("tenants/alpha/privacy-exports/")
        assert done.expires_at > timezone.now() + timedelta(days=6)
        archive = _zip(done)
        names = set(archive.namelist())
        assert {"contact.json", "contact.html"} <= names
        data = json.loads(archive.read("contact.json"))
        assert data["profile"]["name"] == contact.name
        assert data["profile"]["phone"] == contact.phone
        assert data["profile"]["custom_attributes"] == contact.custom_attributes
        assert {i["provider"] for i in data["identities"]} == {"telegram", "webchat"}
        assert {t["provider"] for t in data["tickets"]} == {"telegram", "webchat"}
        messages = [m for t in data["tickets"] for m in t["messages"]]
        assert all(m["at"] and m["sender_name"] for m in messages)
        assert {m["sender"] for m in messages} == {"contact", "agent"}
        assert not any(m["is_note"] for m in messages)
        assert not any("-note" in m["body"] for m in messages)
        attachments = [m["attachment"] for m in messages if m["attachment"]]
        assert len(attachments) == 2
        for path in attachments:
            assert path in names
            assert b"-filecontent" in archive.read(path)
        html = archive.read("contact.html").decode()
        assert contact.name in html
        assert any(m["body"] in html for m in messages if m["body"])


def test_notes_are_exported_only_when_asked_and_files_expire(alpha):
    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzexn")
        request = privacy_export_request(
            contact=seeded.contact, requested_by=None, include_notes=True
        )
        done = privacy_request_fulfil(request_id=request.pk)
        data = json.loads(_zip(done).read("contact.json"))
        notes = [m for t in data["tickets"] for m in t["messages"] if m["is_note"]]
        assert len(notes) == 2
        name = done.file.name
        assert privacy_exports_expire() == 0  # still inside its window
        PrivacyRequest.objects.filter(pk=done.pk).update(expires_at=timezone.now())
        assert privacy_exports_expire() == 1
        assert not default_storage.exists(name)
        done.refresh_from_db()
        assert done.status == PrivacyRequest.Status.EXPIRED
        assert done.fulfilled_at is not None


def test_no_export_while_or_after_the_contact_is_erased(alpha):
    from privacy.errors import PrivacyRequestInProgress
    from privacy.services import privacy_erasure_request

    with tenant_scope(alpha.tenant):
        seeded = seed_contact("zzexe")
        earlier = privacy_export_request(contact=seeded.contact, requested_by=None)
        erasure = privacy_erasure_request(contact=seeded.contact, requested_by=None)
        with pytest.raises(PrivacyRequestInProgress):
            privacy_export_request(contact=seeded.contact, requested_by=None)
        privacy_request_fulfil(request_id=erasure.pk)
        late = privacy_request_fulfil(request_id=earlier.pk)
        assert late.status == PrivacyRequest.Status.EXPIRED
        assert not late.file
        assert not default_storage.exists(f"tenants/alpha/privacy-exports/{earlier.public_id.hex}")
