"""Routes of the contacts API under /api/v1/: REST resources (POST on the collection, PATCH and
DELETE on the item), actions as sub-resources. The RPC-style routes of the previous release
(``create/``, ``<id>/update/``, ``<id>/delete/``) still answer, marked deprecated."""

from django.urls import URLPattern, URLResolver, path

from contacts.api import views
from core.deprecated_routes import deprecated_route

urlpatterns: list[URLPattern | URLResolver] = [
    path("contacts/", views.ContactListApi.as_view(), name="contact-list"),
    path("contacts/export/", views.ContactExportApi.as_view(), name="contact-export"),
    path("contacts/imports/", views.ContactImportStartApi.as_view(), name="contact-import-start"),
    path(
        "contacts/imports/<uuid:public_id>/",
        views.ContactImportDetailApi.as_view(),
        name="contact-import-detail",
    ),
    path("contacts/<uuid:public_id>/", views.ContactDetailApi.as_view(), name="contact-detail"),
    path("contacts/<uuid:public_id>/block/", views.ContactBlockApi.as_view(), name="contact-block"),
    path(
        "contacts/<uuid:public_id>/unblock/",
        views.ContactUnblockApi.as_view(),
        name="contact-unblock",
    ),
    path(
        "contacts/<uuid:public_id>/tags/",
        views.ContactTagsSetApi.as_view(),
        name="contact-tags-set",
    ),
    path(
        "contacts/<uuid:public_id>/owners/",
        views.ContactOwnersSetApi.as_view(),
        name="contact-owners-set",
    ),
    path("tags/", views.TagListApi.as_view(), name="tag-list"),
    path("tags/<int:tag_id>/", views.TagDetailApi.as_view(), name="tag-detail"),
    path(
        "contact-attributes/",
        views.ContactAttributeDefinitionListApi.as_view(),
        name="contact-attribute-list",
    ),
    path(
        "contact-attributes/<int:definition_id>/",
        views.ContactAttributeDefinitionDetailApi.as_view(),
        name="contact-attribute-detail",
    ),
]

# Deprecated: answered for one more release, with a Deprecation header and a Link to the route
# above that replaces each (tests/test_api_rest_routes.py lists them). They keep their names,
# so what refers to them (API key scopes) still finds them.
_DEPRECATED = [
    ("contacts/create/", views.ContactListApi, "post", "contact-list", "contact-create"),
    (
        "contacts/<uuid:public_id>/update/",
        views.ContactDetailApi,
        "patch",
        "contact-detail",
        "contact-update",
    ),
    (
        "contacts/<uuid:public_id>/delete/",
        views.ContactDetailApi,
        "delete",
        "contact-detail",
        "contact-delete",
    ),
    ("tags/create/", views.TagListApi, "post", "tag-list", "tag-create"),
    ("tags/<int:tag_id>/update/", views.TagDetailApi, "patch", "tag-detail", "tag-update"),
    ("tags/<int:tag_id>/delete/", views.TagDetailApi, "delete", "tag-detail", "tag-delete"),
    (
        "contact-attributes/create/",
        views.ContactAttributeDefinitionListApi,
        "post",
        "contact-attribute-list",
        "contact-attribute-create",
    ),
    (
        "contact-attributes/<int:definition_id>/update/",
        views.ContactAttributeDefinitionDetailApi,
        "patch",
        "contact-attribute-detail",
        "contact-attribute-update",
    ),
    (
        "contact-attributes/<int:definition_id>/delete/",
        views.ContactAttributeDefinitionDetailApi,
        "delete",
        "contact-attribute-detail",
        "contact-attribute-delete",
    ),
]
urlpatterns += [
    path(route, deprecated_route(view, method=method, successor=successor).as_view(), name=name)
    for route, view, method, successor, name in _DEPRECATED
]
