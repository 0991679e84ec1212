"""Contacts CSV in and out from the contacts pages: the export follows the reader's language
(pt-BR: ";", translated headers and a BOM for Excel) or is plain; what one tenant exports,
another imports back into identical contacts (tags, owners, custom attributes); an upload is
previewed (first rows, conflicts) and nothing is imported before the user starts it with a
policy for existing contacts (skip, update, or contact by contact); the report names fields
in the reader's language."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from contacts.models import Contact, ContactAttributeDefinition, ContactImport, Tag
from contacts.tasks import contact_import_run_task
from contacts.tests.factories import AttributeDefinitionFactory, ContactFactory, TagFactory
from tenants.tenancy import tenant_scope

HTMX = {"HTTP_HX_REQUEST": "true"}
Type = ContactAttributeDefinition.Type


def _definitions() -> None:
    AttributeDefinitionFactory(key="cpf", label="CPF", type=Type.TEXT)
    AttributeDefinitionFactory(key="aniversario", label="Aniversário", type=Type.DATE)
    AttributeDefinitionFactory(key="pontos", label="Pontos", type=Type.NUMBER)
    AttributeDefinitionFactory(key="vip", label="Cliente VIP", type=Type.BOOLEAN)
    AttributeDefinitionFactory(key="plano", label="Plano", type=Type.CHOICE, choices=["Ouro"])


def _snapshot() -> list[tuple[Any, ...]]:
    """Every contact as comparable data (what a round trip must keep)."""
    return [
        (
            contact.name,
            contact.phone,
            contact.email,
            sorted(tag.name for tag in contact.tags.all()),
            sorted(owner.email for owner in contact.owners.all()),
            contact.custom_attributes,
        )
        for contact in Contact.objects.prefetch_related("tags", "owners").order_by("phone")
    ]


def _body(response) -> str:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8")


def _upload(client, text: str, name: str = "contatos.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post("/contacts/import/", {"file": file})


def _run_import(fixture, client, text: str, **confirm: Any) -> ContactImport:
    """Upload, check that nothing is imported yet, start it with ``confirm`` and run the task."""
    started = _upload(client, text)
    assert started.status_code == 302, started.content
    with tenant_scope(fixture.tenant):
        before = Contact.objects.count()
        job = ContactImport.objects.get(public_id=started["Location"].rstrip("/").split("/")[-1])
        assert job.status == ContactImport.Status.PREVIEW
    preview = client.get(started["Location"])
    assert preview.status_code == 200
    assert 'data-testid="import-confirm-form"' in preview.content.decode()
    with tenant_scope(fixture.tenant):
        assert Contact.objects.count() == before  # a preview imports nothing
    confirmed = client.post(f"/contacts/import/{job.public_id}/start/", confirm)
    assert confirmed.status_code == 302, confirmed.content
    contact_import_run_task.apply(args=(job.pk,)).get()
    with tenant_scope(fixture.tenant):
        job.refresh_from_db()
    assert job.status == ContactImport.Status.DONE
    return job


@pytest.fixture
def people(alpha, beta):
    """An admin and two owners with the same e-mails in both tenants, and the same attributes."""
    made = {}
    for fixture in (alpha, beta):
        with tenant_scope(fixture.tenant):
            made[fixture.tenant.schema_name] = AdminFactory(email="dona@example.com")
            UserFactory(email="bia@example.com")
            UserFactory(email="caio@example.com")
            _definitions()
    return made


@pytest.mark.parametrize("plain", [False, True], ids=["localized", "plain"])
def test_what_one_tenant_exports_another_imports_back_identical(alpha, beta, people, plain):
    with tenant_scope(alpha.tenant):
        vip, lead = TagFactory(name="VIP"), TagFactory(name="Lead; quente")
        ana = ContactFactory(
            name="Ana Souza",
            phone="+5511987650001",
            email="ana@example.com",
            custom_attributes={
                "cpf": "123.456.789-09",
                "aniversario": "1990-03-07",
                "pontos": 12.5,
                "vip": True,
                "plano": "Ouro",
            },
        )
        ana.tags.add(vip, lead)
        ana.owners.add(UserFactory._meta.model.objects.get(email="bia@example.com"))
        bruno = ContactFactory(
            name="Bruno, o Lima",
            phone="+5521998760002",
            custom_attributes={"pontos": 3, "vip": False},
        )
        bruno.owners.add(*UserFactory._meta.model.objects.filter(email__endswith="@example.com"))
        ContactFactory(name="Carla", phone="+5531987650003")
        expected = _snapshot()
    alpha_admin = people[alpha.tenant.schema_name]
    exported = _body(
        signed_in_client(alpha, alpha_admin).get(
            "/contacts/export/" + ("?plain=1" if plain else "")
        )
    )

    client = signed_in_client(beta, people[beta.tenant.schema_name])
    job = _run_import(beta, client, exported, duplicates="skip")

    assert (job.created_count, job.updated_count, job.skipped_count) == (3, 0, 0), job.errors
    with tenant_scope(beta.tenant):
        assert _snapshot() == expected
        assert sorted(Tag.objects.values_list("name", flat=True)) == ["Lead; quente", "VIP"]
    with tenant_scope(alpha.tenant):
        assert _snapshot() == expected  # the export changed nothing where it came from
        assert ContactImport.objects.count() == 0


def test_the_export_follows_the_readers_language_or_is_plain(alpha, people):
    with tenant_scope(alpha.tenant):
        ContactFactory(
            name="Ana", phone="+5511987650001", custom_attributes={"vip": True, "pontos": 1.5}
        ).tags.add(TagFactory(name="VIP"), TagFactory(name="Lead"))
    admin = people[alpha.tenant.schema_name]
    client = signed_in_client(alpha, admin)

    localized = _body(client.get("/contacts/export/"))
    assert localized.startswith("\ufeff")  # Excel reads it as UTF-8
    header, row = localized.lstrip("\ufeff").splitlines()
    assert header == (
        "Nome;Telefone;E-mail;Etiquetas;Responsáveis;"
        "Aniversário;CPF;Cliente VIP;Plano;Pontos;Criado em"
    )
    assert row.startswith("Ana;+5511987650001;;Lead, VIP;;;;sim;;1,5;")

    plain = _body(client.get("/contacts/export/?plain=1"))
    assert not plain.startswith("\ufeff")
    records = list(csv.DictReader(io.StringIO(plain)))
    assert list(records[0]) == [
        "name",
        "phone",
        "email",
        "tags",
        "owners",
        "aniversario",
        "cpf",
        "vip",
        "plano",
        "pontos",
        "created_at",
    ]
    assert (records[0]["tags"], records[0]["vip"], records[0]["pontos"]) == (
        "Lead, VIP",
        "yes",
        "1.5",
    )

    with tenant_scope(alpha.tenant):
        admin.language = "en"
        admin.save()
    english = _body(client.get("/contacts/export/"))
    assert english.lstrip("\ufeff").splitlines()[0].startswith("Name,Phone,E-mail,Tags,Owners,")


def test_the_preview_shows_rows_and_conflicts_then_skip_update_or_ask(alpha, people):
    with tenant_scope(alpha.tenant):
        ContactFactory(name="Ana Antiga", phone="+5511987650001", email="velha@example.com")
        ContactFactory(name="Bruno Antigo", phone="+5511987650002")
    client = signed_in_client(alpha, people[alpha.tenant.schema_name])
    text = (
        "Nome;Telefone;E-mail;Etiquetas;CPF;Coluna estranha\n"
        "Ana Nova;11987650001;nova@example.com;Cliente;111;x\n"  # row 2: conflict
        "Bruno Novo;11987650002;;;;\n"  # row 3: conflict
        "Carla;11987650003;;;;\n"  # row 4: new
        "Carla de novo;(11) 98765-0003;;;;\n"  # row 5: repeats row 4
    )

    started = _upload(client, text)
    page = client.get(started["Location"]).content.decode()
    assert "“Coluna estranha”" in page  # the ignored column is named
    assert "“CPF” → CPF" in page
    assert page.count('data-testid="import-conflict"') == 2
    assert 'name="update_rows" value="2"' in page
    assert 'data-testid="import-repeated"' in page
    assert "serão criadas: Cliente</p>" in page
    with tenant_scope(alpha.tenant):
        job = ContactImport.objects.get()
        assert job.status == ContactImport.Status.PREVIEW
        assert Contact.objects.count() == 2
    # ask: only the ticked contact (row 3) is updated
    client.post(f"/contacts/import/{job.public_id}/start/", {"duplicates": "ask", "update_rows": 3})
    contact_import_run_task.apply(args=(job.pk,)).get()
    with tenant_scope(alpha.tenant):
        job.refresh_from_db()
        names = dict(Contact.objects.values_list("phone", "name"))
    assert (job.created_count, job.updated_count, job.skipped_count) == (1, 1, 2)
    assert names == {
        "+5511987650001": "Ana Antiga",
        "+5511987650002": "Bruno Novo",
        "+5511987650003": "Carla",
    }
    assert [error["row"] for error in job.errors] == [2, 5]

    # a started import cannot be started again
    again = client.post(f"/contacts/import/{job.public_id}/start/", {"duplicates": "update"})
    assert again.status_code == 302
    with tenant_scope(alpha.tenant):
        job.refresh_from_db()
    assert job.duplicates == "ask"

    # update: every conflicting contact takes the file's values, tags and attributes
    updated = _run_import(alpha, client, text, duplicates="update")
    assert (updated.created_count, updated.updated_count, updated.skipped_count) == (0, 3, 1)
    with tenant_scope(alpha.tenant):
        ana = Contact.objects.get(phone="+5511987650001")
        assert (ana.name, ana.email, ana.custom_attributes) == (
            "Ana Nova",
            "nova@example.com",
            {"cpf": "111"},
        )
        assert [tag.name for tag in ana.tags.all()] == ["Cliente"]

    # skip: nothing existing changes
    with tenant_scope(alpha.tenant):
        Contact.objects.filter(phone="+5511987650002").update(name="Bruno Editado")
    skipped = _run_import(alpha, client, text, duplicates="skip")
    assert (skipped.created_count, skipped.updated_count, skipped.skipped_count) == (0, 0, 4)
    with tenant_scope(alpha.tenant):
        assert Contact.objects.get(phone="+5511987650002").name == "Bruno Editado"


def test_the_report_names_fields_in_the_readers_language(alpha, people):
    admin = people[alpha.tenant.schema_name]
    client = signed_in_client(alpha, admin)
    text = (
        "name,phone,email,owners,aniversario,vip\n"
        "Ana,11987650001,not-an-email,,,\n"
        "Bia,11987650002,,ninguem@example.com,,\n"
        "Caio,11987650003,,,31/02/2020,\n"
        "Dora,11987650004,,,07/03/1990,talvez\n"
        "Eva,11987650005,,bia@example.com,07/03/1990,sim\n"
    )
    job = _run_import(alpha, client, text, duplicates="skip")

    assert (job.created_count, job.skipped_count) == (1, 4)
    page = client.get(f"/contacts/import/{job.public_id}/", **HTMX).content.decode()
    for expected in (
        "<td>2</td><td>E-mail</td><td>Este não é um endereço de e-mail válido.</td>",
        "<td>3</td><td>Responsáveis</td>",
        "<td>4</td><td>Aniversário</td>",
        "<td>5</td><td>Cliente VIP</td>",
    ):
        assert expected in page
    report = client.get(f"/contacts/import/{job.public_id}/errors.csv").content.decode()
    assert report.splitlines()[2].startswith("3,Responsáveis,")
    with tenant_scope(alpha.tenant):
        eva = Contact.objects.prefetch_related("owners").get()
        assert eva.custom_attributes == {"aniversario": "1990-03-07", "vip": True}
        assert [owner.email for owner in eva.owners.all()] == ["bia@example.com"]


def test_an_agent_cannot_create_tags_nor_see_anothers_preview(alpha, people):
    with tenant_scope(alpha.tenant):
        agent = UserFactory(email="agente@example.com")
        TagFactory(name="Existente")
    admin_client = signed_in_client(alpha, people[alpha.tenant.schema_name])
    admins = _upload(admin_client, "name,phone\nAna,11987650001\n")
    agent_client = signed_in_client(alpha, agent)
    assert agent_client.get(admins["Location"]).status_code == 404
    assert agent_client.post(admins["Location"] + "discard/").status_code == 404

    job = _run_import(
        alpha,
        agent_client,
        "name,phone,tags\nBia,11987650002,Nova\nCaio,11987650003,existente\n",
        duplicates="skip",
    )
    assert (job.created_count, job.skipped_count) == (1, 1)
    assert job.errors[0]["field"] == "tags"
    with tenant_scope(alpha.tenant):
        assert sorted(Tag.objects.values_list("name", flat=True)) == ["Existente"]


def test_a_discarded_preview_leaves_nothing(alpha, people, django_capture_on_commit_callbacks):
    client = signed_in_client(alpha, people[alpha.tenant.schema_name])
    started = _upload(client, "name,phone\nAna,11987650001\n")
    with tenant_scope(alpha.tenant):
        job = ContactImport.objects.get()
        stored = job.file.name
        storage = job.file.storage
    assert storage.exists(stored)

    with django_capture_on_commit_callbacks(execute=True):
        discarded = client.post(started["Location"] + "discard/")

    assert discarded.status_code == 302
    with tenant_scope(alpha.tenant):
        assert not ContactImport.objects.exists()
        assert not Contact.objects.exists()
    assert not storage.exists(stored)
