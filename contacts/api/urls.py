"""Routes of the contacts API under /api/v1/: one URL per operation."""

from django.urls import URLPattern, URLResolver, path

from contacts.api import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("contacts/", views.ContactListApi.as_view(), name="contact-list"),
    path("contacts/create/", views.ContactCreateApi.as_view(), name="contact-create"),
    path("contacts/export/", views.ContactExportApi.as_view(), name="contact-export"),
    path("contacts/imports/", views.ContactImportStartApi.as_view(), name="contact-import-start"),
    path(
        "contacts/imports/<uuid:public_id>/",
        views.ContactImportDetailApi.as_view(),
        name="contact-import-detail",
    ),
    path("contacts/<uuid:public_id>/", views.ContactDetailApi.as_view(), name="contact-detail"),
    path(
        "contacts/<uuid:public_id>/update/",
        views.ContactUpdateApi.as_view(),
        name="contact-update",
    ),
    path(
        "contacts/<uuid:public_id>/delete/",
        views.ContactDeleteApi.as_view(),
        name="contact-delete",
    ),
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
    path("tags/create/", views.TagCreateApi.as_view(), name="tag-create"),
    path("tags/<int:tag_id>/update/", views.TagUpdateApi.as_view(), name="tag-update"),
    path("tags/<int:tag_id>/delete/", views.TagDeleteApi.as_view(), name="tag-delete"),
    path(
        "contact-attributes/",
        views.ContactAttributeDefinitionListApi.as_view(),
        name="contact-attribute-list",
    ),
    path(
        "contact-attributes/create/",
        views.ContactAttributeDefinitionCreateApi.as_view(),
        name="contact-attribute-create",
    ),
    path(
        "contact-attributes/<int:definition_id>/update/",
        views.ContactAttributeDefinitionUpdateApi.as_view(),
        name="contact-attribute-update",
    ),
    path(
        "contact-attributes/<int:definition_id>/delete/",
        views.ContactAttributeDefinitionDeleteApi.as_view(),
        name="contact-attribute-delete",
    ),
]
