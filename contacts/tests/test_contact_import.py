"""CSV imports run in the background, upsert by phone, and report every skipped row."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory
from contacts.errors import ImportFileInvalid, ImportFileTooLarge
from contacts.models import Contact, ContactImport
from contacts.services import IMPORT_MAX_BYTES, contact_import_start
from contacts.tasks import contact_import_run_task
from contacts.tests.factories import ContactFactory, TagFactory
from core.exceptions import FieldValidationError


def _csv(text: str, *, name: str = "contatos.csv", bom: bool = False) -> SimpleUploadedFile:
    data = text.encode("utf-8")
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def admin(in_alpha):
    return AdminFactory()


def _start_and_run(django_capture_on_commit_callbacks, **kwargs) -> ContactImport:
    with django_capture_on_commit_callbacks() as callbacks:
        contact_import = contact_import_start(**kwargs)
    # the task is enqueued on commit; here it runs in-process through Celery's eager apply
    assert len(callbacks) == 1
    assert contact_import.status == ContactImport.Status.PENDING
    contact_import_run_task.apply(args=(contact_import.pk,)).get()
    contact_import.refresh_from_db()
    return contact_import


def test_a_good_file_creates_contacts_with_the_given_tags(
    admin, django_capture_on_commit_callbacks
):
    vip = TagFactory(name="VIP")
    file = _csv(
        "nome,telefone,email\nAna,(11) 98765-4321,ana@example.com\nBruno,+55 21 99876-5432,\n"
    )

    done = _start_and_run(
        django_capture_on_commit_callbacks, file=file, created_by=admin, tag_ids=[vip.pk]
    )

    assert done.status == ContactImport.Status.DONE
    assert (done.total_rows, done.processed_rows) == (2, 2)
    assert (done.created_count, done.updated_count, done.skipped_count) == (2, 0, 0)
    assert done.errors == []
    assert done.finished_at is not None
    assert done.file.name.startswith("tenants/alpha/imports/")
    contacts = {c.phone: c for c in Contact.objects.prefetch_related("tags")}
    assert set(contacts) == {"+5511987654321", "+5521998765432"}
    assert contacts["+5511987654321"].email == "ana@example.com"
    assert all(list(c.tags.all()) == [vip] for c in contacts.values())


def test_mixed_rows_are_imported_or_reported_one_by_one(admin, django_capture_on_commit_callbacks):
    existing = ContactFactory(name="Old name", phone="+5511912345678", email="old@example.com")
    file = _csv(
        "Name,Phone,E-mail\n"  # row 1
        "Ana,11987654321,ana@example.com\n"  # row 2: created
        "Sem telefone,,x@example.com\n"  # row 3: no phone
        "Carla,12345,\n"  # row 4: invalid phone
        "Dora,11 91234-5678,\n"  # row 5: updates the existing contact
        "Eva,21998765432,not-an-email\n"  # row 6: bad e-mail
        ",21 3456-7890,\n"  # row 7: created, named after the phone
        "Ana Again,+5511987654321,\n"  # row 8: same phone as row 2: reported, not merged
    )
    admin.language = "en"  # the report is written in its author's language
    admin.save()

    done = _start_and_run(django_capture_on_commit_callbacks, file=file, created_by=admin)

    assert done.status == ContactImport.Status.DONE
    assert (done.total_rows, done.processed_rows) == (7, 7)
    assert (done.created_count, done.updated_count, done.skipped_count) == (2, 1, 4)
    assert done.errors == [
        {"row": 3, "field": "phone", "message": "The phone is missing."},
        {"row": 4, "field": "phone", "message": "This is not a valid phone number."},
        {"row": 6, "field": "email", "message": "This is not a valid e-mail address."},
        {
            "row": 8,
            "field": "phone",
            "message": "Row 2 has the same phone; this row was not imported.",
        },
    ]
    existing.refresh_from_db()
    assert (existing.name, existing.email) == ("Dora", "old@example.com")
    assert Contact.objects.get(phone="+5511987654321").name == "Ana"
    assert Contact.objects.get(phone="+552134567890").name == "+552134567890"
    assert Contact.objects.count() == 3


def test_a_semicolon_file_with_bom_is_read(admin, django_capture_on_commit_callbacks):
    file = _csv("Nome;Número;E-mail\nJoão;11987654321;joao@example.com\n", bom=True)

    done = _start_and_run(django_capture_on_commit_callbacks, file=file, created_by=admin)

    assert (done.created_count, done.skipped_count) == (1, 0)
    contact = Contact.objects.get()
    assert (contact.name, contact.phone, contact.email) == (
        "João",
        "+5511987654321",
        "joao@example.com",
    )


def test_running_a_finished_import_again_changes_nothing(admin, django_capture_on_commit_callbacks):
    done = _start_and_run(
        django_capture_on_commit_callbacks,
        file=_csv("name,phone\nAna,11987654321\n"),
        created_by=admin,
    )

    contact_import_run_task.apply(args=(done.pk,)).get()

    done.refresh_from_db()
    assert done.created_count == 1
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("file", "error"),
    [
        (_csv("nome,email\nAna,a@example.com\n"), ImportFileInvalid),
        (_csv("name,phone\n"), ImportFileInvalid),
        (_csv("name,phone\nAna,11987654321\n", name="contatos.xlsx"), ImportFileInvalid),
        (
            SimpleUploadedFile("c.csv", "name,phone\nJoão,1\n".encode("latin-1")),
            ImportFileInvalid,
        ),
        (
            SimpleUploadedFile("c.csv", b"name,phone\n" + b"a,1\n" * (IMPORT_MAX_BYTES // 4)),
            ImportFileTooLarge,
        ),
    ],
    ids=["no-phone-column", "no-rows", "not-csv", "not-utf8", "too-large"],
)
def test_a_refused_file_stores_nothing(admin, django_capture_on_commit_callbacks, file, error):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(error):
        contact_import_start(file=file, created_by=admin)

    assert callbacks == []
    assert not ContactImport.objects.exists()


def test_unknown_tags_are_refused(admin, django_capture_on_commit_callbacks):
    with pytest.raises(FieldValidationError):
        contact_import_start(
            file=_csv("name,phone\nAna,11987654321\n"), created_by=admin, tag_ids=[999_999]
        )
    assert not ContactImport.objects.exists()
