"""Imports through the API: upload, follow the progress, read the error report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import sign_in_api
from contacts.models import Contact, ContactImport
from contacts.services import IMPORT_MAX_BYTES
from contacts.tasks import contact_import_run_task
from contacts.tests.factories import TagFactory


@pytest.fixture
def admin(in_alpha):
    return AdminFactory()


@pytest.fixture
def as_admin(api_alpha, admin):
    return sign_in_api(api_alpha, admin.email)


def _upload(text: str | bytes, name: str = "contatos.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_an_upload_is_queued_then_reports_progress_and_errors(
    as_admin, media_backend, django_capture_on_commit_callbacks
):
    """On the local disk and on the object store alike: the worker reads the stored file."""
    tag = TagFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        response = as_admin.post(
            "/api/v1/contacts/imports/",
            {"file": _upload("nome;telefone\nAna;11987654321\nBia;999\n"), "tag_ids": [tag.pk]},
            format="multipart",
        )

    assert response.status_code == 202, response.content
    queued = response.json()
    assert queued["status"] == "pending"
    assert queued["total_rows"] == 2
    stored = ContactImport.objects.get().file
    assert stored.name.startswith("tenants/alpha/")
    assert stored.storage.exists(stored.name)
    assert queued["tags"] == [tag.pk]
    assert len(callbacks) == 1

    contact_import_run_task.apply(args=(ContactImport.objects.get().pk,)).get()
    report = as_admin.get(f"/api/v1/contacts/imports/{queued['public_id']}/").json()

    assert report["status"] == "done"
    assert (report["processed_rows"], report["created"], report["updated"], report["skipped"]) == (
        2,
        1,
        0,
        1,
    )
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "phone")]
    assert list(Contact.objects.get().tags.all()) == [tag]


@pytest.mark.parametrize(
    ("file", "code"),
    [
        (_upload("nome,email\nAna,a@example.com\n"), "import_file_invalid"),
        (_upload("name,phone\nAna,1\n", name="contatos.txt"), "import_file_invalid"),
        (_upload(b"name,phone\n" + b"a,1\n" * (IMPORT_MAX_BYTES // 4)), "import_file_too_large"),
    ],
    ids=["wrong-header", "not-csv", "too-large"],
)
def test_a_refused_upload_is_a_400_and_stores_nothing(
    as_admin, django_capture_on_commit_callbacks, file, code
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = as_admin.post("/api/v1/contacts/imports/", {"file": file}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert callbacks == []
    assert not ContactImport.objects.exists()


def test_a_missing_file_or_bad_tags_are_a_400(as_admin):
    no_file = as_admin.post("/api/v1/contacts/imports/", {}, format="multipart")
    bad_tags = as_admin.post(
        "/api/v1/contacts/imports/",
        {"file": _upload("name,phone\nAna,11987654321\n"), "tag_ids": [999_999]},
        format="multipart",
    )

    assert no_file.status_code == 400
    assert "file" in no_file.json()["extra"]["fields"]
    assert bad_tags.status_code == 400
    assert "tag_ids" in bad_tags.json()["extra"]["fields"]
    assert not ContactImport.objects.exists()


def test_an_agent_cannot_follow_someone_elses_import(api_alpha, admin):
    contact_import = ContactImport.objects.create(created_by=admin, file="x.csv")
    agent = UserFactory()

    response = sign_in_api(api_alpha, agent.email).get(
        f"/api/v1/contacts/imports/{contact_import.public_id}/"
    )

    assert response.status_code == 404
    assert response.json()["code"] == "contact_import_not_found"


def test_an_integrator_may_skip_existing_contacts_but_not_ask(
    as_admin, django_capture_on_commit_callbacks
):
    existing = Contact.objects.create(name="Antiga", phone="+5511987654321")
    text = "name,phone,tags\nNova,11987654321,VIP\nBia,11987654322,VIP\n"
    with django_capture_on_commit_callbacks():
        response = as_admin.post(
            "/api/v1/contacts/imports/",
            {"file": _upload(text), "duplicates": "skip"},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    assert response.json()["duplicates"] == "skip"
    contact_import_run_task.apply(args=(ContactImport.objects.get().pk,)).get()

    existing.refresh_from_db()
    assert existing.name == "Antiga"
    assert not existing.tags.exists()
    assert [tag.name for tag in Contact.objects.get(name="Bia").tags.all()] == ["VIP"]

    asked = as_admin.post(
        "/api/v1/contacts/imports/",
        {"file": _upload(text), "duplicates": "ask"},
        format="multipart",
    )
    assert asked.status_code == 400
    assert set(asked.json()) == {"code", "message", "extra"}
    assert ContactImport.objects.count() == 1
