"""Contacts, tags and imports of one tenant are invisible from another, even by identifier."""

from accounts.tests.factories import AdminFactory
from conftest import sign_in_api
from contacts.models import Contact, ContactImport, Tag
from contacts.tests.factories import ContactFactory, TagFactory
from tenants.tenancy import tenant_scope


def test_alphas_contact_is_404_and_unlisted_at_beta(alpha, beta, api_alpha, api_beta):
    with tenant_scope(alpha.tenant):
        contact = ContactFactory(name="Only In Alpha", phone="+5511987654321")
        tag = TagFactory(name="alpha-tag")
        contact_import = ContactImport.objects.create(file="x.csv")
        alpha_admin = AdminFactory()
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
        # beta's tag gets the same integer id as alpha's
        TagFactory(name="beta-tag")
    as_beta = sign_in_api(api_beta, beta_admin.email)

    detail = as_beta.get(f"/api/v1/contacts/{contact.public_id}/")
    update = as_beta.patch(f"/api/v1/contacts/{contact.public_id}/", {"name": "Stolen"})
    delete = as_beta.delete(f"/api/v1/contacts/{contact.public_id}/")
    listing = as_beta.get("/api/v1/contacts/", {"search": "Only In Alpha"})
    export = b"".join(as_beta.get("/api/v1/contacts/export/").streaming_content).decode()
    tags = as_beta.get("/api/v1/tags/").json()
    follow = as_beta.get(f"/api/v1/contacts/imports/{contact_import.public_id}/")

    assert [detail.status_code, update.status_code, delete.status_code] == [404, 404, 404]
    assert listing.json()["results"] == []
    assert "Only In Alpha" not in export
    assert "+5511987654321" not in export
    assert [t["name"] for t in tags] == ["beta-tag"]
    assert follow.status_code == 404
    with tenant_scope(alpha.tenant):
        contact.refresh_from_db()
        assert contact.name == "Only In Alpha"
        assert Tag.objects.filter(pk=tag.pk, name="alpha-tag").exists()
    with tenant_scope(beta.tenant):
        assert not Contact.objects.exists()

    # and alpha itself still sees it
    as_alpha = sign_in_api(api_alpha, alpha_admin.email)
    assert as_alpha.get(f"/api/v1/contacts/{contact.public_id}/").status_code == 200
