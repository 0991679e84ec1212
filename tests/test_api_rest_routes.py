"""Every API resource is REST: POST on the collection, PATCH/DELETE on the item, actions as
sub-resources. The RPC-style routes of the previous release answer for one more release, each
marked with a ``Deprecation`` header and a ``Link`` to the route that replaces it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.tests.factories import AdminFactory
from conftest import sign_in_api
from contacts.models import Contact, ContactAttributeDefinition, Tag
from contacts.tests.factories import AttributeDefinitionFactory, ContactFactory, TagFactory
from tenants.tenancy import tenant_scope

# The only API paths allowed an RPC verb segment: kept for one release, then removed.
DEPRECATED_API_ROUTES = {
    "api/v1/contacts/create/",
    "api/v1/contacts/<uuid:public_id>/update/",
    "api/v1/contacts/<uuid:public_id>/delete/",
    "api/v1/tags/create/",
    "api/v1/tags/<int:tag_id>/update/",
    "api/v1/tags/<int:tag_id>/delete/",
    "api/v1/contact-attributes/create/",
    "api/v1/contact-attributes/<int:definition_id>/update/",
    "api/v1/contact-attributes/<int:definition_id>/delete/",
    "api/v1/tickets/<uuid:public_id>/delete/",
}
_RPC_SEGMENTS = {"create", "update", "delete", "remove", "edit"}


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def test_no_api_path_is_rpc_style_outside_the_deprecated_list():
    # Dashboard pages are HTML forms (POST only) and are not part of this rule.
    api = {
        route
        for urlconf in ("tiktickets.urls", "tiktickets.urls_public")
        for route in _routes(get_resolver(urlconf).url_patterns)
        if route.startswith("api/")
    }
    rpc = {r for r in api if _RPC_SEGMENTS & set(r.strip("/").split("/"))}

    assert rpc - DEPRECATED_API_ROUTES == set(), "make it REST: verbs on the resource"
    # The list shrinks as old routes are removed; it never names a route that is gone.
    assert DEPRECATED_API_ROUTES - rpc == set()


@pytest.fixture
def admins(alpha, beta, api_alpha, api_beta):
    with tenant_scope(alpha.tenant):
        alpha_admin = AdminFactory()
    with tenant_scope(beta.tenant):
        beta_admin = AdminFactory()
    return sign_in_api(api_alpha, alpha_admin.email), sign_in_api(api_beta, beta_admin.email)


def test_contacts_are_created_changed_and_deleted_with_rest_verbs(alpha, beta, admins):
    as_alpha, as_beta = admins

    created = as_alpha.post("/api/v1/contacts/", {"name": "Ana", "phone": "11987654321"})
    url = f"/api/v1/contacts/{created.json()['public_id']}/"
    stolen = as_beta.patch(url, {"name": "Stolen"}, format="json")
    removed_elsewhere = as_beta.delete(url)
    changed = as_alpha.patch(url, {"name": "Ana Lima"}, format="json")

    assert created.status_code == 201, created.content
    assert "Deprecation" not in created
    assert [stolen.status_code, removed_elsewhere.status_code] == [404, 404]
    assert (changed.status_code, changed.json()["name"]) == (200, "Ana Lima")
    with tenant_scope(beta.tenant):
        assert not Contact.objects.exists()

    deleted = as_alpha.delete(url)

    assert deleted.status_code == 204
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.exists()


def test_tags_and_attributes_are_rest_resources(alpha, beta, admins):
    as_alpha, as_beta = admins
    with tenant_scope(beta.tenant):
        TagFactory(name="beta-only")

    as_alpha.post("/api/v1/tags/", {"name": "First"})
    tag = as_alpha.post("/api/v1/tags/", {"name": "VIP"}).json()  # no tag has its id at beta
    attribute = as_alpha.post(
        "/api/v1/contact-attributes/", {"key": "plan", "label": "Plan", "type": "text"}
    ).json()
    tag_renamed = as_alpha.patch(f"/api/v1/tags/{tag['id']}/", {"name": "Gold"}, format="json")
    attribute_renamed = as_alpha.patch(
        f"/api/v1/contact-attributes/{attribute['id']}/", {"label": "Plano"}, format="json"
    )

    assert (tag_renamed.status_code, tag_renamed.json()["name"]) == (200, "Gold")
    assert (attribute_renamed.status_code, attribute_renamed.json()["label"]) == (200, "Plano")
    assert as_beta.delete(f"/api/v1/tags/{tag['id']}/").status_code == 404
    assert as_alpha.delete(f"/api/v1/tags/{tag['id']}/").status_code == 204
    assert as_alpha.delete(f"/api/v1/contact-attributes/{attribute['id']}/").status_code == 204
    with tenant_scope(alpha.tenant):
        assert list(Tag.objects.values_list("name", flat=True)) == ["First"]
        assert not ContactAttributeDefinition.objects.exists()
    with tenant_scope(beta.tenant):
        assert list(Tag.objects.values_list("name", flat=True)) == ["beta-only"]


def _deprecated(response, successor: str) -> None:
    assert response["Deprecation"].startswith("@"), response.headers
    assert response["Link"] == f'<{successor}>; rel="successor-version"'


def test_old_routes_still_answer_marked_deprecated_with_a_link_to_the_new_one(alpha, beta, admins):
    as_alpha, as_beta = admins
    with tenant_scope(alpha.tenant):
        tag = TagFactory(name="Old")
        definition = AttributeDefinitionFactory(key="old")
    with tenant_scope(beta.tenant):
        theirs = ContactFactory(name="Beta's")

    created = as_alpha.post("/api/v1/contacts/create/", {"name": "Via old route"})
    contact_url = f"/api/v1/contacts/{created.json()['public_id']}/"
    updated = as_alpha.post(f"{contact_url}update/", {"name": "Renamed"})
    refused = as_alpha.post("/api/v1/contacts/create/", {"name": "x", "phone": "12"})
    other_tenant = as_beta.post(f"/api/v1/contacts/{created.json()['public_id']}/delete/")
    tag_updated = as_alpha.post(f"/api/v1/tags/{tag.pk}/update/", {"name": "Older"})
    attribute_deleted = as_alpha.post(f"/api/v1/contact-attributes/{definition.pk}/delete/")
    deleted = as_alpha.post(f"{contact_url}delete/")
    not_allowed = as_alpha.get("/api/v1/contacts/create/")

    assert created.status_code == 201
    _deprecated(created, "/api/v1/contacts/")
    assert (updated.status_code, updated.json()["name"]) == (200, "Renamed")
    _deprecated(updated, contact_url)
    assert (refused.status_code, refused.json()["code"]) == (400, "validation_error")
    _deprecated(refused, "/api/v1/contacts/")
    assert other_tenant.status_code == 404
    _deprecated(other_tenant, contact_url)
    assert (tag_updated.status_code, tag_updated.json()["name"]) == (200, "Older")
    _deprecated(tag_updated, f"/api/v1/tags/{tag.pk}/")
    assert attribute_deleted.status_code == 204
    _deprecated(attribute_deleted, f"/api/v1/contact-attributes/{definition.pk}/")
    assert deleted.status_code == 204
    assert not_allowed.status_code == 405
    with tenant_scope(alpha.tenant):
        assert not Contact.objects.exists()
        assert not ContactAttributeDefinition.objects.exists()
    with tenant_scope(beta.tenant):
        assert Contact.objects.filter(pk=theirs.pk).exists()


def test_the_schema_documents_the_rest_verbs_and_marks_old_routes_deprecated(admins):
    as_alpha, _ = admins
    schema = as_alpha.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/contacts/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/contacts/{public_id}/"])
    assert {"patch", "delete"} <= set(paths["/api/v1/tags/{tag_id}/"])
    assert {"patch", "delete"} <= set(paths["/api/v1/contact-attributes/{definition_id}/"])
    assert {"get", "delete"} <= set(paths["/api/v1/tickets/{public_id}/"])
    old = [
        "/"
        + route.replace("<uuid:public_id>", "{public_id}")
        .replace("<int:tag_id>", "{tag_id}")
        .replace("<int:definition_id>", "{definition_id}")
        for route in DEPRECATED_API_ROUTES
    ]
    for path in old:
        assert paths[path]["post"].get("deprecated") is True, path
    assert "deprecated" not in paths["/api/v1/contacts/{public_id}/"]["patch"]
    # The old route documents the same body as the new one.
    old_update = paths["/api/v1/contacts/{public_id}/update/"]["post"]["requestBody"]
    assert "ContactUpdateInput" in str(old_update)
