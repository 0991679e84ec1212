"""Custom contact attributes get an admin page (define, rename, change choices, delete after a
confirmation naming what is lost), and the contact's own page edits its wallet owners and
attribute values, all or nothing; two tenants, pinned queries."""

from __future__ import annotations

import pytest

from accounts.tests.factories import AdminFactory, UserFactory
from conftest import signed_in_client
from contacts.models import Contact, ContactAttributeDefinition
from contacts.tests.factories import ContactFactory
from tenants.tenancy import tenant_scope

URL = "/manage/contact-attributes/"


@pytest.fixture
def people(alpha):
    with tenant_scope(alpha.tenant):
        return {"admin": AdminFactory(), "agent": UserFactory()}


def _definitions(fixture) -> dict[str, ContactAttributeDefinition]:
    with tenant_scope(fixture.tenant):
        return {d.key: d for d in ContactAttributeDefinition.objects.all()}


def test_only_admins_open_the_page(alpha, people):
    assert signed_in_client(alpha, people["agent"]).get(URL).status_code == 403
    assert signed_in_client(alpha, people["admin"]).get(URL).status_code == 200


def test_an_admin_defines_a_text_and_a_choice_attribute(alpha, beta, people):
    client = signed_in_client(alpha, people["admin"])

    text = client.post(URL, {"label": "CPF", "key": "cpf", "type": "text"})
    choice = client.post(
        URL, {"label": "Plano", "key": "plano", "type": "choice", "choices": "Ouro\nPrata\n"}
    )

    assert (text.status_code, choice.status_code) == (302, 302)
    stored = _definitions(alpha)
    assert (stored["cpf"].label, stored["cpf"].type) == ("CPF", "text")
    assert stored["plano"].choices == ["Ouro", "Prata"]
    assert _definitions(beta) == {}
    page = client.get(URL).content.decode()
    assert page.count('data-testid="attribute-row"') == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"label": "Plano", "key": "plano", "type": "choice", "choices": ""}, "choices"),
        ({"label": "CPF", "key": "cpf", "type": "text", "choices": "a"}, "choices"),
        ({"label": "Outro CPF", "key": "cpf", "type": "text"}, "key"),
    ],
)
def test_refusals_show_next_to_the_field_and_store_nothing(alpha, people, payload, field):
    with tenant_scope(alpha.tenant):
        ContactAttributeDefinition.objects.create(key="cpf", label="CPF", type="text")
    client = signed_in_client(alpha, people["admin"])

    refused = client.post(URL, payload)

    assert refused.status_code == 400
    assert f'id="id_{field}-error"' in refused.content.decode()
    assert set(_definitions(alpha)) == {"cpf"}


def test_an_admin_renames_an_attribute_and_changes_its_choices(alpha, people):
    with tenant_scope(alpha.tenant):
        plan = ContactAttributeDefinition.objects.create(
            key="plano", label="Plano", type="choice", choices=["Ouro"]
        )
    client = signed_in_client(alpha, people["admin"])

    saved = client.post(
        f"{URL}{plan.pk}/", {"label": "Plano contratado", "choices": "Ouro\nBronze"}
    )

    assert saved.status_code == 302
    stored = _definitions(alpha)["plano"]
    assert (stored.label, stored.choices) == ("Plano contratado", ["Ouro", "Bronze"])


def test_deleting_asks_first_naming_the_values_lost_then_erases_them(alpha, people):
    with tenant_scope(alpha.tenant):
        cpf = ContactAttributeDefinition.objects.create(key="cpf", label="CPF", type="text")
        holders = [ContactFactory(custom_attributes={"cpf": f"00{n}"}) for n in range(2)]
    client = signed_in_client(alpha, people["admin"])

    confirm = client.get(f"{URL}{cpf.pk}/delete/")

    assert confirm.status_code == 200
    assert "2" in confirm.content.decode().split('data-testid="attribute-delete-values">')[1][:40]
    assert "cpf" in _definitions(alpha)
    deleted = client.post(f"{URL}{cpf.pk}/delete/")
    assert deleted.status_code == 302
    assert _definitions(alpha) == {}
    with tenant_scope(alpha.tenant):
        assert [Contact.objects.get(pk=c.pk).custom_attributes for c in holders] == [{}, {}]


def test_another_tenants_attribute_is_not_found(alpha, beta, people):
    with tenant_scope(beta.tenant):
        theirs = ContactAttributeDefinition.objects.create(key="cpf", label="CPF", type="text")
    client = signed_in_client(alpha, people["admin"])

    assert "CPF" not in client.get(URL).content.decode()
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.post(f"{URL}{theirs.pk}/delete/").status_code == 404
    assert set(_definitions(beta)) == {"cpf"}


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_costs_the_same_queries_for_few_or_many(
    alpha, people, count, django_assert_num_queries
):
    with tenant_scope(alpha.tenant):
        for n in range(count):
            ContactAttributeDefinition.objects.create(key=f"k{n}", label=f"K{n}", type="text")
    client = signed_in_client(alpha, people["admin"])
    client.get("/")
    # session, user, the definitions (the search path is already the tenant's)
    with django_assert_num_queries(3):
        client.get(URL)


# ---------------------------------------------------------------- the contact's page


@pytest.fixture
def crm(alpha):
    with tenant_scope(alpha.tenant):
        ContactAttributeDefinition.objects.create(key="cpf", label="CPF", type="text")
        ContactAttributeDefinition.objects.create(key="pontos", label="Pontos", type="number")
        ContactAttributeDefinition.objects.create(
            key="plano", label="Plano", type="choice", choices=["Ouro", "Prata"]
        )
        return {
            "agent": UserFactory(),
            "owner": UserFactory(name="Bruno Dono"),
            "contact": ContactFactory(name="Maria", phone="+5511987654321"),
        }


def _contact_form(contact, **changes):
    return {
        "name": contact.name,
        "phone": contact.phone,
        "email": "",
        "notes": "",
        **changes,
    }


def test_the_contact_page_edits_owners_and_attributes(alpha, crm):
    client = signed_in_client(alpha, crm["agent"])
    contact = crm["contact"]
    page = client.get(f"/contacts/{contact.public_id}/").content.decode()
    assert 'data-testid="contact-attributes"' in page
    assert "Bruno Dono" in page

    saved = client.post(
        f"/contacts/{contact.public_id}/",
        _contact_form(
            contact,
            owners=[crm["owner"].pk],
            **{
                "custom_attributes.cpf": "123.456.789-00",
                "custom_attributes.pontos": "42",
                "custom_attributes.plano": "Ouro",
            },
        ),
    )

    assert saved.status_code == 302
    with tenant_scope(alpha.tenant):
        stored = Contact.objects.get(pk=contact.pk)
        assert list(stored.owners.values_list("pk", flat=True)) == [crm["owner"].pk]
    assert stored.custom_attributes == {"cpf": "123.456.789-00", "pontos": 42, "plano": "Ouro"}
    # the contact is now in Bruno's wallet: he sees the values on its page
    again = signed_in_client(alpha, crm["owner"]).get(f"/contacts/{contact.public_id}/")
    assert 'value="123.456.789-00"' in again.content.decode()


def test_a_bad_value_or_a_taken_phone_stores_nothing(alpha, crm):
    with tenant_scope(alpha.tenant):
        ContactFactory(phone="+5511911112222")
    client = signed_in_client(alpha, crm["agent"])
    contact = crm["contact"]

    bad_number = client.post(
        f"/contacts/{contact.public_id}/",
        _contact_form(contact, owners=[crm["owner"].pk], **{"custom_attributes.pontos": "muitos"}),
    )
    taken_phone = client.post(
        f"/contacts/{contact.public_id}/",
        _contact_form(
            contact,
            phone="+5511911112222",
            owners=[crm["owner"].pk],
            **{"custom_attributes.cpf": "999"},
        ),
    )

    assert (bad_number.status_code, taken_phone.status_code) == (400, 400)
    assert 'id="attr-custom_attributes.pontos-error"' in bad_number.content.decode()
    with tenant_scope(alpha.tenant):
        stored = Contact.objects.get(pk=contact.pk)
        assert not stored.owners.exists()
    assert (stored.phone, stored.custom_attributes) == ("+5511987654321", {})


def test_a_new_contact_gets_its_owners_and_attributes(alpha, crm):
    client = signed_in_client(alpha, crm["agent"])

    created = client.post(
        "/contacts/new/",
        {
            "name": "João",
            "phone": "+5521988887777",
            "owners": [crm["owner"].pk],
            "custom_attributes.plano": "Prata",
        },
    )

    assert created.status_code == 302
    with tenant_scope(alpha.tenant):
        joao = Contact.objects.get(name="João")
        assert list(joao.owners.values_list("pk", flat=True)) == [crm["owner"].pk]
    assert joao.custom_attributes == {"plano": "Prata"}
