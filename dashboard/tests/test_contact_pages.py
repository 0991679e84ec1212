"""The contacts pages and the tags admin page: search and keyset pages, create/edit through the
services with errors next to the fields, CSV import with its progress and error report (the
real task), export, roles, two tenants, pinned queries."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from contacts.models import Contact, ContactImport, Tag
from contacts.tasks import contact_import_run_task
from contacts.tests.factories import ContactFactory, TagFactory
from dashboard.contacts.views import PAGE_SIZE
from tenants.tenancy import tenant_scope

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin(alpha):
    with tenant_scope(alpha.tenant):
        return AdminFactory()


def test_search_and_load_more_walk_the_visible_contacts_once(alpha, admin):
    with tenant_scope(alpha.tenant):
        for i in range(PAGE_SIZE + 7):
            ContactFactory(name=f"Cliente {i:03d}")
        ContactFactory(name="Zuleica Prado", email="zu@example.com")
    client = signed_in_client(alpha, admin)
    seen: list[str] = []
    response = client.get("/contacts/")
    html = response.content.decode()
    while True:
        seen += [
            part.split("<", 1)[0] for part in html.split('/">')[1:] if part.startswith("Cliente")
        ]
        if 'class="load-more"' not in html:
            break
        next_url = re.search(r'<tr hx-get="([^"]+)"[^>]*class="load-more"', html).group(1)
        next_url = next_url.replace("&amp;", "&")
        html = client.get(f"/contacts/{next_url}", **HTMX).content.decode()
    assert len(seen) == PAGE_SIZE + 7
    assert len(set(seen)) == len(seen)
    found = client.get("/contacts/?q=zuleica", **HTMX).content.decode()
    assert "Zuleica Prado" in found
    assert "Cliente 001" not in found


def test_a_contact_is_created_and_a_taken_phone_is_shown_next_to_the_phone(alpha, admin):
    with tenant_scope(alpha.tenant):
        ContactFactory(name="Primeira", phone="+5511987650001")
        vip = TagFactory(name="VIP")
    client = signed_in_client(alpha, admin)
    created = client.post(
        "/contacts/new/", {"name": "Nova", "phone": "(11) 98765-0002", "tags": [vip.pk]}
    )
    assert created.status_code == 302
    taken = client.post("/contacts/new/", {"name": "Outra", "phone": "+55 11 98765-0001"})
    assert taken.status_code == 400
    assert 'class="form-row has-error"' in taken.content.decode()
    assert 'name="phone"' in taken.content.decode().split('class="form-row has-error"', 1)[1][:400]
    with tenant_scope(alpha.tenant):
        nova = Contact.objects.get(name="Nova")
        assert (nova.phone, list(nova.tags.all())) == ("+5511987650002", [vip])
        assert not Contact.objects.filter(name="Outra").exists()


def test_an_import_runs_shows_its_progress_and_reports_bad_rows(alpha, admin):
    client = signed_in_client(alpha, admin)
    csv_file = SimpleUploadedFile(
        "clientes.csv",
        "nome;telefone\nAna;11987650010\nBruno;não é telefone\nCarla;11987650011\n".encode(),
        content_type="text/csv",
    )
    started = client.post("/contacts/import/", {"file": csv_file})
    assert started.status_code == 302
    with tenant_scope(alpha.tenant):
        job = ContactImport.objects.get()
    preview = client.get(started["Location"]).content.decode()
    assert 'data-testid="import-confirm-form"' in preview  # nothing runs before it is started
    assert client.post(started["Location"] + "start/", {"duplicates": "skip"}).status_code == 302
    waiting = client.get(started["Location"], **HTMX).content.decode()
    assert 'hx-trigger="every 1s"' in waiting  # polls until finished
    contact_import_run_task.apply(args=(job.pk,)).get()
    done = client.get(started["Location"], **HTMX).content.decode()
    assert 'data-status="done"' in done
    assert "every 1s" not in done
    assert 'data-testid="import-errors"' in done
    report = client.get(f"/contacts/import/{job.public_id}/errors.csv").content.decode()
    assert report.splitlines()[1].startswith("3,")  # the file's third line: Bruno
    with tenant_scope(alpha.tenant):
        assert set(Contact.objects.values_list("name", flat=True)) >= {"Ana", "Carla"}


def test_a_file_that_is_not_csv_is_refused_next_to_the_file_field(alpha, admin):
    client = signed_in_client(alpha, admin)
    bad = SimpleUploadedFile("fotos.zip", b"PK\x03\x04", content_type="application/zip")
    response = client.post("/contacts/import/", {"file": bad})
    assert response.status_code == 400
    assert 'class="form-row has-error"' in response.content.decode()
    with tenant_scope(alpha.tenant):
        assert not ContactImport.objects.exists()


def test_tags_are_admin_only_and_a_duplicate_name_is_refused(alpha, admin):
    with tenant_scope(alpha.tenant):
        agent = UserFactory()
    assert signed_in_client(alpha, agent).get("/manage/tags/").status_code == 403
    client = signed_in_client(alpha, admin)
    assert client.post("/manage/tags/", {"name": "VIP", "color": "#b54708"}).status_code == 302
    duplicate = client.post("/manage/tags/", {"name": "vip", "color": "#b54708"})
    assert duplicate.status_code == 400
    assert 'class="form-row has-error"' in duplicate.content.decode()
    with tenant_scope(alpha.tenant):
        assert Tag.objects.count() == 1


def test_another_tenants_contacts_are_not_listed_nor_reachable(alpha, beta, admin):
    with tenant_scope(beta.tenant):
        theirs = ContactFactory(name="Só Beta")
    client = signed_in_client(alpha, admin)
    assert "Só Beta" not in client.get("/contacts/").content.decode()
    assert client.get(f"/contacts/{theirs.public_id}/").status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_costs_the_same_queries_for_few_or_many_contacts(
    alpha, admin, count, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        tags = [TagFactory(), TagFactory()]
        for _ in range(count):
            ContactFactory().tags.set(tags)
    client = signed_in_client(alpha, admin)
    client.get("/")
    # session, user, contacts, their tags, owners and identities, the tag filter's choices
    # (the search path is already the tenant's)
    with django_assert_num_queries(7):
        client.get("/contacts/")
